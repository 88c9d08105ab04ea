"""The scheduling queue: active pods by priority then arrival, per-pod
exponential backoff after a failed attempt (1 s doubling to 10 s), and an
unschedulable set that cluster changes (a node added or changed, a pod
deleted) move back to active, as kube-scheduler's queue does."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

Key = tuple[str, str]
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0


class SchedulingQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[int, int, Key]] = []
        self._queued: set[Key] = set()
        self._backoff: dict[Key, float] = {}       # key -> ready time
        self._unschedulable: set[Key] = set()
        self._attempts: dict[Key, int] = {}
        self._priority: dict[Key, int] = {}
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()

    def __len__(self) -> int:
        return len(self._queued) + len(self._backoff) + len(self._unschedulable)

    def add(self, key: Key, priority: int = 0) -> None:
        """A new or changed pending pod: schedule it (unless it is backing off)."""
        self._priority[key] = priority
        if key in self._queued or key in self._backoff:
            return
        self._unschedulable.discard(key)
        self._push(key)

    def _push(self, key: Key) -> None:
        self._queued.add(key)
        heapq.heappush(self._heap, (-self._priority.get(key, 0), next(self._seq), key))
        self._wakeup.set()

    def forget(self, key: Key) -> None:
        """The pod is bound or gone."""
        self._queued.discard(key)
        self._backoff.pop(key, None)
        self._unschedulable.discard(key)
        self._attempts.pop(key, None)
        self._priority.pop(key, None)

    def backoff_duration(self, key: Key) -> float:
        attempts = self._attempts.get(key, 1)
        return float(min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** (attempts - 1)))

    def requeue_with_backoff(self, key: Key) -> None:
        self._attempts[key] = self._attempts.get(key, 0) + 1
        self._backoff[key] = self._clock() + self.backoff_duration(key)
        self._wakeup.set()

    def mark_unschedulable(self, key: Key) -> None:
        self._attempts[key] = self._attempts.get(key, 0) + 1
        self._unschedulable.add(key)

    def cluster_changed(self) -> None:
        """Something that may make unschedulable pods fit happened: retry them
        after their backoff."""
        for key in list(self._unschedulable):
            self._unschedulable.discard(key)
            self._backoff[key] = self._clock() + self.backoff_duration(key)
        self._wakeup.set()

    def _promote_ready(self) -> float | None:
        now = self._clock()
        soonest = None
        for key, ready in list(self._backoff.items()):
            if ready <= now:
                del self._backoff[key]
                self._push(key)
            elif soonest is None or ready < soonest:
                soonest = ready
        return None if soonest is None else soonest - now

    async def pop(self) -> Key:
        while True:
            wait = self._promote_ready()
            while self._heap:
                _, _, key = heapq.heappop(self._heap)
                if key in self._queued:
                    self._queued.discard(key)
                    return key
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=wait if wait is not None else 1.0)
            except TimeoutError:
                pass
