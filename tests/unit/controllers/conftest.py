"""A fake API client and informers for controller unit tests: objects in
memory, every write recorded, nothing over the network. Controllers' decisions
are pure functions of what they see; this lets a test feed them a world and
read back what they asked for."""

from __future__ import annotations

import copy
import itertools
import uuid
from typing import Any

import pytest

from kubelite import api
from kubelite.errors import AlreadyExists, Conflict, NotFound

Obj = dict[str, Any]


class FakeInformer:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Obj] = {}
        self.handlers: list[Any] = []
        self.index_funcs: dict[str, Any] = {}
        self._task = None

    def add_handler(self, handler: Any) -> None:
        self.handlers.append(handler)

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.items.get((namespace, name))

    def add_index(self, name: str, func: Any) -> None:
        self.index_funcs[name] = func

    def by_index(self, name: str, value: str) -> list[Obj]:
        """Computed on demand: the real informer keeps these maps; a fake may scan."""
        return [o for o in self.items.values() if value in self.index_funcs[name](o)]

    def values(self) -> list[Obj]:
        return list(self.items.values())

    def emit(self, kind: str, obj: Obj, old: Obj | None = None) -> None:
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if kind == "DELETED":
            self.items.pop(key, None)
        else:
            self.items[key] = obj
        for handler in self.handlers:
            handler(kind, obj, old)


class FakeInformers:
    def __init__(self) -> None:
        self._informers: dict[str, FakeInformer] = {}

    def informer(self, resource: str) -> FakeInformer:
        resource = api.resource_by_name(resource).resource
        return self._informers.setdefault(resource, FakeInformer())

    def start(self) -> None: ...

    async def wait_synced(self) -> None: ...


class FakeClient:
    """Stores objects by (resource, namespace, name); `actions` lists every
    write as (verb, resource, namespace, name). With `informers`, each write
    is also delivered to the informer of its resource (as a watch would)."""

    def __init__(self, informers: FakeInformers | None = None) -> None:
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.actions: list[tuple[str, str, str, str]] = []
        self.informers = informers
        self._rv = itertools.count(1)
        self._names = itertools.count(1)

    def _resource(self, resource: str) -> tuple[str, str]:
        base, _, sub = resource.partition("/")
        return api.resource_by_name(base).resource, sub

    def _deliver(self, resource: str, kind: str, obj: Obj, old: Obj | None = None) -> None:
        if self.informers is not None:
            self.informers.informer(resource).emit(kind, copy.deepcopy(obj), old)

    def put(self, resource: str, obj: Obj) -> Obj:
        """Seed an object (no action recorded)."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("namespace", "")
        meta["resourceVersion"] = str(next(self._rv))
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        res, _ = self._resource(resource)
        self.objects[(res, meta["namespace"], meta["name"])] = obj
        self._deliver(res, "ADDED", obj)
        return copy.deepcopy(obj)

    async def create(self, resource: str, obj: Obj, namespace: str = "", dry_run: bool = False) -> Obj:
        res, sub = self._resource(resource)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        namespace = namespace or meta.get("namespace", "")
        if sub:
            self.actions.append(("create", f"{res}/{sub}", namespace, meta.get("name", "")))
            return obj
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', '')}{next(self._names):05d}"
        meta["namespace"] = namespace
        if (res, namespace, meta["name"]) in self.objects:
            raise AlreadyExists.of(res, meta["name"])
        self.actions.append(("create", res, namespace, meta["name"]))
        meta["uid"] = str(uuid.uuid4())
        meta["resourceVersion"] = str(next(self._rv))
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        self.objects[(res, namespace, meta["name"])] = obj
        self._deliver(res, "ADDED", obj)
        return copy.deepcopy(obj)

    async def get(self, resource: str, name: str, namespace: str = "") -> Obj:
        res, _ = self._resource(resource)
        try:
            return copy.deepcopy(self.objects[(res, namespace, name)])
        except KeyError:
            raise NotFound.of(res, name) from None

    async def list(self, resource: str, namespace: str = "", label_selector: str = "", field_selector: str = "",
                   **_: Any) -> Obj:
        res, _ = self._resource(resource)
        items = [copy.deepcopy(o) for (r, ns, _n), o in self.objects.items() if r == res and (not namespace or
                                                                                          ns == namespace)]
        return {"items": items, "metadata": {"resourceVersion": str(next(self._rv))}}

    async def update(self, resource: str, obj: Obj, namespace: str = "", dry_run: bool = False) -> Obj:
        return self._write("update", resource, obj, namespace)

    async def update_status(self, resource: str, obj: Obj, namespace: str = "") -> Obj:
        return self._write("update_status", resource, obj, namespace)

    def _write(self, verb: str, resource: str, obj: Obj, namespace: str) -> Obj:
        res, _ = self._resource(resource)
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        key = (res, namespace or meta.get("namespace", ""), meta["name"])
        old = self.objects.get(key)
        if old is None:
            raise NotFound.of(res, meta["name"])
        if meta.get("resourceVersion") and meta["resourceVersion"] != old["metadata"]["resourceVersion"]:
            raise Conflict.modified(res, meta["name"])
        self.actions.append((verb, res, key[1], key[2]))
        meta["resourceVersion"] = str(next(self._rv))
        self.objects[key] = obj
        self._deliver(res, "MODIFIED", obj, old)
        return copy.deepcopy(obj)

    async def patch(self, resource: str, name: str, patch: Any, namespace: str = "", status: bool = False,
                    **_: Any) -> Obj:
        from kubelite.merge_patch import merge_patch

        res, sub = self._resource(resource)
        key = (res, namespace, name)
        old = self.objects.get(key)
        if old is None:
            raise NotFound.of(res, name)
        self.actions.append(("patch" + ("_status" if status else ""), res if not sub else f"{res}/{sub}",
                             namespace, name))
        new = merge_patch(copy.deepcopy(old), patch)
        new["metadata"]["resourceVersion"] = str(next(self._rv))
        self.objects[key] = new
        self._deliver(res, "MODIFIED", new, old)
        return copy.deepcopy(new)

    async def delete(self, resource: str, name: str, namespace: str = "", **options: Any) -> Obj:
        res, _ = self._resource(resource)
        key = (res, namespace, name)
        old = self.objects.pop(key, None)
        if old is None:
            raise NotFound.of(res, name)
        self.actions.append(("delete", res, namespace, name))
        self._deliver(res, "DELETED", old)
        return copy.deepcopy(old)

    def writes(self, verb: str = "", resource: str = "") -> list[tuple[str, str, str, str]]:
        return [a for a in self.actions if (not verb or a[0] == verb) and (not resource or a[1] == resource)]


@pytest.fixture
def world() -> tuple[FakeClient, FakeInformers]:
    """A fake client whose writes reach fake informers, as a watch would."""
    informers = FakeInformers()
    return FakeClient(informers), informers
