"""The DaemonSet controller, as kube-controller-manager's: one pod of each
DaemonSet on every node it should run on. A node is eligible when the
template's nodeSelector and required node affinity match it and the pod
tolerates its NoSchedule and NoExecute taints (judged by the scheduler's own
filter functions); daemon pods always tolerate the node condition taints
(not-ready, unreachable, disk/memory/pid pressure, unschedulable), so a
cordoned or troubled node keeps its daemons. A node that only gained a
NoSchedule taint keeps the pod it already runs.

Each pod is created pinned to its node by the required node affinity
`metadata.name In [node]` (the scheduler then binds it there), carrying the
label controller-revision-hash of the template. Pods on nodes that are no
longer eligible (or gone), extra pods on one node and failed pods (after a
per-node backoff) are deleted. RollingUpdate replaces pods of an older
template at most maxUnavailable (of the desired count, rounded up) at a time,
counting pods that are not available as unavailable; OnDelete leaves old pods
until someone deletes them. Node events wake every DaemonSet."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
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
from controllers.pods import is_ready, is_terminal, is_terminating, parse_time, ready_since
from kubelite.api.labels import matches
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError
from kubelite.events import EventRecorder
from kubelite.kinds.deployment import scaled
from scheduler.framework import CycleState, NodeInfo, PodInfo
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.taint_toleration import tolerates

log = logging.getLogger(__name__)
Obj = dict[str, Any]
HASH_LABEL = "controller-revision-hash"
BURST = 250                 # pod creates at most per sync (kube-controller-manager's burstReplicas)
FAILED_BACKOFF = 1.0        # before deleting a failed daemon pod again on the same node ...
FAILED_BACKOFF_MAX = 900.0  # ... doubling up to 15 minutes
NODE_NAME_FIELD = "metadata.name"


def _exists(key: str, effect: str) -> Obj:
    return {"key": key, "operator": "Exists", "effect": effect}


# what kube-controller-manager adds to every daemon pod
DAEMON_TOLERATIONS = [
    _exists("node.kubernetes.io/not-ready", "NoExecute"),
    _exists("node.kubernetes.io/unreachable", "NoExecute"),
    _exists("node.kubernetes.io/disk-pressure", "NoSchedule"),
    _exists("node.kubernetes.io/memory-pressure", "NoSchedule"),
    _exists("node.kubernetes.io/pid-pressure", "NoSchedule"),
    _exists("node.kubernetes.io/unschedulable", "NoSchedule"),
]
HOST_NETWORK_TOLERATION = _exists("node.kubernetes.io/network-unavailable", "NoSchedule")
_AFFINITY = NodeAffinity()


def template_hash(template: Obj | None) -> str:
    """A short digest of the pod template (without its own hash label)."""
    clean = copy.deepcopy(template or {})
    ((clean.get("metadata") or {}).get("labels") or {}).pop(HASH_LABEL, None)
    return hashlib.sha256(json.dumps(clean, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:10]


def daemon_pod_spec(template_spec: Obj | None) -> Obj:
    """The template's pod spec with the daemon tolerations added (those it lacks)."""
    spec = copy.deepcopy(template_spec or {})
    tolerations = list(spec.get("tolerations") or [])
    extra = [*DAEMON_TOLERATIONS, *([HOST_NETWORK_TOLERATION] if spec.get("hostNetwork") else [])]
    for toleration in extra:
        if not any(t.get("key") == toleration["key"] and (t.get("effect") or "") == toleration["effect"]
                   for t in tolerations):
            tolerations.append(dict(toleration))
    spec["tolerations"] = tolerations
    return spec


def pin_to_node(spec: Obj, node: str) -> Obj:
    """Require the node by name, as Kubernetes does: the required node affinity
    terms become the single term `metadata.name In [node]`."""
    affinity = spec.setdefault("affinity", {}) or {}
    spec["affinity"] = affinity
    node_affinity = affinity.setdefault("nodeAffinity", {}) or {}
    affinity["nodeAffinity"] = node_affinity
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [
        {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node]}]}]}
    return spec


