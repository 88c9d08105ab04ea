"""The MVCC state machine at the bottom of etcdlite: a global revision, per-key
history (create_revision, mod_revision, version, lease), leases, and the event
history that watches replay until compaction.

It is deterministic: `apply` depends only on the current state and the command,
never on a clock, randomness or I/O, so three replicas applying the same Raft log
reach the same state. It knows nothing of Raft or gRPC; the replication adapter
calls `apply`, the servicers call `range`, and observers (the watch hub, the
lessor) are told what each applied command changed.
"""

from __future__ import annotations

import bisect
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from google.protobuf.message import Message
from sortedcontainers import SortedDict

from etcdlite.errors import (
    Compacted,
    FutureRevision,
    InvalidArgument,
    KeyNotFound,
    LeaseExists,
    LeaseNotFound,
)
from etcdlite.keyrange import bounds, in_range
from kubelite.gen.etcdlite.v1 import command_pb2
from kubelite.gen.etcdserverpb import rpc_pb2
from kubelite.gen.mvccpb import kv_pb2

KeyValue = kv_pb2.KeyValue
Event = kv_pb2.Event
Compare = rpc_pb2.Compare
RangeRequest = rpc_pb2.RangeRequest

MIN_LEASE_TTL = 2
MAX_LEASE_TTL = 9_000_000_000


class StoreObserver(Protocol):
    """What the store tells the layers above it, in apply order, under its lock."""

    def on_events(self, revision: int, events: list[Event]) -> None: ...

    def on_lease_granted(self, lease_id: int, ttl: int) -> None: ...

    def on_lease_renewed(self, lease_id: int, ttl: int) -> None: ...

    def on_lease_removed(self, lease_id: int) -> None: ...

    def on_restored(self) -> None: ...


@dataclass(slots=True)
class _Entry:
    """One change of one key: a put (kv.version > 0) or a tombstone (version 0)."""

    kv: KeyValue
    sub: int

    @property
    def revision(self) -> int:
        return self.kv.mod_revision

    @property
    def alive(self) -> bool:
        return self.kv.version > 0


@dataclass(slots=True)
class _Lease:
    ttl: int
    keys: set[bytes] = field(default_factory=set)


def _entry_revision(entry: _Entry) -> int:
    return entry.kv.mod_revision


class _WriteTxn:
    """Buffered changes of one revision; nothing touches the store until commit,
    so an error half-way through a txn leaves the state exactly as it was."""

    def __init__(self, store: MvccStore) -> None:
        self.store = store
        self.revision = store.revision + 1
        self.changes: dict[bytes, KeyValue] = {}

    def get(self, key: bytes) -> KeyValue | None:
        if key in self.changes:
            kv = self.changes[key]
            return kv if kv.version else None
        return self.store._live(key)

    def live_keys(self, key: bytes, range_end: bytes) -> list[bytes]:
        keys = set(self.store._live_keys(key, range_end, self.store.revision))
        for changed, kv in self.changes.items():
            if in_range(changed, key, range_end):
                if kv.version:
                    keys.add(changed)
                else:
                    keys.discard(changed)
        return sorted(keys)

    def put(self, key: bytes, value: bytes, lease: int) -> KeyValue | None:
        prev = self.get(key)
        kv = KeyValue(
            key=key,
            value=value,
            lease=lease,
            mod_revision=self.revision,
            create_revision=prev.create_revision if prev else self.revision,
            version=prev.version + 1 if prev else 1,
        )
        self.changes.pop(key, None)  # keep change order = operation order
        self.changes[key] = kv
        return prev

    def delete(self, key: bytes) -> KeyValue | None:
        prev = self.get(key)
        if prev is None:
            return None
        self.changes.pop(key, None)
        self.changes[key] = KeyValue(key=key, mod_revision=self.revision)
        return prev


