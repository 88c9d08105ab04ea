"""The disruption controller, as kube-controller-manager's: it keeps the status
of every policy/v1 PodDisruptionBudget, which the eviction subresource reads
to allow or refuse a voluntary disruption.

For the pods its selector matches in its namespace (terminal pods aside):

* expectedPods: with maxUnavailable or a percent minAvailable, the scale of
  the pods' controllers (a ReplicaSet's replicas, or its Deployment's when it
  has one), or the number of pods when some are not run by a ReplicaSet; with
  an integer minAvailable, the number of pods; with neither, 0 (such a budget
  allows no disruption, as in Kubernetes);
* desiredHealthy: minAvailable (a percent of expectedPods, rounded up), or
  expectedPods - maxUnavailable (likewise);
* currentHealthy: pods that are Ready, not being deleted, and not just evicted
  (status.disruptedPods: the evictions granted in the last two minutes whose
  pod is not yet being deleted);
* disruptionsAllowed: currentHealthy - desiredHealthy, never below 0, and 0
  when no pod is expected;
* the DisruptionAllowed condition, and observedGeneration.

The status is written only when it changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from controllers.base import Key, WorkQueue, controller_of, key_of, run_workers
from kubelite.api.labels import matches
from kubelite.errors import Conflict, NotFound
from kubelite.kinds.deployment import int_or_percent, scaled

log = logging.getLogger(__name__)
Obj = dict[str, Any]
DELETION_TIMEOUT = timedelta(minutes=2)  # how long an evicted pod has to start being deleted
TERMINAL = ("Succeeded", "Failed")
CONDITION = "DisruptionAllowed"


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _labels(obj: Obj | None) -> dict[str, str] | None:
    return None if obj is None else (obj.get("metadata") or {}).get("labels") or {}


def _template_labels(obj: Obj) -> dict[str, str]:
    return (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def _ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _replicas(obj: Obj) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def _int_or_percent(value: int | str) -> int | str:
    """An IntOrString as given; "3" (a string of digits) counts as 3.
    Raises ValueError for anything else that is not a valid percent."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    errors = int_or_percent("", value)
    if errors:
        raise ValueError(f"invalid value {value!r}: {errors[0].message}")
    return value


