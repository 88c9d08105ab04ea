"""The Deployment controller: rolls a Deployment out through ReplicaSets, as
kube-controller-manager does. The ReplicaSet of the current template (named
by its pod-template-hash) is the new one; RollingUpdate scales it up and the
old ones down within maxSurge and maxUnavailable, Recreate scales the old ones
to zero first. Revisions (deployment.kubernetes.io/revision), history cleanup
(revisionHistoryLimit), pause, and the status and conditions `kubectl rollout
status` reads (Available, Progressing, ProgressDeadlineExceeded)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from controllers.base import Key, WorkQueue, controller_of, key_of, owner_reference, run_workers
from kubelite.api.labels import matches
from kubelite.errors import AlreadyExists, Conflict, NotFound
from kubelite.kinds.deployment import scaled

log = logging.getLogger(__name__)
Obj = dict[str, Any]
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"


def template_hash(template: Obj) -> str:
    clean = copy.deepcopy(template)
    (clean.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    digest = hashlib.sha256(json.dumps(clean, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return digest[:10]


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str | None) -> float:
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp() if text else 0.0


def revision_of(rs: Obj) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def replicas_of(rs: Obj) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def surge_and_unavailable(deploy: Obj) -> tuple[int, int]:
    spec = deploy.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    rolling = ((spec.get("strategy") or {}).get("rollingUpdate") or {})
    surge = scaled(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def rolling_step(replicas: int, surge: int, max_unavailable: int, new: Obj,
                 olds: list[Obj]) -> tuple[int, dict[str, int]]:
    """One step of a rolling update: the new ReplicaSet's replicas and the
    old ones' (by name), never above replicas + maxSurge pods in total nor
    below replicas - maxUnavailable available."""
    # pods a scale-down has not removed yet still count: the surge limit holds for the pods that exist
    total = sum(max(replicas_of(rs), int((rs.get("status") or {}).get("replicas") or 0)) for rs in [new, *olds])
    new_want = replicas_of(new)
    if new_want < replicas:
        new_want = min(replicas, new_want + max(0, replicas + surge - total))
    elif new_want > replicas:
        new_want = replicas
    # scale old ones down as far as availability allows
    available = sum(int((rs.get("status") or {}).get("availableReplicas") or 0) for rs in [new, *olds])
    min_available = replicas - max_unavailable
    # pods of old sets that are not available can go at once; available ones only above the minimum
    budget = max(0, available - min_available)
    old_wants: dict[str, int] = {}
    for rs in sorted(olds, key=revision_of):
        have = replicas_of(rs)
        unavailable_here = max(0, have - int((rs.get("status") or {}).get("availableReplicas") or 0))
        cut = min(have, unavailable_here + budget)
        budget -= max(0, cut - unavailable_here)
        old_wants[rs["metadata"]["name"]] = have - cut
    return new_want, old_wants


def condition(kind: str, status: str, reason: str, message: str, now: str, old: list[Obj]) -> Obj:
    previous = next((c for c in old if c.get("type") == kind), None)
    transition = previous.get("lastTransitionTime") if previous and previous.get("status") == status else now
    update = previous.get("lastUpdateTime") if previous and previous.get("reason") == reason and \
        previous.get("message") == message else now
    return {"type": kind, "status": status, "lastUpdateTime": update, "lastTransitionTime": transition,
            "reason": reason, "message": message}


class DeploymentController:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.deployments = informers.informer("deployments")
        self.sets = informers.informer("replicasets")
        self.queue = WorkQueue()
        self.workers = workers
        self.clock = clock
        self.deployments.add_handler(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.sets.add_handler(self._set_event)

    def _set_event(self, kind: str, rs: Obj, old: Obj | None) -> None:
        ref = controller_of(rs)
        namespace = rs["metadata"].get("namespace", "")
        if ref is not None:
            if ref.get("kind") == "Deployment":
                self.queue.add((namespace, ref["name"]))
            return
        labels = rs["metadata"].get("labels") or {}
        for deploy in self.deployments.values():
            if key_of(deploy)[0] == namespace and matches((deploy.get("spec") or {}).get("selector"), labels):
                self.queue.add(key_of(deploy))

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("deployment", self.queue, self.sync, stop, self.workers)

    def _sets_of(self, deploy: Obj) -> list[Obj]:
        namespace, uid = deploy["metadata"].get("namespace", ""), deploy["metadata"]["uid"]
        out = []
        for rs in self.sets.values():
            ref = controller_of(rs)
            if rs["metadata"].get("namespace", "") == namespace and ref is not None and ref.get("uid") == uid:
                out.append(rs)
        return out

    async def _adopt_orphans(self, deploy: Obj) -> None:
        namespace = deploy["metadata"].get("namespace", "")
        selector = (deploy.get("spec") or {}).get("selector")
        for rs in self.sets.values():
            meta = rs["metadata"]
            if meta.get("namespace", "") == namespace and controller_of(rs) is None and not meta.get(
                    "deletionTimestamp") and matches(selector, meta.get("labels") or {}):
                refs = [*(meta.get("ownerReferences") or []), owner_reference(deploy, "apps/v1", "Deployment")]
                try:
                    await self.client.patch("replicasets", meta["name"], {"metadata": {
                        "ownerReferences": refs, "resourceVersion": meta["resourceVersion"]}}, namespace)
                except (Conflict, NotFound):
                    pass

    async def sync(self, key: Key) -> None:
        deploy = self.deployments.get(*key)
        if deploy is None or deploy["metadata"].get("deletionTimestamp"):
            return
        await self._adopt_orphans(deploy)
        sets = self._sets_of(deploy)
        spec = deploy.get("spec") or {}
        template = spec.get("template") or {}
        digest = template_hash(template)
        new = next((rs for rs in sets if ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get(
            "labels", {}).get(HASH_LABEL) == digest), None)
        olds = [rs for rs in sets if rs is not new]
        replicas = int(spec.get("replicas", 1))
        surge, max_unavailable = surge_and_unavailable(deploy)
        strategy = (spec.get("strategy") or {}).get("type") or "RollingUpdate"
        paused = bool(spec.get("paused"))
        max_revision = max((revision_of(rs) for rs in sets), default=0)
        if paused:
            if new is not None and replicas_of(new) != replicas and not any(replicas_of(o) for o in olds):
                await self._scale(new, replicas, deploy, surge)
        elif new is None:
            start = 0 if strategy == "Recreate" and any(replicas_of(o) for o in olds) else (
                replicas if not olds else min(replicas, max(0, replicas + surge - sum(replicas_of(o) for o in olds))))
            new = await self._create_set(deploy, digest, max_revision + 1, start)
        else:
            if revision_of(new) < max_revision:  # an old template came back (rollback): it is the newest revision
                new = await self._annotate(new, {REVISION: str(max_revision + 1)}) or new
            if strategy == "Recreate":
                await self._recreate(deploy, new, olds, replicas, surge)
            else:
                want_new, old_wants = rolling_step(replicas, surge, max_unavailable, new, olds)
                if want_new != replicas_of(new):
                    await self._scale(new, want_new, deploy, surge)
                for rs in olds:
                    target = old_wants.get(rs["metadata"]["name"], replicas_of(rs))
                    if target != replicas_of(rs):
                        await self._scale(rs, target, deploy, surge)
        await self._cleanup(deploy, [rs for rs in olds if rs is not new])
        await self._update_status(deploy, new, [rs for rs in sets if rs is not new], paused)

    async def _recreate(self, deploy: Obj, new: Obj, olds: list[Obj], replicas: int, surge: int) -> None:
        running_old = [rs for rs in olds if replicas_of(rs) or int((rs.get("status") or {}).get("replicas") or 0)]
        for rs in running_old:
            if replicas_of(rs):
                await self._scale(rs, 0, deploy, surge)
        if not running_old and replicas_of(new) != replicas:
            await self._scale(new, replicas, deploy, surge)

    async def _create_set(self, deploy: Obj, digest: str, revision: int, replicas: int) -> Obj | None:
        spec = deploy.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = digest
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = digest
        name, namespace = deploy["metadata"]["name"], deploy["metadata"].get("namespace", "")
        surge, _ = surge_and_unavailable(deploy)
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": f"{name}-{digest}", "namespace": namespace,
                           "labels": dict(template["metadata"]["labels"]),
                           "annotations": {REVISION: str(revision), DESIRED: str(spec.get("replicas", 1)),
                                           MAX_REPLICAS: str(int(spec.get("replicas", 1)) + surge)},
                           "ownerReferences": [owner_reference(deploy, "apps/v1", "Deployment")]},
              "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                       "selector": selector, "template": template}}
        try:
            created: Obj = await self.client.create("replicasets", rs, namespace)
            return created
        except AlreadyExists:
            return None  # the informer has not shown it yet: the next sync finds it

    async def _annotate(self, rs: Obj, annotations: dict[str, str]) -> Obj | None:
        try:
            result: Obj = await self.client.patch("replicasets", rs["metadata"]["name"], {"metadata": {
                "annotations": annotations}}, rs["metadata"]["namespace"])
            return result
        except (Conflict, NotFound):
            return None

    async def _scale(self, rs: Obj, replicas: int, deploy: Obj, surge: int) -> None:
        want = int((deploy.get("spec") or {}).get("replicas", 1))
        try:
            await self.client.patch("replicasets", rs["metadata"]["name"], {
                "metadata": {"annotations": {DESIRED: str(want), MAX_REPLICAS: str(want + surge)}},
                "spec": {"replicas": replicas}}, rs["metadata"]["namespace"])
        except NotFound:
            pass

    async def _cleanup(self, deploy: Obj, olds: list[Obj]) -> None:
        limit = (deploy.get("spec") or {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        idle = sorted([rs for rs in olds if replicas_of(rs) == 0 and not int((rs.get("status") or {}).get(
            "replicas") or 0) and not rs["metadata"].get("deletionTimestamp")], key=revision_of)
        for rs in idle[:max(0, len(idle) - limit)]:
            try:
                await self.client.delete("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"])
            except NotFound:
                pass

    async def _update_status(self, deploy: Obj, new: Obj | None, olds: list[Obj], paused: bool) -> None:
        spec = deploy.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        _, max_unavailable = surge_and_unavailable(deploy)
        every = [rs for rs in [new, *olds] if rs is not None]

        def total(field: str, sets: list[Obj]) -> int:
            return sum(int((rs.get("status") or {}).get(field) or 0) for rs in sets)
        status_replicas = total("replicas", every)
        updated = total("replicas", [new] if new is not None else [])
        available = total("availableReplicas", every)
        ready = total("readyReplicas", every)
        old = deploy.get("status") or {}
        old_conditions = old.get("conditions") or []
        now_ts = self.clock()
        now = _rfc3339(now_ts)
        new_name = new["metadata"]["name"] if new is not None else ""
        conditions = [condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum "
                                "availability.", now, old_conditions) if available >= replicas - max_unavailable
                      else condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have "
                                     "minimum availability.", now, old_conditions)]
        complete = (new is not None and updated == replicas and available == replicas
                    and status_replicas == replicas and replicas_of(new) == replicas)
        previous = next((c for c in old_conditions if c.get("type") == "Progressing"), None)
        deadline = spec.get("progressDeadlineSeconds")
        if paused:
            progressing = condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now,
                                    old_conditions)
        elif complete:
            progressing = condition("Progressing", "True", "NewReplicaSetAvailable",
                                    f'ReplicaSet "{new_name}" has successfully progressed.', now, old_conditions)
        else:
            progressed = (updated != int(old.get("updatedReplicas") or 0) or available != int(
                old.get("availableReplicas") or 0) or status_replicas != int(old.get("replicas") or 0)
                or previous is None or previous.get("reason") in ("NewReplicaSetAvailable", "DeploymentPaused",
                                                                   "DeploymentResumed")
                or deploy["metadata"].get("generation", 1) != old.get("observedGeneration"))
            if progressed:
                progressing = condition("Progressing", "True", "ReplicaSetUpdated",
                                        f'ReplicaSet "{new_name}" is progressing.', now, old_conditions)
                progressing["lastUpdateTime"] = now
            elif previous is not None and previous.get("reason") == "ProgressDeadlineExceeded":
                progressing = previous
            elif deadline is not None and previous is not None and \
                    _parse(previous.get("lastUpdateTime")) + int(deadline) <= now_ts:
                progressing = condition("Progressing", "False", "ProgressDeadlineExceeded",
                                        f'ReplicaSet "{new_name}" has timed out progressing.', now, old_conditions)
            else:
                progressing = previous or condition("Progressing", "True", "ReplicaSetUpdated",
                                                    f'ReplicaSet "{new_name}" is progressing.', now, old_conditions)
            if deadline is not None and progressing.get("reason") != "ProgressDeadlineExceeded":
                self.queue.add_after(key_of(deploy), float(deadline) + 1)
        conditions.append(progressing)
        status: Obj = {"observedGeneration": deploy["metadata"].get("generation", 1), "replicas": status_replicas,
                       "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
                       "unavailableReplicas": max(0, replicas - available), "conditions": conditions}
        if all(old.get(k) == v for k, v in status.items() if k != "conditions") and \
                [(c["type"], c["status"], c["reason"], c["message"]) for c in old_conditions] == \
                [(c["type"], c["status"], c["reason"], c["message"]) for c in conditions]:
            return
        try:
            await self.client.update_status("deployments", {**deploy, "status": status},
                                            deploy["metadata"].get("namespace", ""))
        except Conflict:
            self.queue.add(key_of(deploy))
        except NotFound:
            pass
