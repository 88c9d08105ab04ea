"""What every controller of the controller-manager is built from, as in
kube-controller-manager: informers feed a rate-limited work queue of object
keys; workers reconcile one key at a time (a key is never worked on twice at
once); a failed key is retried with exponential backoff; `Expectations`
remember the creates and deletes a controller asked for until its informer
has seen them, so it never creates twice what it already asked for."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", "") or "", meta.get("name", "")


class WorkQueue:
    """Deduplicating queue of keys with per-key exponential backoff (5 ms
    doubling to `max_delay`), like client-go's rate-limited work queue."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 30.0) -> None:
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._processing: set[Key] = set()
        self._dirty: set[Key] = set()
        self._failures: dict[Key, int] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self.base_delay, self.max_delay = base_delay, max_delay

    def add(self, key: Key) -> None:
        if key in self._processing:
            self._dirty.add(key)  # worked on now: once more afterwards
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def add_after(self, key: Key, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        timer = self._timers.get(key)
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        if timer is not None and timer.when() <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: Key) -> None:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, min(self.max_delay, self.base_delay * (2 ** failures)))

    def forget(self, key: Key) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return self._queue.qsize()

    async def get(self) -> Key:
        key = await self._queue.get()
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: Key) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)


async def run_workers(name: str, queue: WorkQueue, sync: Callable[[Key], Awaitable[None]], stop: asyncio.Event,
                      workers: int = 4) -> None:
    """Work the queue until `stop`: `sync(key)` reconciles one key; an
    exception retries it with backoff."""

    async def worker() -> None:
        while True:
            key = await queue.get()
            try:
                await sync(key)
                queue.forget(key)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.info("%s: syncing %s/%s failed (%s); retrying", name, key[0], key[1], err)
                queue.add_rate_limited(key)
            finally:
                queue.done(key)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Expectations:
    """Per controller key: how many creates and deletes it still expects its
    informer to observe. While any are pending (and not expired, 5 minutes as
    in Kubernetes) the controller must not act on its stale view."""

    TTL = 300.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._pending: dict[Key, tuple[int, int, float]] = {}
        self._clock = clock

    def expect(self, key: Key, creates: int = 0, deletes: int = 0) -> None:
        add, delete, _ = self._pending.get(key, (0, 0, 0.0))
        self._pending[key] = (add + creates, delete + deletes, self._clock())

    def created(self, key: Key) -> None:
        self._lower(key, 1, 0)

    def deleted(self, key: Key) -> None:
        self._lower(key, 0, 1)

    def _lower(self, key: Key, creates: int, deletes: int) -> None:
        if key in self._pending:
            add, delete, at = self._pending[key]
            self._pending[key] = (add - creates, delete - deletes, at)

    def satisfied(self, key: Key) -> bool:
        pending = self._pending.get(key)
        if pending is None:
            return True
        add, delete, at = pending
        if (add <= 0 and delete <= 0) or self._clock() - at > self.TTL:
            self._pending.pop(key, None)
            return True
        return False

    def forget(self, key: Key) -> None:
        self._pending.pop(key, None)


def owner_reference(owner: Obj, api_version: str, kind: str, controller: bool = True) -> Obj:
    return {"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": controller, "blockOwnerDeletion": True}


def controller_of(obj: Obj) -> Obj | None:
    """The ownerReference with controller: true, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


# The informer indexes controllers ask by: what an owner controls, the objects
# nobody controls (candidates for adoption) in a namespace, and a namespace.
BY_CONTROLLER = "controller-uid"
ORPHANS = "orphans-by-namespace"
BY_NAMESPACE = "namespace"


def _controller_uid(obj: Obj) -> list[str]:
    ref = controller_of(obj)
    return [str(ref["uid"])] if ref is not None and ref.get("uid") else []


def _orphan_namespace(obj: Obj) -> list[str]:
    return [] if controller_of(obj) is not None else [(obj.get("metadata") or {}).get("namespace", "") or ""]


def _namespace(obj: Obj) -> list[str]:
    return [(obj.get("metadata") or {}).get("namespace", "") or ""]


def indexed(informer: Any) -> Any:
    """The informer, with the ownership and namespace indexes (registered once)."""
    informer.add_index(BY_CONTROLLER, _controller_uid)
    informer.add_index(ORPHANS, _orphan_namespace)
    informer.add_index(BY_NAMESPACE, _namespace)
    return informer


class SharedInformers:
    """One informer per resource for the whole controller-manager (every
    controller registers handlers on the same watch-fed cache), as client-go's
    shared informer factory: the cost is one watch per resource, not one per
    controller."""

    def __init__(self, client: Any) -> None:
        from kubelite.informer import Informer

        self._make = lambda resource: Informer(client, resource)
        self._informers: dict[str, Any] = {}

    def informer(self, resource: str) -> Any:
        if resource not in self._informers:
            self._informers[resource] = self._make(resource)
        return self._informers[resource]

    def start(self) -> None:
        for informer in self._informers.values():
            if informer._task is None:
                informer.start()

    async def wait_synced(self) -> None:
        await asyncio.gather(*(i.synced.wait() for i in self._informers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(i.stop() for i in self._informers.values()))
