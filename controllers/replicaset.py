"""The ReplicaSet controller of the controller-manager, as kube-controller-manager's.

For every ReplicaSet it keeps `spec.replicas` active pods matching the
selector. Missing pods are made from `spec.template` in slow-start batches
(1, 2, 4, ... at a time, stopping at the first failure); surplus pods go least
valuable first (unscheduled, Pending, not ready, cheapest to delete, crowded
on a node, ready most recently, restarted most, newest). Matching orphans are
adopted and owned pods that stopped matching are released. Expectations
remember the creates and deletes asked for until the pod informer has shown
them, so a sync on a stale cache never creates (or deletes) twice. The status
(replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
observedGeneration, a ReplicaFailure condition) is written only when it
changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from controllers.base import (
    BY_CONTROLLER,
    BY_NAMESPACE,
    ORPHANS,
    Expectations,
    Key,
    WorkQueue,
    controller_of,
    indexed,
    key_of,
    owner_reference,
    run_workers,
)
from controllers.pods import (
    is_active,
    is_available,
    is_ready,
    is_terminating,
    new_pod,
    parse_time,
    ready_since,
    rfc3339,
)
from kubelite.api.labels import matches
from kubelite.errors import Conflict, NotFound, StatusError
from kubelite.events import EventRecorder

log = logging.getLogger(__name__)
Obj = dict[str, Any]

BURST = 500  # at most this many creates or deletes per sync (kube-controller-manager's burstReplicas)
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
REPLICA_FAILURE = "ReplicaFailure"


# ------------------------------------------------------------------ pod facts
def _meta(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def _restarts(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((int(s.get("restartCount") or 0) for s in statuses), default=0)


def _deletion_cost(pod: Obj) -> int:
    try:
        return int((_meta(pod).get("annotations") or {}).get(DELETION_COST, "0"))
    except ValueError:
        return 0


def deletion_rank(pod: Obj, crowding: dict[str, int] | None = None) -> tuple[Any, ...]:
    """Sort key putting the pods to delete first in front, in kube-controller-manager's
    order: unscheduled before scheduled; Pending, then Unknown, then Running; not
    ready before ready; lower pod-deletion-cost first; pods sharing their node with
    more related pods first; ready for a shorter time first; more restarts first;
    newer before older."""
    node = (pod.get("spec") or {}).get("nodeName") or ""
    phase = (pod.get("status") or {}).get("phase") or "Pending"
    ready = is_ready(pod)
    since = ready_since(pod) if ready else 0.0
    created = parse_time(_meta(pod).get("creationTimestamp"))
    return (1 if node else 0,
            {"Pending": 0, "Unknown": 1, "Running": 2}.get(phase, 0),
            1 if ready else 0,
            _deletion_cost(pod),
            -(crowding or {}).get(node, 0) if node else 0,
            -(since if since is not None else float("inf")),
            -_restarts(pod),
            -(created if created is not None else float("inf")),
            _meta(pod).get("name", ""))


def pods_to_delete(pods: list[Obj], count: int, related: list[Obj] | None = None) -> list[Obj]:
    """The `count` least valuable of `pods`; `related` (the pods of the same
    workload, default `pods`) tell how crowded each node is."""
    crowding: dict[str, int] = {}
    for pod in related if related is not None else pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and is_active(pod):
            crowding[node] = crowding.get(node, 0) + 1
    return sorted(pods, key=lambda p: deletion_rank(p, crowding))[:max(0, count)]


def _has_labels(labels: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


# ------------------------------------------------------------------ controller
class ReplicaSetController:
    """Reconciles ReplicaSets (keys are (namespace, name)) against their pods."""

    def __init__(self, client: Any, informers: Any, workers: int = 4, clock: Callable[[], float] = time.time,
                 burst: int = BURST) -> None:
        self.client = client
        self.pods = indexed(informers.informer("pods"))
        self.sets = indexed(informers.informer("replicasets"))
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.events = EventRecorder(client, "replicaset-controller")
        self.workers = workers
        self.clock = clock
        self.burst = burst
        self.sets.add_handler(self._set_event)
        self.pods.add_handler(self._pod_event)

    # ----------------------------------------------------------- informer events
    def _set_event(self, kind: str, rs: Obj, old: Obj | None) -> None:
        self.queue.add(key_of(rs))

    def _owner_keys(self, pod: Obj) -> set[Key]:
        """The ReplicaSet controlling the pod, or for an orphan every ReplicaSet
        in its namespace whose selector matches it."""
        namespace = _meta(pod).get("namespace", "") or ""
        ref = controller_of(pod)
        if ref is not None:
            return {(namespace, ref["name"])} if ref.get("kind") == "ReplicaSet" else set()
        if not is_active(pod):
            return set()
        labels = _meta(pod).get("labels") or {}
        return {key_of(rs) for rs in self.sets.by_index(BY_NAMESPACE, namespace)
                if _selector(rs) and matches(_selector(rs), labels)}

    def _pod_event(self, kind: str, pod: Obj, old: Obj | None) -> None:
        ref = controller_of(pod)
        if ref is not None and ref.get("kind") == "ReplicaSet":
            key = (_meta(pod).get("namespace", "") or "", ref["name"])
            if kind == "ADDED":
                self.expectations.created(key)
                if is_terminating(pod):
                    self.expectations.deleted(key)
            elif kind == "MODIFIED":
                if is_terminating(pod) and not (old is not None and is_terminating(old)):
                    self.expectations.deleted(key)  # graceful deletion has begun: that is the delete we asked for
            elif kind == "DELETED":
                before = old if old is not None else pod
                if not is_terminating(before):  # else its turn to terminating was counted already
                    self.expectations.deleted(key)
        keys = self._owner_keys(pod)
        if old is not None:
            keys |= self._owner_keys(old)
        for key in keys:
            self.queue.add(key)

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("replicaset", self.queue, self.sync, stop, self.workers)

    # ----------------------------------------------------------------- syncing
    async def sync(self, key: Key) -> None:
        """Reconcile one ReplicaSet: claim its pods, create or delete the
        difference (unless earlier writes are not yet seen), write its status."""
        rs = self.sets.get(*key)
        if rs is None:
            self.expectations.forget(key)
            return
        if is_terminating(rs) or not _selector(rs):
            return
        needs_sync = self.expectations.satisfied(key)
        active = await self._claim(rs)
        error: StatusError | None = None
        if needs_sync:
            try:
                await self._manage(key, rs, active)
            except StatusError as err:
                error = err
        await self._write_status(rs, active, error)
        if error is not None:
            raise error

    async def _claim(self, rs: Obj) -> list[Obj]:
        """The active pods the ReplicaSet controls after adopting matching
        orphans and releasing owned pods that no longer match."""
        namespace, uid = _meta(rs).get("namespace", "") or "", _meta(rs)["uid"]
        selector = _selector(rs)
        claimed: list[Obj] = []
        for pod in [*self.pods.by_index(BY_CONTROLLER, uid), *self.pods.by_index(ORPHANS, namespace)]:
            meta = _meta(pod)
            if not is_active(pod):
                continue
            ref = controller_of(pod)
            fits = matches(selector, meta.get("labels") or {})
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if fits:
                    claimed.append(pod)
                else:
                    await self._release(pod, uid)
            elif fits:
                adopted = await self._adopt(pod, rs)
                if adopted is not None and is_active(adopted):
                    claimed.append(adopted)
        return claimed

    async def _adopt(self, pod: Obj, rs: Obj) -> Obj | None:
        meta = _meta(pod)
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != _meta(rs)["uid"]]
        refs.append(owner_reference(rs, "apps/v1", "ReplicaSet"))
        try:
            adopted: Obj = await self.client.patch("pods", meta["name"], {"metadata": {
                "ownerReferences": refs, "resourceVersion": meta.get("resourceVersion")}}, meta["namespace"])
            return adopted
        except (Conflict, NotFound):
            return None  # it changed or went: the event that follows brings us back

    async def _release(self, pod: Obj, uid: str) -> None:
        meta = _meta(pod)
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != uid]
        try:
            await self.client.patch("pods", meta["name"], {"metadata": {
                "ownerReferences": refs or None, "resourceVersion": meta.get("resourceVersion")}}, meta["namespace"])
        except (Conflict, NotFound):
            pass

    async def _manage(self, key: Key, rs: Obj, active: list[Obj]) -> None:
        want = int((rs.get("spec") or {}).get("replicas", 1) or 0)
        diff = len(active) - want
        if diff < 0:
            await self._create(key, rs, min(-diff, self.burst))
        elif diff > 0:
            await self._delete(key, rs, pods_to_delete(active, min(diff, self.burst), self._related_pods(rs)))

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """The active pods of every ReplicaSet sharing this one's controller
        (the Deployment's other revisions), or just its own."""
        boss = controller_of(rs)
        uids = {_meta(rs)["uid"]}
        if boss is not None:
            uids |= {_meta(s).get("uid") for s in self.sets.by_index(BY_CONTROLLER, str(boss.get("uid")))}
        return [p for uid in uids for p in self.pods.by_index(BY_CONTROLLER, str(uid)) if is_active(p)]

    async def _create(self, key: Key, rs: Obj, count: int) -> None:
        """Create `count` pods in slow-start batches (1, 2, 4, ...), stopping at
        the first batch with a failure; the creates not made are no longer expected."""
        self.expectations.expect(key, creates=count)
        remaining, batch, made = count, 1, 0
        failure: StatusError | None = None
        while remaining > 0 and failure is None:
            size = min(batch, remaining)
            results = await asyncio.gather(*(self._create_one(rs) for _ in range(size)))
            made += sum(1 for r in results if r is None)
            failure = next((r for r in results if r is not None), None)
            remaining -= size
            batch *= 2
        for _ in range(count - made):
            self.expectations.created(key)
        if failure is not None:
            raise failure

    async def _create_one(self, rs: Obj) -> StatusError | None:
        namespace = _meta(rs).get("namespace", "") or ""
        try:
            pod = await self.client.create("pods", new_pod(rs, "apps/v1", "ReplicaSet"), namespace)
        except StatusError as err:
            log.info("replicaset %s/%s: creating a pod failed: %s", namespace, _meta(rs)["name"], err.message)
            self.events.event(rs, "Warning", "FailedCreate", f"Error creating: {err.message}")
            return err
        self.events.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {_meta(pod).get('name', '')}")
        return None

    async def _delete(self, key: Key, rs: Obj, victims: list[Obj]) -> None:
        """Delete the victims at once. A pod already gone still brings its
        DELETED event (it was in the cache), so only other failures lower the
        expectation here."""
        self.expectations.expect(key, deletes=len(victims))
        results = await asyncio.gather(*(self._delete_one(rs, p) for p in victims))
        failures = [r for r in results if r is not None]
        for _ in failures:
            self.expectations.deleted(key)
        if failures:
            raise failures[0]

    async def _delete_one(self, rs: Obj, pod: Obj) -> StatusError | None:
        meta = _meta(pod)
        try:
            await self.client.delete("pods", meta["name"], meta.get("namespace", "") or "")
        except NotFound:
            return None
        except StatusError as err:
            self.events.event(rs, "Warning", "FailedDelete", f"Error deleting: {err.message}")
            return err
        self.events.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return None

    # ------------------------------------------------------------------ status
    def calculate_status(self, rs: Obj, active: list[Obj], error: StatusError | None = None) -> Obj:
        spec = rs.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock()
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        old = rs.get("status") or {}
        status: Obj = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(1 for p in active if _has_labels(_meta(p).get("labels") or {},
                                                                       template_labels)),
            "readyReplicas": sum(1 for p in active if is_ready(p)),
            "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now)),
            "observedGeneration": _meta(rs).get("generation", 1),
        }
        conditions = [c for c in old.get("conditions") or [] if c.get("type") != REPLICA_FAILURE]
        failure = next((c for c in old.get("conditions") or [] if c.get("type") == REPLICA_FAILURE), None)
        want = int(spec.get("replicas", 1) or 0)
        if error is not None:
            if failure is None:
                reason = "FailedCreate" if len(active) < want else "FailedDelete"
                failure = {"type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": rfc3339(now),
                           "reason": reason, "message": error.message}
            conditions.append(failure)
        if conditions:
            status["conditions"] = conditions
        return status

    async def _write_status(self, rs: Obj, active: list[Obj], error: StatusError | None) -> None:
        status = self.calculate_status(rs, active, error)
        spec = rs.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        if min_ready > 0 and status["readyReplicas"] > status["availableReplicas"]:
            self._requeue_when_available(rs, active, min_ready)
        old = rs.get("status") or {}
        normal = {k: old.get(k, 0) for k in status if k != "conditions"}
        if normal == {k: v for k, v in status.items() if k != "conditions"} and \
                (old.get("conditions") or []) == status.get("conditions", []):
            return
        try:
            await self.client.update_status("replicasets", {**rs, "status": status},
                                            _meta(rs).get("namespace", "") or "")
        except Conflict:
            self.queue.add(key_of(rs))  # a newer version is on its way through the informer
        except NotFound:
            pass

    def _requeue_when_available(self, rs: Obj, active: list[Obj], min_ready: int) -> None:
        """Look again when the next ready pod has been ready for minReadySeconds."""
        now = self.clock()
        waits = [since + min_ready - now for p in active
                 if (since := ready_since(p)) is not None and since + min_ready >= now]
        delay = min(waits, default=float(min_ready))
        self.queue.add_after(key_of(rs), max(0.0, delay) + 1.0)


def _selector(obj: Obj) -> Obj | None:
    selector = (obj.get("spec") or {}).get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return None  # an empty selector would match every pod: never act on it
    return selector