class MvccStore:
    """Multi-version key-value state. `apply` is the only way to change it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.revision = 1
        self.compact_revision = 0
        self._keys: SortedDict = SortedDict()  # key -> list[_Entry], ascending revision
        self._events: list[tuple[int, list[Event]]] = []  # ascending revision
        self._leases: dict[int, _Lease] = {}
        self.members: dict[str, list[str]] = {}
        self.db_size = 0
        self._observers: list[StoreObserver] = []

    # ----------------------------------------------------------------- observers
    def add_observer(self, observer: StoreObserver) -> None:
        with self.lock:
            self._observers.append(observer)

    def remove_observer(self, observer: StoreObserver) -> None:
        with self.lock:
            if observer in self._observers:
                self._observers.remove(observer)

    # -------------------------------------------------------------------- apply
    def apply(self, command: command_pb2.Command) -> Message:
        """Apply one replicated command and return its etcd response, whose
        header carries only the revision after the command. Raises an
        EtcdliteError, leaving the state untouched, when it cannot be applied."""
        with self.lock:
            response = self._apply(command)
            if response.DESCRIPTOR.fields_by_name.get("header") is not None:
                response.header.revision = self.revision
            return response

    def _apply(self, command: command_pb2.Command) -> Message:
        kind = command.WhichOneof("request")
        if kind is not None:
            if kind == "put":
                return self._write(lambda tx: self._put(tx, command.put))
            if kind == "delete_range":
                return self._write(lambda tx: self._delete_range(tx, command.delete_range))
            if kind == "txn":
                return self._write(lambda tx: self._txn(tx, command.txn))
            if kind == "compaction":
                return self._compact(command.compaction.revision)
            if kind == "lease_grant":
                return self._lease_grant(command.lease_grant)
            if kind == "lease_revoke":
                return self._lease_revoke(command.lease_revoke.ID)
            if kind == "lease_renew":
                return self._lease_renew(command.lease_renew.ID)
            if kind == "member_attributes":
                attrs = command.member_attributes
                self.members[attrs.name] = list(attrs.client_urls)
                return attrs
        raise InvalidArgument(f"etcdlite: unknown command {kind!r}")

    def _write(self, body: callable) -> Message:  # type: ignore[valid-type]
        tx = _WriteTxn(self)
        response = body(tx)
        self._commit(tx)
        return response

    def _commit(self, tx: _WriteTxn) -> None:
        if not tx.changes:
            return
        events: list[Event] = []
        for sub, (key, kv) in enumerate(tx.changes.items()):
            history = self._keys.get(key)
            if history is None:
                history = self._keys[key] = []
            prev = history[-1].kv if history and history[-1].alive else None
            if prev is not None and prev.lease:
                self._detach(prev.lease, key)
            if kv.version and kv.lease:
                self._leases[kv.lease].keys.add(key)
            history.append(_Entry(kv, sub))
            self.db_size += len(key) + len(kv.value) + 48
            event = Event(type=Event.PUT if kv.version else Event.DELETE, kv=kv)
            if prev is not None:
                event.prev_kv.CopyFrom(prev)
            events.append(event)
        self.revision = tx.revision
        self._events.append((tx.revision, events))
        for observer in self._observers:
            observer.on_events(tx.revision, events)

    def _detach(self, lease_id: int, key: bytes) -> None:
        lease = self._leases.get(lease_id)
        if lease is not None:
            lease.keys.discard(key)

    # ------------------------------------------------------------------- writes
    def _put(self, tx: _WriteTxn, req: rpc_pb2.PutRequest) -> rpc_pb2.PutResponse:
        current = tx.get(req.key)
        if (req.ignore_value or req.ignore_lease) and current is None:
            raise KeyNotFound()
        value = current.value if req.ignore_value and current else req.value
        lease = current.lease if req.ignore_lease and current else req.lease
        if lease and lease not in self._leases:
            raise LeaseNotFound()
        prev = tx.put(req.key, value, lease)
        response = rpc_pb2.PutResponse()
        if req.prev_kv and prev is not None:
            response.prev_kv.CopyFrom(prev)
        return response

    def _delete_range(self, tx: _WriteTxn, req: rpc_pb2.DeleteRangeRequest) -> rpc_pb2.DeleteRangeResponse:
        response = rpc_pb2.DeleteRangeResponse()
        for key in tx.live_keys(req.key, req.range_end):
            prev = tx.delete(key)
            if prev is not None:
                response.deleted += 1
                if req.prev_kv:
                    response.prev_kvs.append(prev)
        return response

    def _txn(self, tx: _WriteTxn, req: rpc_pb2.TxnRequest) -> rpc_pb2.TxnResponse:
        succeeded = all(self._compare(tx, c) for c in req.compare)
        response = rpc_pb2.TxnResponse(succeeded=succeeded)
        for op in req.success if succeeded else req.failure:
            kind = op.WhichOneof("request")
            out = response.responses.add()
            if kind == "request_range":
                out.response_range.CopyFrom(self._range_in_txn(tx, op.request_range))
            elif kind == "request_put":
                out.response_put.CopyFrom(self._put(tx, op.request_put))
            elif kind == "request_delete_range":
                out.response_delete_range.CopyFrom(self._delete_range(tx, op.request_delete_range))
            elif kind == "request_txn":
                out.response_txn.CopyFrom(self._txn(tx, op.request_txn))
        return response

    def _compare(self, tx: _WriteTxn, c: rpc_pb2.Compare) -> bool:
        if c.range_end:
            found = [kv for k in tx.live_keys(c.key, c.range_end) if (kv := tx.get(k)) is not None]
        else:
            kv = tx.get(c.key)
            found = [kv] if kv is not None else []
        if not found:
            if c.target == Compare.VALUE:
                return False
            found = [KeyValue()]
        return all(_compare_one(c, kv) for kv in found)

    def _range_in_txn(self, tx: _WriteTxn, req: RangeRequest) -> rpc_pb2.RangeResponse:
        if req.revision > 0 or not tx.changes:
            return self._range_locked(req)
        kvs = [kv for k in tx.live_keys(req.key, req.range_end) if (kv := tx.get(k)) is not None]
        return _shape_range(req, kvs)

    def _compact(self, revision: int) -> rpc_pb2.CompactionResponse:
        if revision <= self.compact_revision:
            raise Compacted(self.compact_revision)
        if revision > self.revision:
            raise FutureRevision()
        for key in list(self._keys):
            history = self._keys[key]
            last = bisect.bisect_right(history, revision, key=_entry_revision) - 1
            if last < 0:
                continue
            keep_from = last if history[last].alive else last + 1
            for dropped in history[:keep_from]:
                self.db_size -= len(key) + len(dropped.kv.value) + 48
            del history[:keep_from]
            if not history:
                del self._keys[key]
        cut = bisect.bisect_left(self._events, revision, key=lambda item: item[0])
        del self._events[:cut]
        if self._events and self._events[0][0] == revision:
            # At the compaction revision only the puts survive, and what they
            # replaced is gone (etcd: no prev_kv once it is compacted).
            kept = [Event(type=e.type, kv=e.kv) for e in self._events[0][1] if e.type == Event.PUT]
            if kept:
                self._events[0] = (revision, kept)
            else:
                del self._events[0]
        self.compact_revision = revision
        return rpc_pb2.CompactionResponse()

    # ------------------------------------------------------------------- leases
    def _lease_grant(self, req: rpc_pb2.LeaseGrantRequest) -> rpc_pb2.LeaseGrantResponse:
        if req.ID <= 0:
            raise InvalidArgument("etcdserver: lease ID must be positive")
        if req.TTL > MAX_LEASE_TTL:
            raise InvalidArgument("etcdserver: too large lease TTL")
        if req.ID in self._leases:
            raise LeaseExists()
        ttl = max(req.TTL, MIN_LEASE_TTL)
        self._leases[req.ID] = _Lease(ttl)
        for observer in self._observers:
            observer.on_lease_granted(req.ID, ttl)
        return rpc_pb2.LeaseGrantResponse(ID=req.ID, TTL=ttl)

    def _lease_revoke(self, lease_id: int) -> rpc_pb2.LeaseRevokeResponse:
        lease = self._leases.get(lease_id)
        if lease is None:
            raise LeaseNotFound()
        tx = _WriteTxn(self)
        for key in sorted(lease.keys):
            tx.delete(key)
        self._commit(tx)
        del self._leases[lease_id]
        for observer in self._observers:
            observer.on_lease_removed(lease_id)
        return rpc_pb2.LeaseRevokeResponse()

    def _lease_renew(self, lease_id: int) -> rpc_pb2.LeaseKeepAliveResponse:
        lease = self._leases.get(lease_id)
        if lease is None:
            return rpc_pb2.LeaseKeepAliveResponse(ID=lease_id, TTL=0)
        for observer in self._observers:
            observer.on_lease_renewed(lease_id, lease.ttl)
        return rpc_pb2.LeaseKeepAliveResponse(ID=lease_id, TTL=lease.ttl)

    def lease(self, lease_id: int) -> tuple[int, list[bytes]] | None:
        """(granted TTL, attached keys in order) of a lease, or None."""
        with self.lock:
            lease = self._leases.get(lease_id)
            return None if lease is None else (lease.ttl, sorted(lease.keys))

    def lease_ttls(self) -> dict[int, int]:
        """Granted TTL of every lease, by ID."""
        with self.lock:
            return {lease_id: lease.ttl for lease_id, lease in self._leases.items()}

    def lease_ids(self) -> list[int]:
        with self.lock:
            return sorted(self._leases)

    # -------------------------------------------------------------------- reads
    def range(self, req: RangeRequest) -> rpc_pb2.RangeResponse:
        """Read [key, range_end) at req.revision (<= 0: newest). Raises Compacted
        below the compaction revision and FutureRevision above the current one."""
        with self.lock:
            return self._range_locked(req)

    def _range_locked(self, req: RangeRequest) -> rpc_pb2.RangeResponse:
        revision = req.revision if req.revision > 0 else self.revision
        if revision > self.revision:
            raise FutureRevision()
        if revision < self.compact_revision:
            raise Compacted(self.compact_revision)
        kvs = list(self._kvs_at(req.key, req.range_end, revision))
        return _shape_range(req, kvs)

    def _live(self, key: bytes) -> KeyValue | None:
        history = self._keys.get(key)
        if history and history[-1].alive:
            return history[-1].kv
        return None

    def _live_keys(self, key: bytes, range_end: bytes, revision: int) -> Iterator[bytes]:
        for kv in self._kvs_at(key, range_end, revision):
            yield kv.key

    def _kvs_at(self, key: bytes, range_end: bytes, revision: int) -> Iterator[KeyValue]:
        lo, hi, inclusive = bounds(key, range_end)
        if hi is not None and (hi < lo or (hi == lo and not inclusive)):
            return
        if hi is not None and inclusive:  # single key: skip the iterator
            history = self._keys.get(lo)
            candidates: Iterable[bytes] = (lo,) if history else ()
        else:
            candidates = self._keys.irange(lo, hi, inclusive=(True, inclusive))
        current = revision >= self.revision
        for k in candidates:
            history = self._keys[k]
            if current:
                entry = history[-1]
            else:
                i = bisect.bisect_right(history, revision, key=_entry_revision) - 1
                if i < 0:
                    continue
                entry = history[i]
            if entry.alive:
                yield entry.kv

    def events_since(self, revision: int) -> list[tuple[int, list[Event]]]:
        """History from `revision` (inclusive) on, for a watch catching up.
        Raises Compacted if that part of the history is gone."""
        with self.lock:
            if revision < self.compact_revision:
                raise Compacted(self.compact_revision)
            start = bisect.bisect_left(self._events, revision, key=lambda item: item[0])
            return self._events[start:]

    # --------------------------------------------------------------- snapshots
    def snapshot(self) -> command_pb2.StoreSnapshot:
        """The whole state as one message (for Raft snapshots and digests)."""
        with self.lock:
            return self._snapshot_upto(self.revision)

    def _snapshot_upto(self, revision: int) -> command_pb2.StoreSnapshot:
        snap = command_pb2.StoreSnapshot(revision=revision, compact_revision=self.compact_revision)
        for key, history in self._keys.items():
            entries = [e for e in history if e.kv.mod_revision <= revision]
            if entries:
                record = snap.keys.add(key=key)
                for entry in entries:
                    record.entries.add(kv=entry.kv, sub=entry.sub)
        for lease_id in sorted(self._leases):
            snap.leases.add(ID=lease_id, TTL=self._leases[lease_id].ttl)
        for name in sorted(self.members):
            snap.members.add(name=name, client_urls=self.members[name])
        return snap

    def restore(self, snap: command_pb2.StoreSnapshot) -> None:
        """Replace the whole state with a snapshot's, then tell the observers."""
        with self.lock:
            self.revision = snap.revision
            self.compact_revision = snap.compact_revision
            self._keys = SortedDict()
            self._leases = {rec.ID: _Lease(rec.TTL) for rec in snap.leases}
            self.members = {m.name: list(m.client_urls) for m in snap.members}
            self.db_size = 0
            by_revision: dict[int, list[tuple[int, Event]]] = {}
            for record in snap.keys:
                history = [_Entry(e.kv, e.sub) for e in record.entries]
                self._keys[record.key] = history
                prev: KeyValue | None = None
                for entry in history:
                    self.db_size += len(record.key) + len(entry.kv.value) + 48
                    event = Event(type=Event.PUT if entry.alive else Event.DELETE, kv=entry.kv)
                    if prev is not None:
                        event.prev_kv.CopyFrom(prev)
                    by_revision.setdefault(entry.revision, []).append((entry.sub, event))
                    prev = entry.kv if entry.alive else None
                last = history[-1] if history else None
                if last is not None and last.alive and last.kv.lease in self._leases:
                    self._leases[last.kv.lease].keys.add(record.key)
            self._events = [
                (rev, [event for _, event in sorted(items, key=lambda item: item[0])])
                for rev, items in sorted(by_revision.items())
                if rev >= self.compact_revision
            ]
            for observer in self._observers:
                observer.on_restored()

    def hash_kv(self, revision: int = 0) -> tuple[int, int]:
        """(crc32 of every key version up to `revision`, compact revision): the
        replica digest compared across members, as etcd's HashKV does."""
        with self.lock:
            upto = revision if revision > 0 else self.revision
            if upto > self.revision:
                raise FutureRevision()
            snap = self._snapshot_upto(upto)
            del snap.members[:]
            snap.revision = upto
            return zlib.crc32(snap.SerializeToString(deterministic=True)), self.compact_revision


