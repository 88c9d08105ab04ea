"""The consensus adapter: the only module that imports pysyncobj.

It turns client commands into batched, pipelined Raft proposals and their
outcomes into asyncio results or typed errors, the way etcd's
`processInternalRaftRequestOnce` registers a waiter, proposes and waits with one
deadline. Every commit is one `CommandBatch` (protobuf bytes) applied to the
`MvccStore` on every replica; pysyncobj's journal and full dump in the data dir
make it durable, and the dump is the store's own protobuf snapshot.

Two pysyncobj behaviours are fenced off here:

* appends are sent as soon as a batch is queued (``appendEntriesUseBatch=False``)
  and at most `max_inflight` batches are outstanding, so a single client sees one
  network round trip, not the 100 ms append period, while 64 clients share a few
  large batches;
* with several appends in flight, pysyncobj's leader rewinds a follower's
  next index whenever an older success reply arrives, re-sends entries the
  follower already applied, and the follower deletes and re-appends them
  ("state machine may have diverged"). A success reply may only move the next
  index forward, as in the Raft paper and etcd-io/raft's `Progress.MaybeUpdate`;
  `_RaftNode` enforces that, so overlapping appends never happen.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import pickle
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message
from pysyncobj import FAIL_REASON, SyncObj, SyncObjConf, SyncObjConsumer, replicated

from etcdlite.errors import EtcdliteError, NoLeader, RequestTimeout, Unavailable
from etcdlite.mvcc import MvccStore
from kubelite.gen.etcdlite.v1 import command_pb2

log = logging.getLogger(__name__)

BATCH_FORMAT_VERSION = 1

# Outcomes after which the command was certainly not applied: safe to propose again.
# LEADER_CHANGED is not among them: a forwarded command may already sit in the old
# leader's log and still commit, so proposing it again could apply it twice.
_RETRYABLE = {FAIL_REASON.MISSING_LEADER, FAIL_REASON.NOT_LEADER, FAIL_REASON.DISCARDED,
              FAIL_REASON.QUEUE_FULL}


@dataclass(frozen=True)
class RaftTuning:
    """Timing of the Raft group. Election timeouts are 4-14x the heartbeat."""

    heartbeat: float = 0.05
    election_min: float = 0.4
    election_max: float = 1.0
    # An isolated leader steps down after this long without a majority.
    leader_fallback: float = 1.5
    reconnect: float = 0.5
    max_inflight: int = 4
    request_timeout: float = 5.0
    # Log entries after which the state is dumped and the Raft log truncated.
    snapshot_count: int = 20000


@dataclass(frozen=True)
class RaftStatus:
    self_peer: str
    leader_peer: str | None
    is_leader: bool
    term: int
    commit_index: int
    applied_index: int
    has_quorum: bool


class _DumpFile:
    """The full dump pysyncobj keeps in the data dir: our protobuf snapshot of
    the store, then pysyncobj's own Raft metadata (the last applied log entries
    and the member set) in its own format.

    pysyncobj would otherwise fork and pickle the whole state in the child;
    forking a process with live gRPC threads segfaults the child, so the dump
    is written in-process, on the Raft thread, through pysyncobj's
    serializer/deserializer hooks.
    """

    def __init__(self, store: MvccStore) -> None:
        self._store = store

    def write(self, path: str, raft_meta: Any) -> None:
        snapshot = self._store.snapshot().SerializeToString()
        with open(path, "wb") as f:
            f.write(struct.pack(">Q", len(snapshot)))
            f.write(snapshot)
            pickle.dump(raft_meta, f)

    def read(self, path: str) -> Any:
        with open(path, "rb") as f:
            (size,) = struct.unpack(">Q", f.read(8))
            snapshot = command_pb2.StoreSnapshot.FromString(f.read(size))
            raft_meta = pickle.load(f)
        self._store.restore(snapshot)
        return raft_meta


class _StoreReplica(SyncObjConsumer):
    """The replicated state machine as pysyncobj sees it: one method."""

    def __init__(self, store: MvccStore) -> None:
        self._store = store
        super().__init__()

    @replicated
    def apply_batch(self, payload: bytes) -> tuple[int, list[Message | EtcdliteError]]:
        """Apply one log entry; return its index (pysyncobj counts an entry as
        applied after this returns) and one result per command."""
        index = int(self._syncObj.raftLastApplied) + 1
        batch = command_pb2.CommandBatch.FromString(payload)
        if batch.version != BATCH_FORMAT_VERSION:
            # A newer replica wrote this entry; refusing each command keeps every
            # replica identical instead of guessing at an unknown format.
            return index, [Unavailable(f"etcdlite: unsupported command batch version {batch.version}")
                           for _ in batch.commands]
        results: list[Message | EtcdliteError] = []
        for command in batch.commands:
            try:
                results.append(self._store.apply(command))
            except EtcdliteError as err:
                results.append(err)
        return index, results



class _RaftNode(SyncObj):
    """pysyncobj's SyncObj with the next-index rule of the Raft paper."""

    def _SyncObj__onMessageReceived(self, node: Any, message: dict[str, Any]) -> None:
        if message.get("type") != "next_node_idx" or not message.get("success") or message.get("reset"):
            SyncObj._SyncObj__onMessageReceived(self, node, message)  # type: ignore[attr-defined]
            return
        next_index: dict[Any, int] = self._SyncObj__raftNextIndex  # type: ignore[attr-defined]
        before = next_index.get(node)
        SyncObj._SyncObj__onMessageReceived(self, node, message)  # type: ignore[attr-defined]
        after = next_index.get(node)
        if before is not None and after is not None and after < before:
            next_index[node] = before


