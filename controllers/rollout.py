"""The arithmetic of a Deployment rollout, without any I/O: the
pod-template-hash and revisions of ReplicaSets, maxSurge and maxUnavailable
made absolute, how many replicas the new ReplicaSet may have, and the
Available/Progressing conditions with their reasons (what `kubectl rollout
status` reads). The Deployment controller (controllers/deployment.py) acts
on these answers."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

from controllers.pods import parse_time
from kubelite.kinds.deployment import scaled

Obj = dict[str, Any]

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# deployment annotations that are not copied onto its ReplicaSets
NOT_COPIED = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED, MAX_REPLICAS,
                        "deprecated.deployment.rollback.to"})
REVISION_HISTORY_CHARS = 2000
NO_DEADLINE = 2**31 - 1  # progressDeadlineSeconds meaning "never"

AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
COMPLETE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"


# ------------------------------------------------------------------ helpers
def meta_of(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def spec_of(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def without_hash(template: Obj | None) -> Obj:
    """The template without its pod-template-hash label."""
    clean = copy.deepcopy(template or {})
    meta = clean.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("labels"), dict):
        meta["labels"].pop(HASH_LABEL, None)
        if not meta["labels"]:
            del meta["labels"]
    return clean


def template_hash(template: Obj | None, collision_count: int = 0) -> str:
    """A short stable hash of the template (sorted-key JSON, sha256); a
    collision count, when there was one, is mixed in to get another name."""
    text = json.dumps(without_hash(template), sort_keys=True, separators=(",", ":"))
    if collision_count:
        text += f"#{collision_count}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def revision_of(obj: Obj) -> int:
    try:
        return int((meta_of(obj).get("annotations") or {}).get(REVISION, "0") or 0)
    except ValueError:
        return 0


def replicas_of(rs: Obj | None) -> int:
    """spec.replicas of a ReplicaSet (0 for none)."""
    return int(spec_of(rs).get("replicas", 1) or 0) if rs is not None else 0


def counted(rs: Obj | None, field: str) -> int:
    """A number from a ReplicaSet's status."""
    return int((rs.get("status") or {}).get(field) or 0) if rs is not None else 0


def usable(rs: Obj | None) -> int:
    """A ReplicaSet's available pods that it keeps: a status not yet caught up
    with a scale-down counts no more than spec.replicas."""
    return min(counted(rs, "availableReplicas"), replicas_of(rs))


def desired_of(deploy: Obj) -> int:
    value = spec_of(deploy).get("replicas", 1)
    return int(value if value is not None else 1)


def is_rolling(deploy: Obj) -> bool:
    return ((spec_of(deploy).get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def surge_and_unavailable(deploy: Obj) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down) as pod counts;
    when both come to 0, one pod may be unavailable."""
    rolling = (spec_of(deploy).get("strategy") or {}).get("rollingUpdate") or {}
    replicas = desired_of(deploy)
    surge = scaled(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deploy: Obj) -> int:
    return surge_and_unavailable(deploy)[0] if is_rolling(deploy) else 0


def max_unavailable(deploy: Obj) -> int:
    replicas = desired_of(deploy)
    if not is_rolling(deploy) or replicas == 0:
        return 0
    return min(surge_and_unavailable(deploy)[1], replicas)


def progress_deadline(deploy: Obj) -> int | None:
    """Seconds a rollout may go without progress; None: no deadline."""
    value = spec_of(deploy).get("progressDeadlineSeconds", 600)
    return None if value is None or int(value) >= NO_DEADLINE else int(value)


def new_set_replicas(deploy: Obj, all_sets: list[Obj], new: Obj | None) -> int:
    """How many replicas the new ReplicaSet may have now: RollingUpdate grows
    it by whatever room maxSurge leaves, Recreate sets it to the full count.
    A ReplicaSet counts as many pods as it should have or, while it has not
    yet shed the ones it was scaled down from, as it still has."""
    replicas = desired_of(deploy)
    if not is_rolling(deploy):
        return replicas
    surge = scaled(((spec_of(deploy).get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", "25%"),
                   replicas, True)
    current = sum(max(replicas_of(rs), counted(rs, "replicas")) for rs in all_sets)
    have = replicas_of(new)
    room = replicas + surge - current
    if room <= 0:
        return have
    return have + max(0, min(room, replicas - have))


def age_key(rs: Obj) -> tuple[float, int, str]:
    """Oldest first: creation time, then revision, then name."""
    return (parse_time(meta_of(rs).get("creationTimestamp")) or 0.0, revision_of(rs), meta_of(rs).get("name", ""))


def round_half(value: float) -> int:
    """Half away from zero, as Go's math.Round (Python's round() goes to even)."""
    return math.floor(value + 0.5) if value >= 0 else -math.floor(-value + 0.5)


# ---------------------------------------------------------------- conditions
def get_condition(conditions: list[Obj], kind: str) -> Obj | None:
    return next((c for c in conditions if c.get("type") == kind), None)


def remove_condition(conditions: list[Obj], kind: str) -> None:
    conditions[:] = [c for c in conditions if c.get("type") != kind]


def set_condition(conditions: list[Obj], condition: Obj) -> None:
    """Put `condition` in place of its type's, unless that one already has
    the same status and reason; the transition time stays while the status does."""
    current = get_condition(conditions, condition["type"])
    if current is not None and current.get("status") == condition["status"] and \
            current.get("reason") == condition["reason"]:
        return
    if current is not None and current.get("status") == condition["status"]:
        condition = {**condition, "lastTransitionTime": current.get("lastTransitionTime")}
    remove_condition(conditions, condition["type"])
    conditions.append(condition)


def make_condition(kind: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason,
            "message": message}


def is_complete(deploy: Obj, status: Obj) -> bool:
    """Every replica updated and available, no old ones, and this generation seen."""
    replicas = desired_of(deploy)
    return (int(status.get("updatedReplicas") or 0) == replicas and int(status.get("replicas") or 0) == replicas
            and int(status.get("availableReplicas") or 0) == replicas
            and int(status.get("observedGeneration") or 0) >= int(meta_of(deploy).get("generation") or 0))


def made_progress(old: Obj, new: Obj) -> bool:
    """More updated, ready or available replicas, or fewer old ones, than last written."""
    def num(status: Obj, field: str) -> int:
        return int(status.get(field) or 0)
    return (num(new, "updatedReplicas") > num(old, "updatedReplicas")
            or num(new, "replicas") - num(new, "updatedReplicas") < num(old, "replicas") - num(old, "updatedReplicas")
            or num(new, "readyReplicas") > num(old, "readyReplicas")
            or num(new, "availableReplicas") > num(old, "availableReplicas"))


def claim_selector(obj: Obj) -> Obj | None:
    selector = spec_of(obj).get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return None
    return selector