def target_node(pod: Obj) -> str:
    """The node a daemon pod is for: where it is bound, else the node its affinity names."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            values = field.get("values") or []
            if field.get("key") == NODE_NAME_FIELD and field.get("operator") == "In" and len(values) == 1:
                return str(values[0])
    return ""


def should_run(ds: Obj, node: Obj, pod_spec: Obj | None = None) -> tuple[bool, bool]:
    """(should a daemon pod start on the node, may one already there keep running).
    `pod_spec`: the daemon pod spec, when the caller already made it."""
    template = (ds.get("spec") or {}).get("template") or {}
    spec = daemon_pod_spec(template.get("spec")) if pod_spec is None else pod_spec
    node_name = (node.get("metadata") or {}).get("name", "")
    if spec.get("nodeName") and spec["nodeName"] != node_name:
        return False, False
    pod = PodInfo({"metadata": dict(template.get("metadata") or {}), "spec": spec}, 0, 0)
    info = NodeInfo(node)
    if _AFFINITY.filter(pod, info, CycleState([info])):
        return False, False
    untolerated = [t for t in (node.get("spec") or {}).get("taints") or []
                   if t.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(pod, t)]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def is_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """Ready, and ready for minReadySeconds at least (a pod ready exactly that long counts)."""
    since = ready_since(pod)
    return is_ready(pod) and (min_ready_seconds <= 0 or (since is not None and since + min_ready_seconds <= now))


def _keep_order(pod: Obj) -> tuple[int, float, str]:
    """The pod to keep first: bound before unbound, then the oldest."""
    meta = pod.get("metadata") or {}
    return (0 if (pod.get("spec") or {}).get("nodeName") else 1, parse_time(meta.get("creationTimestamp")) or 0.0,
            meta.get("name", ""))


def max_unavailable(ds: Obj, desired: int) -> int:
    rolling = (((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {})
    value = rolling.get("maxUnavailable", 1)
    return max(1, scaled(1 if value is None else value, desired, True))


def _node_view(node: Obj) -> tuple[Any, ...]:
    """What of a node decides where daemons run (heartbeats do not)."""
    conditions = sorted((c.get("type", ""), c.get("status", ""))
                        for c in (node.get("status") or {}).get("conditions") or [])
    return (json.dumps((node.get("metadata") or {}).get("labels") or {}, sort_keys=True),
            json.dumps(node.get("spec") or {}, sort_keys=True), conditions)


class DaemonSetController:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.sets = indexed(informers.informer("daemonsets"))
        self.pods = indexed(informers.informer("pods"))
        self.nodes = informers.informer("nodes")
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.workers = workers
        self.clock = clock
        self.events = EventRecorder(client, "daemonset-controller")
        self._failed_backoff: dict[tuple[Key, str], tuple[float, float]] = {}  # (ds, node) -> (delay, since)
        self.sets.add_handler(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.pods.add_handler(self._pod_event)
        self.nodes.add_handler(self._node_event)

    # ------------------------------------------------------------------ events
    def _pod_event(self, kind: str, pod: Obj, old: Obj | None) -> None:
        meta = pod.get("metadata") or {}
        namespace = meta.get("namespace", "")
        ref = controller_of(pod)
        if ref is not None:
            if ref.get("kind") != "DaemonSet":
                return
            key = (namespace, ref["name"])
            if kind == "ADDED":
                self.expectations.created(key)
            elif kind == "MODIFIED" and is_terminating(pod) and not is_terminating(old or {}):
                self.expectations.deleted(key)
            elif kind == "DELETED" and not is_terminating(pod):
                self.expectations.deleted(key)
            self.queue.add(key)
            return
        if kind != "DELETED":  # an orphan: the DaemonSets that may adopt it
            for ds in self.sets.by_index(BY_NAMESPACE, namespace):
                if matches((ds.get("spec") or {}).get("selector"), meta.get("labels")):
                    self.queue.add(key_of(ds))

    def _node_event(self, kind: str, node: Obj, old: Obj | None) -> None:
        if kind == "MODIFIED" and old is not None and _node_view(old) == _node_view(node):
            return
        for ds in self.sets.values():
            self.queue.add(key_of(ds))

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("daemonset", self.queue, self.sync, stop, self.workers)

    # -------------------------------------------------------------------- sync
    async def sync(self, key: Key) -> None:
        ds = self.sets.get(*key)
        if ds is None:
            self.expectations.forget(key)
            return
        if ds["metadata"].get("deletionTimestamp"):
            return
        now = self.clock()
        digest = template_hash((ds.get("spec") or {}).get("template"))
        pod_spec = daemon_pod_spec(((ds.get("spec") or {}).get("template") or {}).get("spec"))
        nodes = sorted(self.nodes.values(), key=lambda n: n["metadata"]["name"])
        fits = {n["metadata"]["name"]: should_run(ds, n, pod_spec) for n in nodes}
        await self._adopt_orphans(ds)
        if self.expectations.satisfied(key):
            await self._manage(key, ds, fits, digest, now)
            strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate"
            if strategy == "RollingUpdate" and self.expectations.satisfied(key):
                await self._roll(key, ds, fits, digest, now)
        await self._update_status(key, ds, fits, digest, now)

    def _pods_by_node(self, ds: Obj) -> dict[str, list[Obj]]:
        by_node: dict[str, list[Obj]] = {}
        for pod in self.pods.by_index(BY_CONTROLLER, str(ds["metadata"].get("uid", ""))):
            by_node.setdefault(target_node(pod), []).append(pod)
        return by_node

    async def _adopt_orphans(self, ds: Obj) -> None:
        namespace = ds["metadata"].get("namespace", "")
        selector = (ds.get("spec") or {}).get("selector")
        for pod in self.pods.by_index(ORPHANS, namespace):
            meta = pod.get("metadata") or {}
            if is_terminating(pod) or is_terminal(pod) or not matches(selector, meta.get("labels")):
                continue
            refs = [*(meta.get("ownerReferences") or []), owner_reference(ds, "apps/v1", "DaemonSet")]
            try:
                await self.client.patch("pods", meta["name"], {"metadata": {
                    "ownerReferences": refs, "resourceVersion": meta.get("resourceVersion")}}, namespace)
            except (Conflict, NotFound):
                pass

    async def _manage(self, key: Key, ds: Obj, fits: dict[str, tuple[bool, bool]], digest: str,
                      now: float) -> None:
        """Create the missing daemon pods and delete the misplaced, failed and extra ones."""
        by_node = self._pods_by_node(ds)
        create: list[str] = []
        delete: list[Obj] = []
        for node, (run, keep) in fits.items():
            here = by_node.get(node, [])
            if run and not here:
                create.append(node)
            elif keep:
                live = []
                for pod in here:
                    phase = (pod.get("status") or {}).get("phase")
                    if is_terminating(pod):
                        continue
                    if phase == "Failed":
                        if self._may_delete_failed(key, node, now):
                            log.info("daemonset %s/%s: failed daemon pod %s on node %s; deleting it", key[0], key[1],
                                     pod["metadata"]["name"], node)
                            self.events.event(ds, "Warning", "FailedDaemonPod",
                                              f"Found failed daemon pod {key[0]}/{pod['metadata']['name']} on node "
                                              f"{node}, will try to kill it")
                            delete.append(pod)
                    elif phase == "Succeeded":
                        delete.append(pod)
                    else:
                        live.append(pod)
                delete += sorted(live, key=_keep_order)[1:]  # one per node: the oldest bound one stays
            else:
                delete += [p for p in here if not is_terminating(p)]
        for node, here in by_node.items():
            if node not in fits:  # pinned to a node that is gone (or to none): it can never run
                delete += [p for p in here if not is_terminating(p)]
        await self._delete(key, ds, delete, fits)
        await self._create(key, ds, create[:BURST], digest)

    def _may_delete_failed(self, key: Key, node: str, now: float) -> bool:
        """Kubelets may reject a daemon pod over and over: delete failed ones on a node with a backoff."""
        delay, since = self._failed_backoff.get((key, node), (0.0, float("-inf")))
        if now - since < delay:
            self.queue.add_after(key, delay - (now - since))
            return False
        delay = FAILED_BACKOFF if delay == 0 else min(delay * 2, FAILED_BACKOFF_MAX)
        self._failed_backoff[(key, node)] = (delay, now)
        return True

    async def _roll(self, key: Key, ds: Obj, fits: dict[str, tuple[bool, bool]], digest: str, now: float) -> None:
        """RollingUpdate (no surge): delete old pods while at most maxUnavailable daemons are unavailable;
        the next sync recreates them from the current template."""
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        desired = sum(1 for run, _ in fits.values() if run)
        budget = max_unavailable(ds, desired)
        unavailable = 0
        replace: list[Obj] = []     # old pods that are not available anyway
        candidates: list[Obj] = []  # old available pods
        for _node, pods in sorted(self._pods_by_node(ds).items()):
            live = [p for p in pods if not is_terminating(p)]
            new = [p for p in live if (p["metadata"].get("labels") or {}).get(HASH_LABEL) == digest]
            old = [p for p in live if p not in new]
            if len(new) > 1 or len(old) > 1 or len(new) == len(old):
                unavailable += 1  # being created, replaced or cleaned up: not available now
            elif new:
                if not is_available(new[0], min_ready, now):
                    unavailable += 1
            elif not is_available(old[0], min_ready, now):
                replace.append(old[0])  # unavailable anyway: replace it at once, but count it
                unavailable += 1
            elif unavailable < budget:
                candidates.append(old[0])
        room = max(0, min(budget - unavailable, len(candidates)))
        await self._delete(key, ds, replace + candidates[:room], fits)

    async def _create(self, key: Key, ds: Obj, nodes: list[str], digest: str) -> None:
        if not nodes:
            return
        self.expectations.expect(key, creates=len(nodes))
        results = await asyncio.gather(*(self._create_one(ds, node, digest) for node in nodes))
        failed = results.count(False)
        for _ in range(failed):
            self.expectations.created(key)
        if failed:
            raise StatusError(f"{failed} daemon pod creates failed for DaemonSet {key[0]}/{key[1]}")

    def new_pod(self, ds: Obj, node: str, digest: str) -> Obj:
        template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
        template_meta = template.get("metadata") or {}
        meta: Obj = {"generateName": f"{ds['metadata']['name']}-", "namespace": ds["metadata"].get("namespace", ""),
                     "labels": {**(template_meta.get("labels") or {}), HASH_LABEL: digest},
                     "ownerReferences": [owner_reference(ds, "apps/v1", "DaemonSet")]}
        if template_meta.get("annotations"):
            meta["annotations"] = dict(template_meta["annotations"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": pin_to_node(daemon_pod_spec(template.get("spec")), node)}

    async def _create_one(self, ds: Obj, node: str, digest: str) -> bool:
        try:
            pod = await self.client.create("pods", self.new_pod(ds, node, digest), ds["metadata"].get("namespace", ""))
        except AlreadyExists:
            return True
        except StatusError as err:
            log.info("daemonset %s: creating a pod for node %s failed: %s", ds["metadata"]["name"], node, err.message)
            self.events.event(ds, "Warning", "FailedCreate", f"Error creating: {err.message}")
            return False
        self.events.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return True

    async def _delete(self, key: Key, ds: Obj, pods: list[Obj], fits: dict[str, tuple[bool, bool]]) -> None:
        for pod in pods:
            meta = pod["metadata"]
            gone = target_node(pod) not in fits  # no kubelet will ever confirm it: delete at once
            self.expectations.expect(key, deletes=1)
            try:
                await self.client.delete("pods", meta["name"], meta.get("namespace", ""),
                                         grace_period_seconds=0 if gone else None)
            except NotFound:
                self.expectations.deleted(key)
                continue
            except StatusError:
                self.expectations.deleted(key)
                raise
            self.events.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")

    async def _update_status(self, key: Key, ds: Obj, fits: dict[str, tuple[bool, bool]], digest: str,
                             now: float) -> None:
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        by_node = self._pods_by_node(ds)
        desired = current = misscheduled = ready = available = updated = 0
        for node, (run, _) in fits.items():
            here = sorted((p for p in by_node.get(node, []) if not is_terminating(p)), key=_keep_order)
            if not run:
                misscheduled += 1 if here else 0
                continue
            desired += 1
            if not here:
                continue
            current += 1
            pod = here[0]
            if is_ready(pod):
                ready += 1
                available += 1 if is_available(pod, min_ready, now) else 0
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) == digest:
                updated += 1
        if min_ready > 0 and ready > available:
            self.queue.add_after(key, float(min_ready))
        counts: Obj = {"desiredNumberScheduled": desired, "currentNumberScheduled": current,
                       "numberMisscheduled": misscheduled, "numberReady": ready, "updatedNumberScheduled": updated,
                       "numberAvailable": available, "numberUnavailable": desired - available,
                       "observedGeneration": ds["metadata"].get("generation", 1)}
        old = ds.get("status") or {}
        if all(old.get(k) == v for k, v in counts.items()):
            return
        try:
            await self.client.update_status("daemonsets", {**ds, "status": {**old, **counts}}, key[0])
        except Conflict:
            self.queue.add(key)
        except NotFound:
            pass