@dataclass(frozen=True)
class Applied:
    """Where a proposal went: its log index, the leader when it was applied
    (peer address, None if unknown) and the time from proposal to applied."""

    index: int
    leader_peer: str | None
    seconds: float


@dataclass
class _Waiter:
    command: command_pb2.Command | None  # None: a read barrier, no command
    future: asyncio.Future[Any]
    since: float = field(default_factory=time.monotonic)  # first proposed (retries keep it)


class Replicator:
    """Proposes commands to the Raft group and waits for them to apply locally."""

    def __init__(
        self,
        self_peer: str,
        peers: list[str],
        data_dir: str,
        store: MvccStore,
        tuning: RaftTuning = RaftTuning(),
        on_leadership: Callable[[bool], None] | None = None,
    ) -> None:
        self.self_peer = self_peer
        self.store = store
        self.tuning = tuning
        self._on_leadership = on_leadership
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Waiter] = []
        self._inflight = 0
        self._flush_scheduled = False
        self.batches = 0
        self.batched_commands = 0
        self._ready = threading.Event()
        os.makedirs(data_dir, exist_ok=True)
        dump = _DumpFile(store)
        conf = SyncObjConf(
            appendEntriesUseBatch=False,
            appendEntriesPeriod=tuning.heartbeat,
            raftMinTimeout=tuning.election_min,
            raftMaxTimeout=tuning.election_max,
            leaderFallbackTimeout=tuning.leader_fallback,
            connectionRetryTime=tuning.reconnect,
            connectionTimeout=max(1.0, tuning.election_max),
            commandsWaitLeader=False,
            dynamicMembershipChange=False,
            journalFile=os.path.join(data_dir, "raft.journal"),
            fullDumpFile=os.path.join(data_dir, "raft.dump"),
            logCompactionMinEntries=tuning.snapshot_count,
            logCompactionMinTime=300,
            serializer=dump.write,
            deserializer=dump.read,
            onStateChanged=self._state_changed,
            onReady=self._ready.set,
        )
        self._replica = _StoreReplica(store)
        others = [p for p in peers if p != self_peer]
        self._node = _RaftNode(self_peer, others, conf, consumers=[self._replica])

    # ---------------------------------------------------------------- lifecycle
    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the asyncio loop that awaits proposals (the gRPC server's)."""
        self._loop = loop

    def stop(self) -> None:
        self._node.destroy()

    def _state_changed(self, old: int, new: int) -> None:
        if self._on_leadership is not None and (old == 2) != (new == 2):
            self._on_leadership(new == 2)

    # ---------------------------------------------------------------- proposing
    async def propose(self, command: command_pb2.Command) -> Message:
        """Commit `command` through Raft and return the store's response once it
        is applied on this replica. Raises the store's typed error, NoLeader or
        RequestTimeout (both Unavailable) within `request_timeout`."""
        response, _ = await self.propose_applied(command)
        return response

    async def propose_applied(self, command: command_pb2.Command) -> tuple[Message, Applied]:
        """`propose`, and which log entry carried the command."""
        result, applied = await self._wait(command)
        if isinstance(result, EtcdliteError):
            raise result
        return result, applied

    async def read_barrier(self) -> None:
        """Return once this replica has applied everything committed before the
        call: a linearizable read may then be served from the local store."""
        await self._wait(None)

    async def _wait(self, command: command_pb2.Command | None) -> Any:
        loop = asyncio.get_running_loop()
        waiter = _Waiter(command, loop.create_future())
        self._pending.append(waiter)
        self._schedule_flush()
        try:
            return await asyncio.wait_for(waiter.future, self.tuning.request_timeout)
        except TimeoutError:
            if self.status().leader_peer is None:
                raise NoLeader() from None
            raise RequestTimeout() from None

    def _schedule_flush(self) -> None:
        # Flush once per loop iteration, so requests that arrived together share a batch.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            assert self._loop is not None
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._pending and self._inflight < self.tuning.max_inflight:
            waiters = [w for w in self._pending if not w.future.done()]
            self._pending = []
            if not waiters:
                return
            batch = command_pb2.CommandBatch(version=BATCH_FORMAT_VERSION)
            batch.commands.extend(w.command for w in waiters if w.command is not None)
            self._inflight += 1
            self.batches += 1
            self.batched_commands += len(batch.commands)
            self._replica.apply_batch(
                batch.SerializeToString(), callback=functools.partial(self._applied, waiters)
            )

    def _applied(self, waiters: list[_Waiter], results: Any, error: int) -> None:
        """pysyncobj's callback, on its tick thread: hand over to the loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._resolve, waiters, results, error)

    def _resolve(self, waiters: list[_Waiter], results: Any, error: int) -> None:
        self._inflight -= 1
        if error == FAIL_REASON.SUCCESS:
            index, outputs = results
            leader, now = self._leader_peer(), time.monotonic()
            commands = iter(outputs)
            for waiter in waiters:
                result = next(commands) if waiter.command is not None else None
                if not waiter.future.done():
                    waiter.future.set_result((result, Applied(index, leader, now - waiter.since)))
        elif error in _RETRYABLE:
            assert self._loop is not None
            self._loop.call_later(0.05, self._retry, waiters)
        else:
            # LEADER_CHANGED, UNKNOWN_OUTCOME...: the command may or may not have
            # committed, so it must not be proposed again.
            outcome: EtcdliteError = (Unavailable("etcdserver: leader changed")
                                      if error == FAIL_REASON.LEADER_CHANGED else RequestTimeout())
            for waiter in waiters:
                if not waiter.future.done():
                    waiter.future.set_exception(outcome)
        self._flush()

    def _retry(self, waiters: list[_Waiter]) -> None:
        self._pending.extend(w for w in waiters if not w.future.done())
        self._flush()

    # ------------------------------------------------------------------- status
    @property
    def term(self) -> int:
        return int(self._node.raftCurrentTerm)

    def _leader_peer(self) -> str | None:
        leader = self._node._getLeader()
        return None if leader is None else str(leader.id)

    def status(self) -> RaftStatus:
        node = self._node
        return RaftStatus(
            self_peer=self.self_peer,
            leader_peer=self._leader_peer(),
            is_leader=node._isLeader(),
            term=node.raftCurrentTerm,
            commit_index=node.raftCommitIndex,
            applied_index=node.raftLastApplied,
            has_quorum=bool(node.hasQuorum),
        )

    def wait_ready(self, timeout: float) -> bool:
        """Whether this replica caught up with the leader's commit index in time."""
        deadline = time.monotonic() + timeout
        return self._ready.wait(max(0.0, deadline - time.monotonic()))
