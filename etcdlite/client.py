"""An asyncio client for any etcd v3 endpoints (etcdlite or real etcd).

It holds a channel per endpoint and fails over between them: reads and watches
move to the next endpoint on UNAVAILABLE, writes only when the request never
left this process (the connection could not be made), so a write is never sent
twice. Watches resume from the revision after the last one received. Server
errors come back as the typed errors of `etcdlite.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from etcdlite.errors import Compacted, from_grpc_error
from etcdlite.keyrange import prefix_end
from etcdlite.raft_entry import RaftEntry
from kubelite.channels import KEEPALIVE_OPTIONS, never_sent
from kubelite.gen.etcdserverpb import rpc_pb2, rpc_pb2_grpc

T = TypeVar("T")
Key = str | bytes

def _b(value: Key) -> bytes:
    return value.encode() if isinstance(value, str) else value


class _Stubs:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.channel = channel
        self.kv = rpc_pb2_grpc.KVStub(channel)
        self.watch = rpc_pb2_grpc.WatchStub(channel)
        self.lease = rpc_pb2_grpc.LeaseStub(channel)
        self.cluster = rpc_pb2_grpc.ClusterStub(channel)
        self.maintenance = rpc_pb2_grpc.MaintenanceStub(channel)


class EtcdClient:
    """etcd v3 client over several endpoints ("host:port") with failover."""

    def __init__(self, endpoints: list[str], timeout: float = 10.0) -> None:
        if not endpoints:
            raise ValueError("at least one endpoint is required")
        self.endpoints = list(endpoints)
        self.timeout = timeout
        self._stubs = {ep: _Stubs(grpc.aio.insecure_channel(ep, options=KEEPALIVE_OPTIONS)) for ep in self.endpoints}
        self._current = 0

    async def close(self) -> None:
        for stubs in self._stubs.values():
            await stubs.channel.close()

    async def __aenter__(self) -> EtcdClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def endpoint(self) -> str:
        return self.endpoints[self._current]

    async def _call(self, call: Callable[[_Stubs], Awaitable[T]], *, idempotent: bool) -> T:
        attempts = 2 * len(self.endpoints)
        for attempt in range(attempts):
            stubs = self._stubs[self.endpoint]
            try:
                return await call(stubs)
            except grpc.aio.AioRpcError as err:
                unreachable = err.code() == grpc.StatusCode.UNAVAILABLE
                # no answer in time: this member may be cut off from the others
                silent = err.code() == grpc.StatusCode.DEADLINE_EXCEEDED and len(self.endpoints) > 1
                if unreachable or silent:
                    # the calls after this one go to the next member, even when
                    # this one (a write that may have been applied) is not resent
                    self._current = (self._current + 1) % len(self.endpoints)
                retry = (unreachable or silent) and (idempotent or never_sent(err))
                if not retry or attempt == attempts - 1:
                    raise from_grpc_error(err) from None
                if self._current == 0:
                    await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    # ----------------------------------------------------------------------- KV
    async def get(self, key: Key, *, range_end: Key = b"", prefix: bool = False, revision: int = 0,
                  limit: int = 0, serializable: bool = False, keys_only: bool = False,
                  count_only: bool = False) -> rpc_pb2.RangeResponse:
        key = _b(key)
        req = rpc_pb2.RangeRequest(key=key, range_end=prefix_end(key) if prefix else _b(range_end),
                                   revision=revision, limit=limit, serializable=serializable,
                                   keys_only=keys_only, count_only=count_only)
        return await self.range(req)

    async def range(self, req: rpc_pb2.RangeRequest) -> rpc_pb2.RangeResponse:
        return await self._call(lambda s: s.kv.Range(req, timeout=self.timeout), idempotent=True)

    async def put(self, key: Key, value: Key, *, lease: int = 0, prev_kv: bool = False) -> rpc_pb2.PutResponse:
        req = rpc_pb2.PutRequest(key=_b(key), value=_b(value), lease=lease, prev_kv=prev_kv)
        return await self._call(lambda s: s.kv.Put(req, timeout=self.timeout), idempotent=False)

    async def delete(self, key: Key, *, range_end: Key = b"", prefix: bool = False,
                     prev_kv: bool = False) -> rpc_pb2.DeleteRangeResponse:
        key = _b(key)
        req = rpc_pb2.DeleteRangeRequest(key=key, range_end=prefix_end(key) if prefix else _b(range_end),
                                         prev_kv=prev_kv)
        return await self._call(lambda s: s.kv.DeleteRange(req, timeout=self.timeout), idempotent=False)

    async def txn(self, req: rpc_pb2.TxnRequest) -> rpc_pb2.TxnResponse:
        return await self._call(lambda s: s.kv.Txn(req, timeout=self.timeout), idempotent=False)

    async def txn_with_entry(self, req: rpc_pb2.TxnRequest) -> tuple[rpc_pb2.TxnResponse, RaftEntry | None]:
        """`txn`, and the Raft entry that carried it when the server is etcdlite."""
        async def call(stubs: _Stubs) -> tuple[rpc_pb2.TxnResponse, RaftEntry | None]:
            rpc = stubs.kv.Txn(req, timeout=self.timeout)
            response = await rpc
            return response, RaftEntry.from_metadata(await rpc.trailing_metadata())
        return await self._call(call, idempotent=False)

    async def compact(self, revision: int) -> rpc_pb2.CompactionResponse:
        req = rpc_pb2.CompactionRequest(revision=revision)
        return await self._call(lambda s: s.kv.Compact(req, timeout=self.timeout), idempotent=False)

    # -------------------------------------------------------------------- lease
    async def lease_grant(self, ttl: int, lease_id: int = 0) -> rpc_pb2.LeaseGrantResponse:
        req = rpc_pb2.LeaseGrantRequest(TTL=ttl, ID=lease_id)
        return await self._call(lambda s: s.lease.LeaseGrant(req, timeout=self.timeout), idempotent=False)

    async def lease_revoke(self, lease_id: int) -> rpc_pb2.LeaseRevokeResponse:
        req = rpc_pb2.LeaseRevokeRequest(ID=lease_id)
        return await self._call(lambda s: s.lease.LeaseRevoke(req, timeout=self.timeout), idempotent=True)

    async def lease_keepalive_once(self, lease_id: int) -> rpc_pb2.LeaseKeepAliveResponse:
        async def once(stubs: _Stubs) -> rpc_pb2.LeaseKeepAliveResponse:
            call = stubs.lease.LeaseKeepAlive(timeout=self.timeout)
            await call.write(rpc_pb2.LeaseKeepAliveRequest(ID=lease_id))
            response = await call.read()
            call.cancel()
            return response  # type: ignore[no-any-return]
        return await self._call(once, idempotent=True)

    async def lease_time_to_live(self, lease_id: int, keys: bool = False) -> rpc_pb2.LeaseTimeToLiveResponse:
        req = rpc_pb2.LeaseTimeToLiveRequest(ID=lease_id, keys=keys)
        return await self._call(lambda s: s.lease.LeaseTimeToLive(req, timeout=self.timeout), idempotent=True)

    async def leases(self) -> rpc_pb2.LeaseLeasesResponse:
        req = rpc_pb2.LeaseLeasesRequest()
        return await self._call(lambda s: s.lease.LeaseLeases(req, timeout=self.timeout), idempotent=True)

    # ------------------------------------------------------- cluster, status
    async def member_list(self) -> rpc_pb2.MemberListResponse:
        req = rpc_pb2.MemberListRequest()
        return await self._call(lambda s: s.cluster.MemberList(req, timeout=self.timeout), idempotent=True)

    async def status(self, endpoint: str) -> rpc_pb2.StatusResponse:
        """Status of one specific endpoint (no failover: the answer is per member)."""
        try:
            return await self._stubs_for(endpoint).maintenance.Status(rpc_pb2.StatusRequest(),
                                                                     timeout=self.timeout)
        except grpc.aio.AioRpcError as err:
            raise from_grpc_error(err) from None

    async def hash_kv(self, endpoint: str, revision: int = 0) -> rpc_pb2.HashKVResponse:
        try:
            return await self._stubs_for(endpoint).maintenance.HashKV(rpc_pb2.HashKVRequest(revision=revision),
                                                                     timeout=self.timeout)
        except grpc.aio.AioRpcError as err:
            raise from_grpc_error(err) from None

    def _stubs_for(self, endpoint: str) -> _Stubs:
        if endpoint not in self._stubs:
            self._stubs[endpoint] = _Stubs(grpc.aio.insecure_channel(endpoint))
        return self._stubs[endpoint]

    # -------------------------------------------------------------------- watch
    def watch(self, key: Key, *, range_end: Key = b"", prefix: bool = False, start_revision: int = 0,
              prev_kv: bool = False, progress_notify: bool = False) -> Watch:
        key = _b(key)
        create = rpc_pb2.WatchCreateRequest(key=key, range_end=prefix_end(key) if prefix else _b(range_end),
                                            start_revision=start_revision, prev_kv=prev_kv,
                                            progress_notify=progress_notify)
        return Watch(self, create)


class Watch:
    """One watcher as an async iterator of WatchResponses with events.

    The first response (created) is consumed internally; `created` is set once
    the server confirmed the watch. If the connection breaks, the watch is
    re-created on the next endpoint from the revision after the last event seen.
    A cancellation by the server (e.g. compaction) ends the iteration with the
    typed error.
    """

    def __init__(self, client: EtcdClient, create: rpc_pb2.WatchCreateRequest) -> None:
        self._client = client
        self._create = create
        self._call: Any = None
        self.created = asyncio.Event()
        self.last_revision = 0

    async def _open(self) -> None:
        stubs = self._client._stubs[self._client.endpoint]
        self._call = stubs.watch.Watch()
        create = rpc_pb2.WatchCreateRequest()
        create.CopyFrom(self._create)
        if self.last_revision:
            create.start_revision = self.last_revision + 1
        await self._call.write(rpc_pb2.WatchRequest(create_request=create))

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()

    async def request_progress(self) -> None:
        """Ask the server for a progress response (header.revision = now)."""
        if self._call is not None:
            await self._call.write(rpc_pb2.WatchRequest(progress_request=rpc_pb2.WatchProgressRequest()))

    def __aiter__(self) -> AsyncIterator[rpc_pb2.WatchResponse]:
        return self._responses()

    async def _responses(self) -> AsyncIterator[rpc_pb2.WatchResponse]:
        failures = 0
        while True:
            try:
                if self._call is None:
                    await self._open()
                response = await self._call.read()
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.CANCELLED:
                    return
                if err.code() != grpc.StatusCode.UNAVAILABLE or failures > 4 * len(self._client.endpoints):
                    raise from_grpc_error(err) from None
                failures += 1
                self._call = None
                self._client._current = (self._client._current + 1) % len(self._client.endpoints)
                await asyncio.sleep(0.1)
                continue
            if response is grpc.aio.EOF:
                return
            failures = 0
            if response.canceled:
                if response.compact_revision:
                    raise Compacted(response.compact_revision)
                return
            if response.created:
                self.created.set()
                continue
            if response.events:
                self.last_revision = response.events[-1].kv.mod_revision
            yield response