class DisruptionController:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], datetime] = _now) -> None:
        self.client = client
        self.workers = workers
        self.clock = clock
        self.queue = WorkQueue()
        self.budgets = informers.informer("poddisruptionbudgets")
        self.pods = informers.informer("pods")
        self.replicasets = informers.informer("replicasets")
        self.deployments = informers.informer("deployments")
        self._selectors: dict[str, dict[str, Obj | None]] = {}  # namespace -> budget name -> its selector
        self._pod_names: dict[str, set[str]] = {}                # namespace -> pod names
        self.budgets.add_handler(self._budget)
        self.pods.add_handler(self._pod)
        self.replicasets.add_handler(self._controller)
        self.deployments.add_handler(self._controller)
        for budget in self.budgets.values():
            self._budget("ADDED", budget, None)
        for pod in self.pods.values():
            self._pod("ADDED", pod, None)

    # ----------------------------------------------------------------- events
    def _budget(self, kind: str, budget: Obj, old: Obj | None) -> None:
        namespace, name = key_of(budget)
        if kind == "DELETED":
            self._selectors.get(namespace, {}).pop(name, None)
            return
        self._selectors.setdefault(namespace, {})[name] = (budget.get("spec") or {}).get("selector")
        self.queue.add((namespace, name))

    def _pod(self, kind: str, pod: Obj, old: Obj | None) -> None:
        namespace, name = key_of(pod)
        if kind == "DELETED":
            self._pod_names.get(namespace, set()).discard(name)
        else:
            self._pod_names.setdefault(namespace, set()).add(name)
        self._enqueue_covering(namespace, _labels(pod), _labels(old))

    def _controller(self, kind: str, obj: Obj, old: Obj | None) -> None:
        if old is not None and _replicas(obj) == _replicas(old) and _template_labels(obj) == _template_labels(old):
            return
        self._enqueue_covering(key_of(obj)[0], _template_labels(obj), _template_labels(old) if old else None)

    def _enqueue_covering(self, namespace: str, *label_sets: dict[str, str] | None) -> None:
        for name, selector in self._selectors.get(namespace, {}).items():
            if any(labels is not None and matches(selector, labels) for labels in label_sets):
                self.queue.add((namespace, name))

    # ------------------------------------------------------------------- work
    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("disruption", self.queue, self.sync, stop, self.workers)

    def _covered_pods(self, namespace: str, selector: Obj | None) -> list[Obj]:
        pods = (self.pods.get(namespace, name) for name in self._pod_names.get(namespace, ()))
        return [p for p in pods if p is not None and matches(selector, _labels(p))
                and (p.get("status") or {}).get("phase") not in TERMINAL]

    def _expected_scale(self, namespace: str, pods: list[Obj]) -> int:
        """The summed scale of the pods' controllers (each counted once), or
        the number of pods when not every one is run by a known ReplicaSet."""
        scales: dict[str, int] = {}
        for pod in pods:
            ref = controller_of(pod)
            if ref is None or ref.get("kind") != "ReplicaSet":
                return len(pods)
            rs = self.replicasets.get(namespace, ref.get("name", ""))
            if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
                return len(pods)
            owner = controller_of(rs)
            if owner is not None and owner.get("kind") == "Deployment":
                deployment = self.deployments.get(namespace, owner.get("name", ""))
                if deployment is not None and deployment["metadata"].get("uid") == owner.get("uid"):
                    scales[owner["uid"]] = _replicas(deployment)
                    continue
            scales[rs["metadata"]["uid"]] = _replicas(rs)
        return sum(scales.values())

    def expected_and_desired(self, namespace: str, spec: Obj, pods: list[Obj]) -> tuple[int, int]:
        """(expectedPods, desiredHealthy); ValueError for a malformed budget."""
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        if max_unavailable is not None:
            value = _int_or_percent(max_unavailable)
            expected = self._expected_scale(namespace, pods)
            return expected, max(0, expected - scaled(value, expected, round_up=True))
        if min_available is not None:
            value = _int_or_percent(min_available)
            if isinstance(value, int):
                return len(pods), value
            expected = self._expected_scale(namespace, pods)
            return expected, scaled(value, expected, round_up=True)
        return 0, 0

    def _disrupted(self, budget: Obj, pods: list[Obj], now: datetime) -> tuple[dict[str, str], datetime | None]:
        """The evictions still pending (pod there, not being deleted, granted
        less than DELETION_TIMEOUT ago) and when the first of them expires."""
        granted = (budget.get("status") or {}).get("disruptedPods") or {}
        pending: dict[str, str] = {}
        first: datetime | None = None
        if not granted:
            return pending, first
        for pod in pods:
            meta = pod["metadata"]
            stamp = granted.get(meta["name"])
            if stamp is None or meta.get("deletionTimestamp"):
                continue
            at = _parse(stamp)
            if at is None or at + DELETION_TIMEOUT < now:
                log.info("disruption: pod %s/%s was evicted at %s but is not being deleted", meta.get("namespace"),
                         meta["name"], stamp)
                continue
            pending[meta["name"]] = stamp
            first = at + DELETION_TIMEOUT if first is None else min(first, at + DELETION_TIMEOUT)
        return pending, first

    async def sync(self, key: Key) -> None:
        budget = self.budgets.get(*key)
        if budget is None:
            return
        namespace = key[0]
        spec = budget.get("spec") or {}
        pods = self._covered_pods(namespace, spec.get("selector"))
        now = self.clock()
        generation = budget["metadata"].get("generation", 1)
        try:
            expected, desired = self.expected_and_desired(namespace, spec, pods)
        except ValueError as err:
            await self._write(budget, {"observedGeneration": generation, "disruptionsAllowed": 0,
                                       "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0},
                              ("False", "SyncFailed", str(err)), now)
            return
        pending, first = self._disrupted(budget, pods, now)
        if first is not None:
            self.queue.add_after(key, max(0.0, (first - now).total_seconds()))
        healthy = sum(1 for p in pods if _ready(p) and not p["metadata"].get("deletionTimestamp")
                      and p["metadata"]["name"] not in pending)
        allowed = healthy - desired if expected > 0 else 0
        allowed = max(0, allowed)
        status = {"observedGeneration": generation, "disruptedPods": pending, "disruptionsAllowed": allowed,
                  "currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected}
        reason = ("True", "SufficientPods", "") if allowed > 0 else ("False", "InsufficientPods", "")
        await self._write(budget, status, reason, now)

    async def _write(self, budget: Obj, status: Obj, condition: tuple[str, str, str], now: datetime) -> None:
        old = budget.get("status") or {}
        state, reason, message = condition
        conditions = [c for c in old.get("conditions") or [] if c.get("type") != CONDITION]
        before = next((c for c in old.get("conditions") or [] if c.get("type") == CONDITION), {})
        since = before.get("lastTransitionTime") if before.get("status") == state else None
        conditions.append({"type": CONDITION, "status": state, "reason": reason, "message": message,
                           "lastTransitionTime": since or _rfc3339(now),
                           "observedGeneration": status["observedGeneration"]})
        new = {**old, **status, "conditions": conditions}
        if not new.get("disruptedPods"):
            new.pop("disruptedPods", None)
        if _same_status(old, new):
            return
        try:
            await self.client.update_status("poddisruptionbudgets", {**budget, "status": new})
        except (Conflict, NotFound):
            pass  # the change that beat us brings the budget back


def _same_status(old: Obj, new: Obj) -> bool:
    def normal(status: Obj) -> Obj:
        kept = {k: v for k, v in status.items() if v is not None}
        return {**kept, "disruptedPods": status.get("disruptedPods") or {}}
    return normal(old) == normal(new)
