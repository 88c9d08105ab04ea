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
                for key in list(self.items):
                    self._drop(key)
                for obj in listed.items:
                    self._put(self._key(obj), obj)
                self._changed()
                self.ready.set()
                async for event in self.store.watch(self.info, "", Selector(), listed.resource_version):
                    if event.type == "BOOKMARK":
                        continue
                    if event.type == "DELETED":
                        self._drop(self._key(event.obj))
                    else:
                        self._put(self._key(event.obj), event.obj)
                    self._changed()
            except asyncio.CancelledError:
                raise
            except Expired:
                continue
            except StatusError as err:
                log.warning("%s cache: %s; retrying", self.info.resource, err.message)
                await asyncio.sleep(0.5)

    def _put(self, key: tuple[str, str], obj: Obj) -> None:
        self.items[key] = obj

    def _drop(self, key: tuple[str, str]) -> None:
        self.items.pop(key, None)

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


def pod_references(pod: Obj) -> set[tuple[str, str]]:
    """The (resource, name) of every Secret, ConfigMap and ServiceAccount a
    pod uses: volumes (also projected), env, envFrom, imagePullSecrets, its
    service account, as the node authorizer's graph records them."""
    spec = pod.get("spec") or {}
    refs: set[tuple[str, str]] = set()
    if spec.get("serviceAccountName"):
        refs.add(("serviceaccounts", spec["serviceAccountName"]))
    for secret in spec.get("imagePullSecrets") or []:
        if isinstance(secret, dict) and secret.get("name"):
            refs.add(("secrets", secret["name"]))

    def volume_source(source: Obj) -> None:
        if isinstance(source.get("secret"), dict):
            name = source["secret"].get("secretName") or source["secret"].get("name")
            if name:
                refs.add(("secrets", name))
        if isinstance(source.get("configMap"), dict) and source["configMap"].get("name"):
            refs.add(("configmaps", source["configMap"]["name"]))

    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        volume_source(volume)
        for projected in ((volume.get("projected") or {}).get("sources") or []):
            if isinstance(projected, dict):
                volume_source(projected)
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if not isinstance(container, dict):
            continue
        for env in container.get("env") or []:
            source = (env or {}).get("valueFrom") or {}
            if isinstance(source.get("secretKeyRef"), dict) and source["secretKeyRef"].get("name"):
                refs.add(("secrets", source["secretKeyRef"]["name"]))
            if isinstance(source.get("configMapKeyRef"), dict) and source["configMapKeyRef"].get("name"):
                refs.add(("configmaps", source["configMapKeyRef"]["name"]))
        for env_from in container.get("envFrom") or []:
            if isinstance((env_from or {}).get("secretRef"), dict) and env_from["secretRef"].get("name"):
                refs.add(("secrets", env_from["secretRef"]["name"]))
            if isinstance((env_from or {}).get("configMapRef"), dict) and env_from["configMapRef"].get("name"):
                refs.add(("configmaps", env_from["configMapRef"]["name"]))
    return refs


class PodNodeCache(ResourceCache):
    """Which node each pod is bound to, and the graph the node authorizer
    needs: for each (resource, namespace, name) a pod references, the nodes
    whose pods reference it (kept incrementally: each pod event costs only
    that pod's references)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._used_by: dict[tuple[str, str, str], dict[str, int]] = {}

    def node_of(self, namespace: str, name: str) -> str | None:
        obj = self.items.get((namespace, name))
        if obj is None:
            return None
        return (obj.get("spec") or {}).get("nodeName") or None

    def _edges(self, obj: Obj) -> tuple[str, list[tuple[str, str, str]]]:
        node = (obj.get("spec") or {}).get("nodeName") or ""
        namespace = (obj.get("metadata") or {}).get("namespace", "")
        return node, [(resource, namespace, name) for resource, name in pod_references(obj)] if node else []

    def _put(self, key: tuple[str, str], obj: Obj) -> None:
        self._drop(key)
        super()._put(key, obj)
        node, edges = self._edges(obj)
        for edge in edges:
            counts = self._used_by.setdefault(edge, {})
            counts[node] = counts.get(node, 0) + 1

    def _drop(self, key: tuple[str, str]) -> None:
        old = self.items.get(key)
        super()._drop(key)
        if old is None:
            return
        node, edges = self._edges(old)
        for edge in edges:
            counts = self._used_by.get(edge, {})
            counts[node] = counts.get(node, 0) - 1
            if counts.get(node, 0) <= 0:
                counts.pop(node, None)
            if not counts:
                self._used_by.pop(edge, None)

    def node_uses(self, node: str, resource: str, namespace: str, name: str) -> bool:
        """Whether a pod bound to `node` references the object."""
        return node in self._used_by.get((resource, namespace, name), {})