def _compare_one(c: rpc_pb2.Compare, kv: KeyValue) -> bool:
    target = c.target
    if target == Compare.VERSION:
        left, right = kv.version, c.version
    elif target == Compare.CREATE:
        left, right = kv.create_revision, c.create_revision
    elif target == Compare.MOD:
        left, right = kv.mod_revision, c.mod_revision
    elif target == Compare.LEASE:
        left, right = kv.lease, c.lease
    else:
        left, right = kv.value, c.value  # type: ignore[assignment]
    result = c.result
    if result == Compare.EQUAL:
        return left == right
    if result == Compare.GREATER:
        return left > right
    if result == Compare.LESS:
        return left < right
    return left != right


_SORT_KEYS = {
    RangeRequest.KEY: lambda kv: kv.key,
    RangeRequest.VERSION: lambda kv: kv.version,
    RangeRequest.CREATE: lambda kv: kv.create_revision,
    RangeRequest.MOD: lambda kv: kv.mod_revision,
    RangeRequest.VALUE: lambda kv: kv.value,
}


def _shape_range(req: RangeRequest, kvs: list[KeyValue]) -> rpc_pb2.RangeResponse:
    """Filters, sort, limit, keys_only and count_only, as etcd applies them."""
    response = rpc_pb2.RangeResponse(count=len(kvs))
    if req.count_only:
        return response
    if req.min_mod_revision:
        kvs = [kv for kv in kvs if kv.mod_revision >= req.min_mod_revision]
    if req.max_mod_revision:
        kvs = [kv for kv in kvs if kv.mod_revision <= req.max_mod_revision]
    if req.min_create_revision:
        kvs = [kv for kv in kvs if kv.create_revision >= req.min_create_revision]
    if req.max_create_revision:
        kvs = [kv for kv in kvs if kv.create_revision <= req.max_create_revision]
    order = req.sort_order
    if order == RangeRequest.NONE and req.sort_target != RangeRequest.KEY:
        order = RangeRequest.ASCEND
    if order == RangeRequest.DESCEND or (order == RangeRequest.ASCEND and req.sort_target != RangeRequest.KEY):
        kvs = sorted(kvs, key=_SORT_KEYS[req.sort_target], reverse=order == RangeRequest.DESCEND)
    if req.limit > 0 and len(kvs) > req.limit:
        kvs = kvs[: req.limit]
        response.more = True
    if req.keys_only:
        response.kvs.extend(KeyValue(key=kv.key, create_revision=kv.create_revision,
                                     mod_revision=kv.mod_revision, version=kv.version, lease=kv.lease)
                            for kv in kvs)
    else:
        response.kvs.extend(kvs)
    return response
