"""The Deployment controller of the controller-manager, as kube-controller-manager's.

A Deployment rolls its pod template out through ReplicaSets. The ReplicaSet
whose template equals the Deployment's (ignoring the pod-template-hash label)
is the new one; one is created when there is none, named
`<deployment>-<pod-template-hash>` with that label added to its template and
selector. RollingUpdate scales the new ReplicaSet up within replicas +
maxSurge pods and the old ones down while replicas - maxUnavailable stay
available (as the ReplicaSets' status says); Recreate scales every old one to
zero and waits for their pods to be gone before it scales the new one up.

Alongside: revisions (`deployment.kubernetes.io/revision`, a rolled-back-to
ReplicaSet takes the next one), the desired- and max-replicas annotations
that proportional scaling reads when a Deployment is resized mid-rollout,
adoption and release of ReplicaSets, pause, history cleanup
(revisionHistoryLimit) and the status with the Available and Progressing
conditions `kubectl rollout status` reads, including ProgressDeadlineExceeded
on an injectable clock.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from typing import Any

from controllers.base import (
    BY_CONTROLLER,
    BY_NAMESPACE,
    ORPHANS,
    Key,
    WorkQueue,
    controller_of,
    indexed,
    key_of,
    owner_reference,
    run_workers,
)
from controllers.pods import is_terminal, parse_time, rfc3339
from controllers.rollout import (
    AVAILABLE,
    COMPLETE,
    DESIRED,
    HASH_LABEL,
    MAX_REPLICAS,
    NOT_COPIED,
    PAUSED,
    PROGRESSING,
    REPLICA_FAILURE,
    RESUMED,
    REVISION,
    REVISION_HISTORY,
    REVISION_HISTORY_CHARS,
    TIMED_OUT,
    age_key,
    claim_selector,
    counted,
    desired_of,
    get_condition,
    is_complete,
    is_rolling,
    made_progress,
    make_condition,
    max_surge,
    max_unavailable,
    meta_of,
    new_set_replicas,
    progress_deadline,
    remove_condition,
    replicas_of,
    revision_of,
    round_half,
    set_condition,
    spec_of,
    template_hash,
    usable,
    without_hash,
)
from kubelite.api.labels import matches
from kubelite.errors import AlreadyExists, Conflict, NotFound
from kubelite.events import EventRecorder

log = logging.getLogger(__name__)
Obj = dict[str, Any]

# ---------------------------------------------------------------- controller
class DeploymentController:
    """Reconciles Deployments (keys are (namespace, name)) through their ReplicaSets."""

    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.deployments = indexed(informers.informer("deployments"))
        self.sets = indexed(informers.informer("replicasets"))
        self.pods = indexed(informers.informer("pods"))
        self.queue = WorkQueue()
        self.events = EventRecorder(client, "deployment-controller")
        self.workers = workers
        self.clock = clock
        self.deployments.add_handler(self._deployment_event)
        self.sets.add_handler(self._set_event)
        self.pods.add_handler(self._pod_event)

    # ----------------------------------------------------------- informer events
    def _deployment_event(self, kind: str, deploy: Obj, old: Obj | None) -> None:
        self.queue.add(key_of(deploy))

    def _deployments_of(self, rs: Obj) -> set[Key]:
        """The Deployment controlling the ReplicaSet, or for an orphan every
        Deployment in its namespace whose selector matches it."""
        namespace = meta_of(rs).get("namespace", "") or ""
        ref = controller_of(rs)
        if ref is not None:
            if ref.get("kind") != "Deployment":
                return set()
            deploy = self.deployments.get(namespace, ref["name"])
            return {(namespace, ref["name"])} if deploy is not None and meta_of(deploy).get("uid") == ref.get(
                "uid") else set()
        labels = meta_of(rs).get("labels") or {}
        return {key_of(d) for d in self.deployments.by_index(BY_NAMESPACE, namespace)
                if claim_selector(d) is not None and matches(claim_selector(d), labels)}

    def _set_event(self, kind: str, rs: Obj, old: Obj | None) -> None:
        keys = self._deployments_of(rs)
        if old is not None:
            keys |= self._deployments_of(old)
        for key in keys:
            self.queue.add(key)

    def _pod_event(self, kind: str, pod: Obj, old: Obj | None) -> None:
        """A Recreate rollout waits for the old pods to be gone: look again when one goes."""
        if kind != "DELETED":
            return
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.sets.get(meta_of(pod).get("namespace", "") or "", ref["name"])
        if rs is None or meta_of(rs).get("uid") != ref.get("uid"):
            return
        for key in self._deployments_of(rs):
            deploy = self.deployments.get(*key)
            if deploy is not None and not is_rolling(deploy):
                self.queue.add(key)

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("deployment", self.queue, self.sync, stop, self.workers)

    # ----------------------------------------------------------------- syncing
    async def sync(self, key: Key) -> None:
        """Reconcile one Deployment: claim its ReplicaSets, then scale (paused
        or resized), or roll out by its strategy; write its status."""
        cached = self.deployments.get(*key)
        if cached is None:
            return
        deploy = copy.deepcopy(cached)
        if claim_selector(deploy) is None:
            await self._selecting_everything(deploy)
            return
        sets = await self._claim(deploy)
        conditions = copy.deepcopy((deploy.get("status") or {}).get("conditions") or [])
        if meta_of(deploy).get("deletionTimestamp"):
            new, olds = self._split(deploy, sets)
            await self._write_status(deploy, self.calculate_status(deploy, new, olds, conditions))
            return
        self._note_pause(deploy, conditions)
        new, olds, deploy = await self._sync_revision(deploy, sets, conditions)
        if spec_of(deploy).get("paused") or self._scaling_event(deploy, new, olds):
            new, olds = await self._scale(deploy, new, olds)
            if spec_of(deploy).get("paused"):
                await self._cleanup(deploy, olds)
            await self._write_status(deploy, self.calculate_status(deploy, new, olds, conditions))
            return
        if is_rolling(deploy):
            await self._roll(deploy, new, olds, conditions)
        else:
            await self._recreate(deploy, new, olds, conditions)

    async def _selecting_everything(self, deploy: Obj) -> None:
        self.events.event(deploy, "Warning", "SelectingAll",
                          "This deployment is selecting all pods. A non-empty selector is required.")
        status = dict(deploy.get("status") or {})
        generation = int(meta_of(deploy).get("generation") or 1)
        if int(status.get("observedGeneration") or 0) < generation:
            await self._write_status(deploy, {**status, "observedGeneration": generation})

    async def _claim(self, deploy: Obj) -> list[Obj]:
        """The ReplicaSets the Deployment controls after adopting matching
        orphans and releasing owned ones that no longer match."""
        meta = meta_of(deploy)
        namespace, uid = meta.get("namespace", "") or "", meta["uid"]
        selector, leaving = claim_selector(deploy), bool(meta.get("deletionTimestamp"))
        claimed: list[Obj] = []
        for rs in [*self.sets.by_index(BY_CONTROLLER, uid), *self.sets.by_index(ORPHANS, namespace)]:
            rs_meta = meta_of(rs)
            fits = matches(selector, rs_meta.get("labels") or {})
            ref = controller_of(rs)
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if fits:
                    claimed.append(rs)
                elif not leaving:
                    await self._set_owners(rs, [r for r in rs_meta.get("ownerReferences") or []
                                                if r.get("uid") != uid])
            elif fits and not leaving and not rs_meta.get("deletionTimestamp"):
                refs = [r for r in rs_meta.get("ownerReferences") or [] if r.get("uid") != uid]
                adopted = await self._set_owners(rs, [*refs, owner_reference(deploy, "apps/v1", "Deployment")])
                if adopted is not None:
                    claimed.append(adopted)
        return claimed

    async def _set_owners(self, rs: Obj, refs: list[Obj]) -> Obj | None:
        meta = meta_of(rs)
        try:
            result: Obj = await self.client.patch("replicasets", meta["name"], {"metadata": {
                "ownerReferences": refs or None, "resourceVersion": meta.get("resourceVersion")}},
                meta.get("namespace", "") or "")
            return result
        except (Conflict, NotFound):
            return None  # it changed or went: its event brings us back

    def _split(self, deploy: Obj, sets: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        """The new ReplicaSet (the oldest whose template is the Deployment's) and the others."""
        template = without_hash(spec_of(deploy).get("template"))
        new = next((rs for rs in sorted(sets, key=age_key) if without_hash(spec_of(rs).get("template")) == template),
                   None)
        return new, [rs for rs in sets if rs is not new]

    def _note_pause(self, deploy: Obj, conditions: list[Obj]) -> None:
        """Progressing turns Unknown/DeploymentPaused on pause and
        Unknown/DeploymentResumed on resume (a timed-out rollout stays so)."""
        if progress_deadline(deploy) is None:
            return
        current = get_condition(conditions, PROGRESSING)
        if current is not None and current.get("reason") == TIMED_OUT:
            return
        paused_noted = current is not None and current.get("reason") == PAUSED
        now = rfc3339(self.clock())
        if spec_of(deploy).get("paused") and not paused_noted:
            set_condition(conditions, make_condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused", now))
        elif not spec_of(deploy).get("paused") and paused_noted:
            set_condition(conditions, make_condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed", now))

    # --------------------------------------------------------------- revisions
    def _annotate_new(self, deploy: Obj, annotations: dict[str, str], revision: int, exists: bool) -> bool:
        """Bring the new ReplicaSet's annotations up to date (in place): the
        Deployment's own, the revision (keeping the ones it had before in the
        revision history), and for a new one the replica annotations."""
        changed = False
        for name, value in (meta_of(deploy).get("annotations") or {}).items():
            if name not in NOT_COPIED and annotations.get(name) != value:
                annotations[name] = value
                changed = True
        old_text = annotations.get(REVISION, "")
        try:
            old = int(old_text or 0)
        except ValueError:
            old = revision  # not ours to fix
        if old < revision:
            annotations[REVISION] = str(revision)
            changed = True
            if old_text:
                history = [r for r in annotations.get(REVISION_HISTORY, "").split(",") if r] + [old_text]
                while len(",".join(history)) > REVISION_HISTORY_CHARS and len(history) > 1:
                    history.pop(0)
                annotations[REVISION_HISTORY] = ",".join(history)
        if not exists:
            replicas = desired_of(deploy)
            annotations[DESIRED] = str(replicas)
            annotations[MAX_REPLICAS] = str(replicas + max_surge(deploy))
            changed = True
        return changed

    async def _sync_revision(self, deploy: Obj, sets: list[Obj],
                             conditions: list[Obj]) -> tuple[Obj | None, list[Obj], Obj]:
        """Find the new ReplicaSet and bring its annotations and minReadySeconds
        up to date (a rolled-back-to one takes the next revision); the
        Deployment carries the new ReplicaSet's revision."""
        new, olds = self._split(deploy, sets)
        if new is None:
            return None, olds, deploy
        revision = max((revision_of(rs) for rs in olds), default=0) + 1
        annotations = dict(meta_of(new).get("annotations") or {})
        min_ready = int(spec_of(deploy).get("minReadySeconds") or 0)
        if self._annotate_new(deploy, annotations, revision, exists=True) or \
                int(spec_of(new).get("minReadySeconds") or 0) != min_ready:
            updated = copy.deepcopy(new)
            updated["metadata"]["annotations"] = annotations
            updated["spec"]["minReadySeconds"] = min_ready
            new = await self.client.update("replicasets", updated, meta_of(new).get("namespace", "") or "")
        deploy = await self._set_revision(deploy, revision_of(new))
        if progress_deadline(deploy) is not None and get_condition(conditions, PROGRESSING) is None:
            set_condition(conditions, make_condition(PROGRESSING, "True", "FoundNewReplicaSet",
                                                     f'Found new replica set "{meta_of(new)["name"]}"',
                                                     rfc3339(self.clock())))
        return new, olds, deploy

    async def _set_revision(self, deploy: Obj, revision: int) -> Obj:
        if revision <= 0 or (meta_of(deploy).get("annotations") or {}).get(REVISION) == str(revision):
            return deploy
        try:
            patched: Obj = await self.client.patch("deployments", meta_of(deploy)["name"], {
                "metadata": {"annotations": {REVISION: str(revision)}}}, meta_of(deploy).get("namespace", "") or "")
            return patched
        except NotFound:
            return deploy

    async def _create_new(self, deploy: Obj, olds: list[Obj], conditions: list[Obj]) -> tuple[Obj, Obj]:
        """Create the new ReplicaSet (or find that it already exists, not yet
        in the cache); a name taken by something else bumps collisionCount."""
        spec, meta = spec_of(deploy), meta_of(deploy)
        namespace = meta.get("namespace", "") or ""
        collisions = int((deploy.get("status") or {}).get("collisionCount") or 0)
        digest = template_hash(spec.get("template"), collisions)
        template = copy.deepcopy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = digest
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = digest
        revision = max((revision_of(rs) for rs in olds), default=0) + 1
        annotations: dict[str, str] = {}
        self._annotate_new(deploy, annotations, revision, exists=False)
        replicas = new_set_replicas(deploy, olds, None)
        name = f"{meta['name']}-{digest}"
        rs: Obj = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": name, "namespace": namespace,
                                "labels": dict(template["metadata"]["labels"]), "annotations": annotations,
                                "ownerReferences": [owner_reference(deploy, "apps/v1", "Deployment")]},
                   "spec": {"replicas": replicas, "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                            "selector": selector, "template": template}}
        try:
            created: Obj = await self.client.create("replicasets", rs, namespace)
        except AlreadyExists:
            existing: Obj = await self.client.get("replicasets", name, namespace)
            if (controller_of(existing) or {}).get("uid") == meta["uid"] and \
                    without_hash(spec_of(existing).get("template")) == without_hash(spec.get("template")):
                return existing, deploy  # ours: the cache had not shown it yet
            status = {**(deploy.get("status") or {}), "collisionCount": collisions + 1}
            await self.client.update_status("deployments", {**deploy, "status": status}, namespace)
            raise Conflict(f'replicasets "{name}" already exists with another template; trying another name',
                           kind="replicasets", name=name) from None
        if replicas > 0:
            self.events.event(deploy, "Normal", "ScalingReplicaSet",
                              f"Scaled up replica set {name} from 0 to {replicas}")
        if progress_deadline(deploy) is not None:
            set_condition(conditions, make_condition(PROGRESSING, "True", "NewReplicaSetCreated",
                                                     f'Created new replica set "{name}"', rfc3339(self.clock())))
        deploy = await self._set_revision(deploy, revision)
        return created, deploy

    # ----------------------------------------------------------------- scaling
    async def _scale_set(self, deploy: Obj, rs: Obj, replicas: int) -> Obj:
        """Set a ReplicaSet's replicas and its desired/max-replicas annotations."""
        want = desired_of(deploy)
        annotations = dict(meta_of(rs).get("annotations") or {})
        marks = {DESIRED: str(want), MAX_REPLICAS: str(want + max_surge(deploy))}
        before = replicas_of(rs)
        if before == replicas and all(annotations.get(k) == v for k, v in marks.items()):
            return rs
        updated = copy.deepcopy(rs)
        updated["metadata"]["annotations"] = {**annotations, **marks}
        updated.setdefault("spec", {})["replicas"] = replicas
        result: Obj = await self.client.update("replicasets", updated, meta_of(rs).get("namespace", "") or "")
        if before != replicas:
            direction = "up" if replicas > before else "down"
            self.events.event(deploy, "Normal", "ScalingReplicaSet",
                              f"Scaled {direction} replica set {meta_of(rs)['name']} from {before} to {replicas}")
        return result

    def _scaling_event(self, deploy: Obj, new: Obj | None, olds: list[Obj]) -> bool:
        """The Deployment was resized: an active ReplicaSet was annotated with another desired count."""
        for rs in [new, *olds]:
            if rs is None or replicas_of(rs) == 0:
                continue
            try:
                desired = int((meta_of(rs).get("annotations") or {})[DESIRED])
            except (KeyError, ValueError):
                continue
            if desired != desired_of(deploy):
                return True
        return False

    async def _scale(self, deploy: Obj, new: Obj | None, olds: list[Obj]) -> tuple[Obj | None, list[Obj]]:
        """Bring the ReplicaSets to the Deployment's size without rolling out:
        the one active (or latest) ReplicaSet takes it all; mid-rollout the
        difference is shared out in proportion to their sizes."""
        sets = {meta_of(rs)["name"]: rs for rs in [new, *olds] if rs is not None}

        def result() -> tuple[Obj | None, list[Obj]]:
            fresh_new = sets[meta_of(new)["name"]] if new is not None else None
            return fresh_new, [sets[meta_of(rs)["name"]] for rs in olds]

        replicas = desired_of(deploy)
        active = [rs for rs in [new, *olds] if rs is not None and replicas_of(rs) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new if new is not None else max(olds, key=age_key, default=None))
            if target is not None and replicas_of(target) != replicas:
                sets[meta_of(target)["name"]] = await self._scale_set(deploy, target, replicas)
            return result()
        if self._saturated(deploy, new):
            for rs in active:
                if rs is not new:
                    sets[meta_of(rs)["name"]] = await self._scale_set(deploy, rs, 0)
            return result()
        if not is_rolling(deploy):
            return result()
        allowed = replicas + max_surge(deploy) if replicas > 0 else 0
        to_add = allowed - sum(replicas_of(rs) for rs in active)
        order = sorted(active, key=age_key, reverse=to_add > 0)  # newer first when growing, older when shrinking
        order.sort(key=lambda rs: -replicas_of(rs))           # then the largest first (a stable sort)
        sizes: dict[str, int] = {}
        added = 0
        for rs in order:
            share = self._proportion(deploy, rs, to_add, added)
            sizes[meta_of(rs)["name"]] = replicas_of(rs) + share
            added += share
        if to_add != 0:  # what rounding left over goes to the largest
            first = meta_of(order[0])["name"]
            sizes[first] = max(0, sizes[first] + to_add - added)
        for rs in order:
            sets[meta_of(rs)["name"]] = await self._scale_set(deploy, rs, sizes[meta_of(rs)["name"]])
        return result()

    def _proportion(self, deploy: Obj, rs: Obj, to_add: int, added: int) -> int:
        if replicas_of(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        if desired_of(deploy) == 0:
            share = -replicas_of(rs)
        else:
            try:
                annotated = int((meta_of(rs).get("annotations") or {})[MAX_REPLICAS])
            except (KeyError, ValueError):
                annotated = int((deploy.get("status") or {}).get("replicas") or 0)
            if annotated <= 0:
                return 0
            target = replicas_of(rs) * (desired_of(deploy) + max_surge(deploy)) / annotated
            share = round_half(target) - replicas_of(rs)
        left = to_add - added
        return min(share, left) if to_add > 0 else max(share, left)

    def _saturated(self, deploy: Obj, rs: Obj | None) -> bool:
        if rs is None:
            return False
        try:
            desired = int((meta_of(rs).get("annotations") or {})[DESIRED])
        except (KeyError, ValueError):
            return False
        replicas = desired_of(deploy)
        return replicas_of(rs) == replicas and desired == replicas and counted(rs, "availableReplicas") == replicas

    # ---------------------------------------------------------------- rollouts
    async def _roll(self, deploy: Obj, new: Obj | None, olds: list[Obj], conditions: list[Obj]) -> None:
        """One RollingUpdate step: grow the new ReplicaSet, else shrink the old
        ones, else (when complete) clean up history."""
        if new is None:
            new, deploy = await self._create_new(deploy, olds, conditions)
        grown, new = await self._grow_new(deploy, new, olds)
        if not grown:
            shrunk, olds = await self._shrink_old(deploy, new, olds)
            if not shrunk and is_complete(deploy, self.calculate_status(deploy, new, olds, conditions)):
                await self._cleanup(deploy, olds)
        await self._rollout_status(deploy, new, olds, conditions)

    async def _grow_new(self, deploy: Obj, new: Obj, olds: list[Obj]) -> tuple[bool, Obj]:
        replicas = desired_of(deploy)
        have = replicas_of(new)
        if have == replicas:
            return False, new
        target = replicas if have > replicas else new_set_replicas(deploy, [new, *olds], new)
        if target == have:
            return False, new
        return True, await self._scale_set(deploy, new, target)

    async def _shrink_old(self, deploy: Obj, new: Obj, olds: list[Obj]) -> tuple[bool, list[Obj]]:
        """Scale old ReplicaSets down: first their unavailable pods (as far as
        leaves enough pods to reach the minimum), then available ones above
        replicas - maxUnavailable available; the oldest ReplicaSets first."""
        old_total = sum(replicas_of(rs) for rs in olds)
        if old_total == 0:
            return False, olds
        minimum = desired_of(deploy) - max_unavailable(deploy)
        new_unavailable = replicas_of(new) - usable(new)
        room = replicas_of(new) + old_total - minimum - new_unavailable
        if room <= 0:
            return False, olds
        by_name = {meta_of(rs)["name"]: rs for rs in olds}
        oldest_first = sorted(olds, key=age_key)
        cut_total = 0
        for rs in oldest_first:  # unhealthy pods first
            if cut_total >= room:
                break
            rs = by_name[meta_of(rs)["name"]]
            unhealthy = replicas_of(rs) - usable(rs)
            if replicas_of(rs) == 0 or unhealthy <= 0:
                continue
            cut = min(room - cut_total, unhealthy)
            by_name[meta_of(rs)["name"]] = await self._scale_set(deploy, rs, replicas_of(rs) - cut)
            cut_total += cut
        available = usable(new) + sum(usable(by_name[meta_of(rs)["name"]]) for rs in olds)
        budget = available - minimum
        spent = 0
        for rs in oldest_first:
            if spent >= budget:
                break
            rs = by_name[meta_of(rs)["name"]]
            if replicas_of(rs) == 0:
                continue
            cut = min(replicas_of(rs), budget - spent)
            by_name[meta_of(rs)["name"]] = await self._scale_set(deploy, rs, replicas_of(rs) - cut)
            spent += cut
        return cut_total + max(0, spent) > 0, [by_name[meta_of(rs)["name"]] for rs in olds]

    async def _recreate(self, deploy: Obj, new: Obj | None, olds: list[Obj], conditions: list[Obj]) -> None:
        """Recreate: every old ReplicaSet to 0; once their pods are gone,
        create (or scale up) the new one."""
        scaled_down = False
        for i, rs in enumerate(olds):
            if replicas_of(rs) > 0:
                olds[i] = await self._scale_set(deploy, rs, 0)
                scaled_down = True
        if scaled_down or self._old_pods_running(deploy, olds):
            await self._rollout_status(deploy, new, olds, conditions)
            return
        if new is None:
            new, deploy = await self._create_new(deploy, olds, conditions)
        new = await self._scale_set(deploy, new, desired_of(deploy))
        if is_complete(deploy, self.calculate_status(deploy, new, olds, conditions)):
            await self._cleanup(deploy, olds)
        await self._rollout_status(deploy, new, olds, conditions)

    def _old_pods_running(self, deploy: Obj, olds: list[Obj]) -> bool:
        """Do old ReplicaSets still have pods (counted in their status, or in
        the pod cache, terminating ones included, finished ones not)?"""
        if sum(counted(rs, "replicas") for rs in olds) > 0:
            return True
        return any(not is_terminal(pod) for rs in olds
                   for pod in self.pods.by_index(BY_CONTROLLER, str(meta_of(rs).get("uid", ""))))

    async def _cleanup(self, deploy: Obj, olds: list[Obj]) -> None:
        """Keep at most revisionHistoryLimit old ReplicaSets: delete the
        lowest revisions among those with nothing left to do."""
        limit = spec_of(deploy).get("revisionHistoryLimit", 10)
        if limit is None:
            return
        alive = [rs for rs in olds if not meta_of(rs).get("deletionTimestamp")]
        surplus = len(alive) - int(limit)
        if surplus <= 0:
            return
        for rs in sorted(alive, key=lambda s: (revision_of(s), age_key(s)))[:surplus]:
            busy = counted(rs, "replicas") or replicas_of(rs) or \
                int(meta_of(rs).get("generation") or 0) > counted(rs, "observedGeneration")
            if busy:
                continue
            try:
                await self.client.delete("replicasets", meta_of(rs)["name"], meta_of(rs).get("namespace", "") or "")
            except NotFound:
                pass

    # ------------------------------------------------------------------ status
    def calculate_status(self, deploy: Obj, new: Obj | None, olds: list[Obj], conditions: list[Obj]) -> Obj:
        """Counts summed over the ReplicaSets' status (updatedReplicas: the new
        one's), and the Available condition; other conditions as given."""
        sets = [rs for rs in [new, *olds] if rs is not None]
        available = sum(counted(rs, "availableReplicas") for rs in sets)
        status: Obj = {
            "observedGeneration": int(meta_of(deploy).get("generation") or 1),
            "replicas": sum(counted(rs, "replicas") for rs in sets),
            "updatedReplicas": counted(new, "replicas"),
            "readyReplicas": sum(counted(rs, "readyReplicas") for rs in sets),
            "availableReplicas": available,
            "unavailableReplicas": max(0, sum(replicas_of(rs) for rs in sets) - available),
        }
        collisions = (deploy.get("status") or {}).get("collisionCount")
        if collisions:
            status["collisionCount"] = collisions
        conds = copy.deepcopy(conditions)
        now = rfc3339(self.clock())
        if available >= desired_of(deploy) - max_unavailable(deploy):
            set_condition(conds, make_condition(AVAILABLE, "True", "MinimumReplicasAvailable",
                                                "Deployment has minimum availability.", now))
        else:
            set_condition(conds, make_condition(AVAILABLE, "False", "MinimumReplicasUnavailable",
                                                "Deployment does not have minimum availability.", now))
        status["conditions"] = conds
        return status

    async def _rollout_status(self, deploy: Obj, new: Obj | None, olds: list[Obj], conditions: list[Obj]) -> None:
        """The status after a rollout step, with Progressing: complete,
        progressing (its lastUpdateTime moves on), or timed out."""
        status = self.calculate_status(deploy, new, olds, conditions)
        conds: list[Obj] = status["conditions"]
        deadline = progress_deadline(deploy)
        if deadline is None:
            remove_condition(conds, PROGRESSING)
        current = get_condition(conds, PROGRESSING)
        done_before = current is not None and current.get("reason") == COMPLETE and \
            status["replicas"] == status["updatedReplicas"]
        subject = f'ReplicaSet "{meta_of(new)["name"]}"' if new is not None else \
            f'Deployment "{meta_of(deploy)["name"]}"'
        now_seconds = self.clock()
        now = rfc3339(now_seconds)
        if deadline is not None and not done_before:
            if is_complete(deploy, status):
                set_condition(conds, make_condition(PROGRESSING, "True", COMPLETE,
                                                    f"{subject} has successfully progressed.", now))
            elif made_progress(deploy.get("status") or {}, status):
                condition = make_condition(PROGRESSING, "True", "ReplicaSetUpdated", f"{subject} is progressing.", now)
                if current is not None and current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(conds, PROGRESSING)
                conds.append(condition)
            elif self._timed_out(conds, deadline, now_seconds):
                set_condition(conds, make_condition(PROGRESSING, "False", TIMED_OUT,
                                                    f"{subject} has timed out progressing.", now))
        failure = next((c for rs in [new, *olds] if rs is not None
                        for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") == REPLICA_FAILURE),
                       None)
        if failure is not None:
            set_condition(conds, make_condition(REPLICA_FAILURE, failure.get("status", "True"),
                                                failure.get("reason", ""), failure.get("message", ""),
                                                failure.get("lastTransitionTime") or now))
        else:
            remove_condition(conds, REPLICA_FAILURE)
        await self._write_status(deploy, status)
        self._watch_deadline(deploy, status, deadline, now_seconds)

    @staticmethod
    def _timed_out(conditions: list[Obj], deadline: int, now: float) -> bool:
        current = get_condition(conditions, PROGRESSING)
        if current is None or current.get("reason") == COMPLETE:
            return False
        if current.get("reason") == TIMED_OUT:
            return True
        since = parse_time(current.get("lastUpdateTime"))
        return since is not None and since + deadline < now

    def _watch_deadline(self, deploy: Obj, status: Obj, deadline: int | None, now: float) -> None:
        """While a rollout is under way, look again when its deadline would pass."""
        current = get_condition(status["conditions"], PROGRESSING)
        if deadline is None or current is None or current.get("reason") == TIMED_OUT or is_complete(deploy, status):
            return
        since = parse_time(current.get("lastUpdateTime"))
        if since is None:
            return
        self.queue.add_after(key_of(deploy), max(0.0, since + deadline - now) + 1.0)

    async def _write_status(self, deploy: Obj, status: Obj) -> None:
        if status == (deploy.get("status") or {}):
            return
        try:
            await self.client.update_status("deployments", {**deploy, "status": status},
                                            meta_of(deploy).get("namespace", "") or "")
        except Conflict:
            self.queue.add(key_of(deploy))  # a newer version is on its way through the informer
        except NotFound:
            pass
