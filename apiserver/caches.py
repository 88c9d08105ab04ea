"""Watch-fed caches the pipeline reads instead of the store: the namespaces
(admission), the RBAC objects (authorization) and which node each pod is bound
to (the node authorizer). Each lists once, then follows a watch, and relists
when its resourceVersion is too old."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from apiserver.registry import GenericStore
from apiserver.selectors import Selector
from kubelite.api import ResourceInfo
from kubelite.errors import Expired, StatusError

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class ResourceCache:
    """Every object of one kind, by (namespace, name), kept current by a watch."""

    def __init__(self, store: GenericStore, info: ResourceInfo,
                 on_change: Callable[[], None] | None = None) -> None:
        self.store = store
        self.info = info
        self.items: dict[tuple[str, str], Obj] = {}
        self.ready = asyncio.Event()
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _key(self, obj: Obj) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return meta.get("namespace", ""), meta.get("name", "")

    async def _run(self) -> None:
        while True:
            try:
                listed = await self.store.list(self.info, "", Selector())
                self.items = {self._key(o): o for o in listed.items}
                self._changed()
                self.ready.set()
                async for event in self.store.watch(self.info, "", Selector(), listed.resource_version):
                    if event.type == "BOOKMARK":
                        continue
                    if event.type == "DELETED":
                        self.items.pop(self._key(event.obj), None)
                    else:
                        self.items[self._key(event.obj)] = event.obj
                    self._changed()
            except asyncio.CancelledError:
                raise
            except Expired:
                continue
            except StatusError as err:
                log.warning("%s cache: %s; retrying", self.info.resource, err.message)
                await asyncio.sleep(0.5)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def values(self) -> list[Obj]:
        return list(self.items.values())


class NamespaceCache(ResourceCache):
    def phase(self, name: str) -> str | None:
        obj = self.items.get(("", name))
        if obj is None:
            return None
        return str((obj.get("status") or {}).get("phase") or "Active")


class PodNodeCache(ResourceCache):
    def node_of(self, namespace: str, name: str) -> str | None:
        obj = self.items.get((namespace, name))
        if obj is None:
            return None
        return (obj.get("spec") or {}).get("nodeName") or None
