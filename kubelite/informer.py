"""Informers: a watch-fed cache of one resource, for every controller-like
component (scheduler, node agent, controller-manager).

Lists once, then follows a watch from the list's resourceVersion; on a broken
stream it resumes from the last resourceVersion seen, and relists when that
is too old (410 Expired). Handlers get (event type, object, old object) in
order; nothing polls. Indexes (client-go's Indexer) answer "the pods this
ReplicaSet controls" from a map kept with every event, instead of a scan of
the whole cache per question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import Expired, StatusError

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Handler = Callable[[str, Obj, Obj | None], None]
IndexFunc = Callable[[Obj], Iterable[str]]


def key_of(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


class Informer:
    """Every object of `resource` (optionally in one namespace, filtered by a
    field selector) by (namespace, name), kept current by a watch."""

    def __init__(self, client: ApiClient, resource: str, namespace: str = "", field_selector: str = "",
                 label_selector: str = "") -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.items: dict[tuple[str, str], Obj] = {}
        self.synced = asyncio.Event()
        self.resource_version = ""
        self._handlers: list[Handler] = []
        self._task: asyncio.Task[None] | None = None
        self._index_funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[tuple[str, str]]]] = {}

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.items.get((namespace, name))

    def add_index(self, name: str, func: IndexFunc) -> None:
        """Keep objects findable by `func(obj)`'s values (a second add of a name is a no-op)."""
        if name in self._index_funcs:
            return
        self._index_funcs[name] = func
        self._indices[name] = {}
        for key, obj in self.items.items():
            self._index(name, key, obj)

    def by_index(self, name: str, value: str) -> list[Obj]:
        keys = self._indices[name].get(value, ())
        return [self.items[k] for k in keys if k in self.items]

    def _index(self, name: str, key: tuple[str, str], obj: Obj) -> None:
        for value in self._index_funcs[name](obj):
            self._indices[name].setdefault(value, set()).add(key)

    def _unindex(self, key: tuple[str, str], obj: Obj) -> None:
        for name, func in self._index_funcs.items():
            for value in func(obj):
                keys = self._indices[name].get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._indices[name][value]

    def _put(self, key: tuple[str, str], obj: Obj) -> None:
        old = self.items.get(key)
        if old is not None:
            self._unindex(key, old)
        self.items[key] = obj
        for name in self._index_funcs:
            self._index(name, key, obj)

    def _pop(self, key: tuple[str, str]) -> None:
        old = self.items.pop(key, None)
        if old is not None:
            self._unindex(key, old)

    def values(self) -> list[Obj]:
        return list(self.items.values())

    async def _list(self) -> None:
        listed = await self.client.list(self.resource, self.namespace, label_selector=self.label_selector,
                                        field_selector=self.field_selector)
        fresh = {key_of(o): o for o in listed["items"]}
        old_items = dict(self.items)
        for key in old_items:
            if key not in fresh:
                self._pop(key)
        for key, obj in fresh.items():
            self._put(key, obj)
        self.resource_version = listed["metadata"]["resourceVersion"]
        for key, obj in fresh.items():
            old = old_items.get(key)
            if old is None:
                self._emit("ADDED", obj, None)
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._emit("MODIFIED", obj, old)
        for key, old in old_items.items():
            if key not in fresh:
                self._emit("DELETED", old, None)
        self.synced.set()

    async def _run(self) -> None:
        need_list = True
        while True:
            try:
                if need_list:
                    await self._list()
                    need_list = False
                async for kind, obj in self.client.watch(self.resource, self.namespace,
                                                         label_selector=self.label_selector,
                                                         field_selector=self.field_selector,
                                                         resource_version=self.resource_version,
                                                         allow_bookmarks=True):
                    self.resource_version = obj["metadata"].get("resourceVersion", self.resource_version)
                    if kind == "BOOKMARK":
                        continue
                    key = key_of(obj)
                    old = self.items.get(key)
                    if kind == "DELETED":
                        self._pop(key)
                    else:
                        self._put(key, obj)
                    self._emit(kind, obj, old)
                await asyncio.sleep(0.1)  # the server ended the stream: resume from where we are
            except asyncio.CancelledError:
                raise
            except Expired:
                need_list = True
            except StatusError as err:
                log.info("%s informer: %s; retrying", self.resource, err.message)
                await asyncio.sleep(0.5)

    def _emit(self, kind: str, obj: Obj, old: Obj | None) -> None:
        for handler in self._handlers:
            try:
                handler(kind, obj, old)
            except Exception:
                log.exception("%s informer handler failed", self.resource)
