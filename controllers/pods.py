"""What the workload controllers ask of a pod (and of timestamps): finished,
active, ready since when, available after minReadySeconds; and the pod a
workload creates from its template. One place, so ReplicaSet, Job and
DaemonSet judge a pod the same way."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from controllers.base import owner_reference

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


def parse_time(text: str | None) -> float | None:
    """An RFC 3339 timestamp as epoch seconds; None when absent or unreadable."""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_terminating(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in TERMINAL


def is_active(pod: Obj) -> bool:
    """Still to run or running, and not being deleted."""
    return not is_terminal(pod) and not is_terminating(pod)


def _ready_condition(pod: Obj) -> Obj | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return None


def is_ready(pod: Obj) -> bool:
    condition = _ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def ready_since(pod: Obj) -> float | None:
    """When a ready pod turned Ready (its condition's lastTransitionTime)."""
    condition = _ready_condition(pod)
    if condition is None or condition.get("status") != "True":
        return None
    return parse_time(condition.get("lastTransitionTime"))


def is_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """Ready, and (with minReadySeconds) ready for longer than that."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and since + min_ready_seconds < now


def new_pod(owner: Obj, api_version: str, kind: str) -> Obj:
    """A pod from the owner's template, named after it and controlled by it."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    template_meta = template.get("metadata") or {}
    owner_meta = owner["metadata"]
    meta: Obj = {"generateName": f"{owner_meta['name']}-", "namespace": owner_meta.get("namespace", ""),
                 "labels": dict(template_meta.get("labels") or {}),
                 "ownerReferences": [owner_reference(owner, api_version, kind)]}
    for field in ("annotations", "finalizers"):
        if template_meta.get(field):
            meta[field] = copy.deepcopy(template_meta[field])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}
