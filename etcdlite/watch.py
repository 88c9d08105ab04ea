"""The watch hub: hangs off the MVCC store and fans applied events out to watchers.

A new watcher first replays history from its start revision, then joins the
synced set; both happen under the store lock, so no revision is missed or sent
twice between the two. Delivery crosses from the apply thread to the gRPC loop
through each stream's queue. If the store is replaced by a snapshot, every
watcher catches up again from the revision after the last one it was sent (or is
cancelled with the compaction revision if that history is gone), as etcd's
watchable store does on restore.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from etcdlite.errors import Compacted
from etcdlite.keyrange import in_range
from etcdlite.mvcc import MvccStore
from kubelite.gen.etcdserverpb import rpc_pb2
from kubelite.gen.mvccpb import kv_pb2

Event = kv_pb2.Event
NOPUT = rpc_pb2.WatchCreateRequest.NOPUT
NODELETE = rpc_pb2.WatchCreateRequest.NODELETE


@dataclass(frozen=True)
class Delivery:
    """Events of one revision for one watcher, or its cancellation."""

    watch_id: int
    revision: int
    events: list[Event]
    compact_revision: int = 0  # > 0: the watcher is cancelled, history is gone


class WatchStream:
    """The queue between the hub (apply thread) and one gRPC Watch call."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()

    def push(self, delivery: Delivery) -> None:
        self._loop.call_soon_threadsafe(self.queue.put_nowait, delivery)


@dataclass(eq=False)
class Watcher:
    watch_id: int
    key: bytes
    range_end: bytes
    stream: WatchStream
    filters: frozenset[int] = frozenset()
    prev_kv: bool = False
    progress_notify: bool = False
    next_revision: int = 0  # first revision not yet delivered
    sent_since_progress: bool = field(default=False)

    def select(self, events: Iterable[Event]) -> list[Event]:
        out = []
        for event in events:
            if event.type == Event.PUT and NOPUT in self.filters:
                continue
            if event.type == Event.DELETE and NODELETE in self.filters:
                continue
            if in_range(event.kv.key, self.key, self.range_end):
                out.append(event)
        return out


class WatchHub:
    """StoreObserver that routes every applied revision to matching watchers."""

    def __init__(self, store: MvccStore) -> None:
        self._store = store
        self._watchers: list[Watcher] = []
        store.add_observer(self)

    def add(self, watcher: Watcher, start_revision: int) -> None:
        """Register `watcher`, replaying history from `start_revision` (0: now).
        Raises Compacted when that history is gone."""
        with self._store.lock:
            current = self._store.revision
            if 0 < start_revision <= current:
                for revision, events in self._store.events_since(start_revision):
                    self._send(watcher, revision, events)
            watcher.next_revision = max(start_revision, current + 1)
            self._watchers.append(watcher)

    def remove(self, watcher: Watcher) -> None:
        with self._store.lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def _send(self, watcher: Watcher, revision: int, events: list[Event]) -> None:
        selected = watcher.select(events)
        if selected:
            watcher.stream.push(Delivery(watcher.watch_id, revision, selected))
        watcher.next_revision = revision + 1

    # StoreObserver
    def on_events(self, revision: int, events: list[Event]) -> None:
        for watcher in self._watchers:
            self._send(watcher, revision, events)

    def on_restored(self) -> None:
        for watcher in list(self._watchers):
            try:
                history = self._store.events_since(watcher.next_revision)
            except Compacted as err:
                self._watchers.remove(watcher)
                watcher.stream.push(Delivery(watcher.watch_id, self._store.revision, [],
                                             compact_revision=err.compact_revision))
                continue
            for revision, events in history:
                self._send(watcher, revision, events)

    def on_lease_granted(self, lease_id: int, ttl: int) -> None:
        pass

    def on_lease_renewed(self, lease_id: int, ttl: int) -> None:
        pass

    def on_lease_removed(self, lease_id: int) -> None:
        pass
