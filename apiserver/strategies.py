"""What is special about each kind, for the generic store: the strategy.

As kube-apiserver's registry strategies do, each says whether a kind has a
status subresource, prepares objects for create and update (status is only
written through the status subresource; generation counts spec changes), which
field selectors it supports, and how deletion works (a Pod bound to a node is
deleted gracefully: the node agent stops it, then removes it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubelite.api import ResourceInfo

Obj = dict[str, Any]
COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


@dataclass(frozen=True)
class Strategy:
    has_status: bool = False
    fields: frozenset[str] = COMMON_FIELDS
    graceful_delete: bool = False

    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status:
            obj["status"] = self.initial_status(obj)

    def initial_status(self, obj: Obj) -> Obj:
        status: Obj = obj.get("status") or {}
        return status

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """Carry over what a client may not change through a plain update."""
        new_meta, old_meta = new.setdefault("metadata", {}), old.get("metadata", {})
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if field in old_meta:
                new_meta[field] = old_meta[field]
            else:
                new_meta.pop(field, None)
        if self.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if _spec_of(new) != _spec_of(old):
            new_meta["generation"] = int(old_meta.get("generation", 1)) + 1
        else:
            new_meta["generation"] = old_meta.get("generation", 1)

    def prepare_for_status_update(self, current: Obj, status: Obj | None) -> Obj:
        """The stored object with only .status taken from the request."""
        new = copy.deepcopy(current)
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = copy.deepcopy(status)
        return new


def _spec_of(obj: Obj) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class PodStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Pending", "qosClass": _qos_class(obj)}


class NamespaceStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Active"}


def _qos_class(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = limits_all = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        requests_any = requests_any or bool(requests) or bool(limits)
        for resource in ("cpu", "memory"):
            if resource not in limits or requests.get(resource, limits[resource]) != limits[resource]:
                guaranteed = False
        limits_all = limits_all or bool(limits)
    if containers and guaranteed and limits_all:
        return "Guaranteed"
    return "Burstable" if requests_any else "BestEffort"


_STRATEGIES: dict[str, Strategy] = {
    "pods": PodStrategy(has_status=True, graceful_delete=True, fields=COMMON_FIELDS | {
        "spec.nodeName", "spec.schedulerName", "status.phase", "spec.restartPolicy"}),
    "nodes": Strategy(has_status=True, fields=COMMON_FIELDS | {"spec.unschedulable"}),
    "namespaces": NamespaceStrategy(has_status=True, fields=COMMON_FIELDS | {"status.phase"}),
    "events": Strategy(fields=COMMON_FIELDS | {
        "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid",
        "reason", "type", "source", "reportingComponent"}),
}


def strategy_for(info: ResourceInfo) -> Strategy:
    return _STRATEGIES.get(info.resource, Strategy())
