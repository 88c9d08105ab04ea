"""The etcd v3 gRPC services of one member: KV, Watch, Lease, Cluster, Maintenance.

Thin, as etcd's v3rpc is: each method hands the request to the `Member` and
maps a typed error to the wire in one place (`_unary`). The two streams (Watch,
LeaseKeepAlive) read requests and write responses concurrently.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import grpc

from etcdlite import raft_entry, validation
from etcdlite.errors import Compacted, EtcdliteError, InvalidArgument, to_grpc_status
from etcdlite.member import Member
from etcdlite.watch import Delivery, Watcher, WatchStream
from kubelite.gen.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from kubelite.gen.mvccpb import kv_pb2
from kubelite.rawgrpc import add_raw_servicer

log = logging.getLogger(__name__)
T = TypeVar("T")

# Events per WatchResponse when a watcher replays a long history.
MAX_EVENTS_PER_RESPONSE = 1000


async def _unary(context: grpc.aio.ServicerContext, call: Awaitable[T]) -> T:
    """Run one request; a typed error becomes its gRPC status, nothing else."""
    try:
        return await call
    except EtcdliteError as err:
        code, message = to_grpc_status(err)
        await context.abort(code, message)
        raise  # unreachable: abort raises


async def _write(context: grpc.aio.ServicerContext, call: Awaitable[T]) -> T:
    """`_unary` for a KV write: the Raft entry that carried it goes back as
    trailing metadata (see `etcdlite.raft_entry`)."""
    response = await _unary(context, call)
    entry = raft_entry.written.get()
    if entry is not None:
        context.set_trailing_metadata(entry.metadata())
    return response


async def _now(value: T) -> T:
    return value


class KVServicer(rpc_pb2_grpc.KVServicer):
    def __init__(self, member: Member) -> None:
        self.member = member

    async def Range(self, request: rpc_pb2.RangeRequest, context: Any) -> rpc_pb2.RangeResponse:
        return await _unary(context, self.member.range(request))

    async def Put(self, request: rpc_pb2.PutRequest, context: Any) -> rpc_pb2.PutResponse:
        return await _write(context, self.member.put(request))

    async def DeleteRange(self, request: rpc_pb2.DeleteRangeRequest, context: Any) -> rpc_pb2.DeleteRangeResponse:
        return await _write(context, self.member.delete_range(request))

    async def Txn(self, request: rpc_pb2.TxnRequest, context: Any) -> rpc_pb2.TxnResponse:
        return await _write(context, self.member.txn(request))

    async def Compact(self, request: rpc_pb2.CompactionRequest, context: Any) -> rpc_pb2.CompactionResponse:
        return await _unary(context, self.member.compact(request))


class LeaseServicer(rpc_pb2_grpc.LeaseServicer):
    def __init__(self, member: Member) -> None:
        self.member = member

    async def LeaseGrant(self, request: rpc_pb2.LeaseGrantRequest, context: Any) -> rpc_pb2.LeaseGrantResponse:
        return await _unary(context, self.member.lease_grant(request))

    async def LeaseRevoke(self, request: rpc_pb2.LeaseRevokeRequest, context: Any) -> rpc_pb2.LeaseRevokeResponse:
        return await _unary(context, self.member.lease_revoke(request))

    async def LeaseTimeToLive(self, request: rpc_pb2.LeaseTimeToLiveRequest,
                              context: Any) -> rpc_pb2.LeaseTimeToLiveResponse:
        return await _unary(context, self.member.lease_time_to_live(request))

    async def LeaseLeases(self, request: rpc_pb2.LeaseLeasesRequest, context: Any) -> rpc_pb2.LeaseLeasesResponse:
        return await _unary(context, self.member.lease_leases())

    async def LeaseKeepAlive(self, request_iterator: AsyncIterator[rpc_pb2.LeaseKeepAliveRequest],
                             context: Any) -> AsyncIterator[rpc_pb2.LeaseKeepAliveResponse]:
        async for request in request_iterator:
            yield await _unary(context, self.member.lease_renew(request.ID))


class ClusterServicer(rpc_pb2_grpc.ClusterServicer):
    def __init__(self, member: Member) -> None:
        self.member = member

    async def MemberList(self, request: rpc_pb2.MemberListRequest, context: Any) -> rpc_pb2.MemberListResponse:
        return await _unary(context, _now(self.member.member_list()))


class MaintenanceServicer(rpc_pb2_grpc.MaintenanceServicer):
    def __init__(self, member: Member) -> None:
        self.member = member

    async def Status(self, request: rpc_pb2.StatusRequest, context: Any) -> rpc_pb2.StatusResponse:
        return await _unary(context, _now(self.member.status()))

    async def HashKV(self, request: rpc_pb2.HashKVRequest, context: Any) -> rpc_pb2.HashKVResponse:
        async def hash_now() -> rpc_pb2.HashKVResponse:
            return self.member.hash_kv(request)
        return await _unary(context, hash_now())


class WatchServicer(rpc_pb2_grpc.WatchServicer):
    """One Watch call = one stream carrying any number of watchers."""

    def __init__(self, member: Member) -> None:
        self.member = member

    async def Watch(self, request_iterator: AsyncIterator[rpc_pb2.WatchRequest],
                    context: Any) -> AsyncIterator[rpc_pb2.WatchResponse]:
        session = _WatchSession(self.member, asyncio.get_running_loop())
        reader = asyncio.create_task(session.read(request_iterator))
        try:
            async for response in session.responses(reader):
                yield response
        finally:
            reader.cancel()
            session.close()


class _WatchSession:
    """State of one Watch stream: its watchers, its outgoing queue."""

    def __init__(self, member: Member, loop: asyncio.AbstractEventLoop) -> None:
        self.member = member
        self.stream = WatchStream(loop)
        self.control: asyncio.Queue[rpc_pb2.WatchResponse] = asyncio.Queue()
        self.watchers: dict[int, Watcher] = {}
        self._ids = itertools.count(0)

    def close(self) -> None:
        for watcher in self.watchers.values():
            self.member.hub.remove(watcher)
        self.watchers.clear()

    async def read(self, requests: AsyncIterator[rpc_pb2.WatchRequest]) -> None:
        async for request in requests:
            kind = request.WhichOneof("request_union")
            if kind == "create_request":
                self._create(request.create_request)
            elif kind == "cancel_request":
                self._cancel(request.cancel_request.watch_id)
            elif kind == "progress_request":
                header = self.member.header()
                self.control.put_nowait(rpc_pb2.WatchResponse(header=header, watch_id=-1))

    def _create(self, req: rpc_pb2.WatchCreateRequest) -> None:
        watch_id = req.watch_id or next(i for i in self._ids if i not in self.watchers)
        response = rpc_pb2.WatchResponse(watch_id=watch_id, created=True)
        try:
            validation.check_watch_create(req)
            if watch_id in self.watchers:
                raise EtcdliteError("etcdserver: duplicate watch ID")
            watcher = Watcher(watch_id, req.key, req.range_end, self.stream, frozenset(req.filters),
                              req.prev_kv, req.progress_notify)
            # "created" must precede any replayed event, so queue it first.
            response.header.CopyFrom(self.member.header())
            self.control.put_nowait(response)
            self.member.hub.add(watcher, req.start_revision)
            self.watchers[watch_id] = watcher
        except Compacted as err:
            self.control.put_nowait(rpc_pb2.WatchResponse(
                header=self.member.header(), watch_id=watch_id, canceled=True,
                compact_revision=err.compact_revision, cancel_reason=err.message))
        except EtcdliteError as err:
            self.control.put_nowait(rpc_pb2.WatchResponse(
                header=self.member.header(), watch_id=watch_id, created=True, canceled=True,
                cancel_reason=err.message))

    def _cancel(self, watch_id: int) -> None:
        watcher = self.watchers.pop(watch_id, None)
        if watcher is not None:
            self.member.hub.remove(watcher)
        self.control.put_nowait(rpc_pb2.WatchResponse(header=self.member.header(), watch_id=watch_id,
                                                      canceled=True))

    async def responses(self, reader: asyncio.Task[None]) -> AsyncIterator[rpc_pb2.WatchResponse]:
        interval = self.member.config.progress_notify_interval
        while True:
            if reader.done() and self.control.empty() and self.stream.queue.empty():
                if reader.exception() is not None:
                    raise reader.exception()  # type: ignore[misc]
                return
            if not self.control.empty():
                yield self.control.get_nowait()
                continue
            if not self.stream.queue.empty():
                yield self._events_response(self.stream.queue.get_nowait())
                continue
            waiters = [asyncio.ensure_future(self.control.get()), asyncio.ensure_future(self.stream.queue.get())]
            done, pending = await asyncio.wait([*waiters, reader], timeout=interval,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                if task is not reader:
                    task.cancel()
            control, delivery = waiters
            if control in done:
                yield control.result()
            if delivery in done:
                yield self._events_response(delivery.result())
            if not done:
                for response in self._progress():
                    yield response

    def _events_response(self, first: Delivery) -> rpc_pb2.WatchResponse:
        """Merge queued deliveries of the same watcher into one response."""
        watcher = self.watchers.get(first.watch_id)
        if first.compact_revision:
            self.watchers.pop(first.watch_id, None)
            return rpc_pb2.WatchResponse(header=self.member.header(), watch_id=first.watch_id,
                                         canceled=True, compact_revision=first.compact_revision,
                                         cancel_reason="etcdserver: mvcc: required revision has been compacted")
        response = rpc_pb2.WatchResponse(watch_id=first.watch_id)
        revision = self._add_events(response, first, watcher)
        queue = self.stream.queue
        while not queue.empty() and len(response.events) < MAX_EVENTS_PER_RESPONSE:
            nxt = queue._queue[0]  # type: ignore[attr-defined]
            if nxt.watch_id != first.watch_id or nxt.compact_revision:
                break
            revision = self._add_events(response, queue.get_nowait(), watcher)
        response.header.CopyFrom(self.member.header(revision))
        if watcher is not None:
            watcher.sent_since_progress = True
        return response

    @staticmethod
    def _add_events(response: rpc_pb2.WatchResponse, delivery: Delivery, watcher: Watcher | None) -> int:
        want_prev = watcher is not None and watcher.prev_kv
        for event in delivery.events:
            if want_prev or not event.HasField("prev_kv"):
                response.events.append(event)
            else:
                response.events.append(kv_pb2.Event(type=event.type, kv=event.kv))
        return delivery.revision

    def _progress(self) -> list[rpc_pb2.WatchResponse]:
        out = []
        for watcher in self.watchers.values():
            if watcher.progress_notify and not watcher.sent_since_progress:
                out.append(rpc_pb2.WatchResponse(header=self.member.header(), watch_id=watcher.watch_id))
            watcher.sent_since_progress = False
        return out


async def _malformed(context: grpc.aio.ServicerContext, message_name: str) -> None:
    code, message = to_grpc_status(InvalidArgument(f"etcdserver: malformed {message_name}"))
    await context.abort(code, message)


def add_services(server: grpc.aio.Server, member: Member) -> None:
    """Register every etcd v3 service we implement, by the names in rpc.proto."""
    servicers = {
        "KV": KVServicer(member),
        "Watch": WatchServicer(member),
        "Lease": LeaseServicer(member),
        "Cluster": ClusterServicer(member),
        "Maintenance": MaintenanceServicer(member),
    }
    for name, servicer in servicers.items():
        add_raw_servicer(server, rpc_pb2.DESCRIPTOR.services_by_name[name], servicer, _malformed)
