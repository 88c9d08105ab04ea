"""The ReplicaSet controller: keeps `spec.replicas` pods matching each
ReplicaSet's selector. It creates missing pods from the template (in
slow-start batches), deletes surplus ones least valuable first (unscheduled,
pending, not ready, newest), adopts matching orphans and releases owned pods
that stopped matching, and never creates twice what it already asked for
(expectations). Its status counts replicas, ready and available pods."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from controllers.base import Expectations, Key, WorkQueue, controller_of, key_of, owner_reference, run_workers
from kubelite.api.labels import matches
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError

log = logging.getLogger(__name__)
Obj = dict[str, Any]
BURST = 500


def _parse_time(text: str | None) -> float:
    if not text:
        return 0.0
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()


def is_active(pod: Obj) -> bool:
    return ((pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not (pod.get("metadata") or {}).get("deletionTimestamp"))


def ready_since(pod: Obj) -> float | None:
    """When the pod became Ready, None if it is not."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            if condition.get("status") != "True":
                return None
            return _parse_time(condition.get("lastTransitionTime")) or 0.0
    return None


def is_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    since = ready_since(pod)
    return since is not None and (min_ready_seconds <= 0 or since + min_ready_seconds <= now)


def deletion_rank(pod: Obj) -> tuple[int, int, int, float]:
    """Sorts the pods to delete first to the front."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase") or "Pending", 0)
    return (1 if spec.get("nodeName") else 0, phase_rank, 0 if ready_since(pod) is None else 1,
            -_parse_time((pod.get("metadata") or {}).get("creationTimestamp")))


def pods_to_delete(pods: list[Obj], count: int) -> list[Obj]:
    return sorted(pods, key=deletion_rank)[:max(0, count)]


def new_pod(owner: Obj, api_version: str, kind: str, extra_labels: dict[str, str] | None = None) -> Obj:
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), **(extra_labels or {})}
    name = owner["metadata"]["name"]
    pod_meta: Obj = {"generateName": f"{name}-", "namespace": owner["metadata"].get("namespace", ""),
                     "labels": labels, "ownerReferences": [owner_reference(owner, api_version, kind)]}
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template.get("spec") or {}}


class ReplicaSetController:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.pods = informers.informer("pods")
        self.sets = informers.informer("replicasets")
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.workers = workers
        self.clock = clock
        # indexes, so a sync costs the pods of its own set, not every pod of the cluster
        self._by_owner: dict[str, set[Key]] = {}      # controller uid -> pod keys
        self._orphans: dict[str, set[Key]] = {}       # namespace -> keys of pods without a controller
        self.sets.add_handler(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.pods.add_handler(self._index)
        self.pods.add_handler(self._pod_event)

    def _index_entry(self, pod: Obj) -> tuple[dict[str, set[Key]], str]:
        ref = controller_of(pod)
        if ref is not None:
            return self._by_owner, str(ref.get("uid", ""))
        return self._orphans, pod["metadata"].get("namespace", "")

    def _index(self, kind: str, pod: Obj, old: Obj | None) -> None:
        key = key_of(pod)
        if old is not None:
            table, slot = self._index_entry(old)
            table.get(slot, set()).discard(key)
        table, slot = self._index_entry(pod)
        if kind == "DELETED":
            table.get(slot, set()).discard(key)
        else:
            table.setdefault(slot, set()).add(key)

    def _owners_of(self, pod: Obj) -> list[Key]:
        ref = controller_of(pod)
        namespace = pod["metadata"].get("namespace", "")
        if ref is not None:
            return [(namespace, ref["name"])] if ref.get("kind") == "ReplicaSet" else []
        labels = pod["metadata"].get("labels") or {}
        return [key_of(rs) for rs in self.sets.values() if key_of(rs)[0] == namespace
                and matches((rs.get("spec") or {}).get("selector"), labels)]

    def _pod_event(self, kind: str, pod: Obj, old: Obj | None) -> None:
        ref = controller_of(pod)
        if ref is not None and ref.get("kind") == "ReplicaSet":
            key = (pod["metadata"].get("namespace", ""), ref["name"])
            if kind == "ADDED":
                self.expectations.created(key)
            elif kind == "DELETED":
                self.expectations.deleted(key)
        keys = set(self._owners_of(pod))
        if old is not None:
            keys |= set(self._owners_of(old))
        for key in keys:
            self.queue.add(key)

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("replicaset", self.queue, self.sync, stop, self.workers)

    async def sync(self, key: Key) -> None:
        rs = self.sets.get(*key)
        if rs is None:
            self.expectations.forget(key)
            return
        if rs["metadata"].get("deletionTimestamp"):
            return
        namespace = key[0]
        selector = (rs.get("spec") or {}).get("selector")
        uid = rs["metadata"]["uid"]
        owned: list[Obj] = []
        candidates = [self.pods.get(*k) for k in (*self._by_owner.get(uid, ()), *self._orphans.get(namespace, ()))]
        for pod in [p for p in candidates if p is not None]:
            meta = pod["metadata"]
            if meta.get("namespace", "") != namespace:
                continue
            ref = controller_of(pod)
            labels = meta.get("labels") or {}
            if ref is not None and ref.get("uid") == uid:
                if matches(selector, labels):
                    owned.append(pod)
                elif not meta.get("deletionTimestamp"):
                    await self._release(pod, uid)
            elif ref is None and matches(selector, labels) and is_active(pod):
                adopted = await self._adopt(pod, rs)
                if adopted is not None:
                    owned.append(adopted)
        active = [p for p in owned if is_active(p)]
        if self.expectations.satisfied(key):
            await self._manage(key, rs, active)
        await self._update_status(rs, owned, active)

    async def _adopt(self, pod: Obj, rs: Obj) -> Obj | None:
        refs = [*(pod["metadata"].get("ownerReferences") or []), owner_reference(rs, "apps/v1", "ReplicaSet")]
        try:
            result: Obj = await self.client.patch("pods", pod["metadata"]["name"], {"metadata": {
                "ownerReferences": refs, "resourceVersion": pod["metadata"]["resourceVersion"]}},
                pod["metadata"]["namespace"])
            return result
        except (Conflict, NotFound):
            return None

    async def _release(self, pod: Obj, uid: str) -> None:
        refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        try:
            await self.client.patch("pods", pod["metadata"]["name"], {"metadata": {"ownerReferences": refs or None}},
                                    pod["metadata"]["namespace"])
        except (Conflict, NotFound):
            pass

    async def _manage(self, key: Key, rs: Obj, active: list[Obj]) -> None:
        want = int((rs.get("spec") or {}).get("replicas", 1))
        diff = want - len(active)
        if diff > 0:
            await self._create(key, rs, min(diff, BURST))
        elif diff < 0:
            victims = pods_to_delete(active, -diff)
            self.expectations.expect(key, deletes=len(victims))
            results = await asyncio.gather(*(self._delete(p) for p in victims))
            for deleted in results:
                if not deleted:
                    self.expectations.deleted(key)

    async def _create(self, key: Key, rs: Obj, count: int) -> None:
        """Slow start, as Kubernetes: 1, 2, 4, ... creates at a time, stopping at the first failure."""
        self.expectations.expect(key, creates=count)
        remaining, batch = count, 1
        while remaining > 0:
            size = min(batch, remaining)
            results = await asyncio.gather(*(self._create_one(rs) for _ in range(size)))
            failed = results.count(False)
            remaining -= size
            for _ in range(failed):
                self.expectations.created(key)
            if failed:
                for _ in range(remaining):
                    self.expectations.created(key)
                raise StatusError(f"{failed} pod creates failed for ReplicaSet {key[0]}/{key[1]}")
            batch *= 2

    async def _create_one(self, rs: Obj) -> bool:
        try:
            await self.client.create("pods", new_pod(rs, "apps/v1", "ReplicaSet"), rs["metadata"]["namespace"])
            return True
        except AlreadyExists:
            return True
        except StatusError as err:
            log.info("replicaset %s: creating a pod failed: %s", rs["metadata"]["name"], err.message)
            return False

    async def _delete(self, pod: Obj) -> bool:
        try:
            await self.client.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
            return True
        except NotFound:
            return False

    async def _update_status(self, rs: Obj, owned: list[Obj], active: list[Obj]) -> None:
        spec = rs.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock()
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        status: Obj = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(1 for p in active if all(
                (p["metadata"].get("labels") or {}).get(k) == v for k, v in template_labels.items())),
            "readyReplicas": sum(1 for p in active if ready_since(p) is not None),
            "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now)),
            "terminatingReplicas": sum(1 for p in owned if p["metadata"].get("deletionTimestamp")),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if min_ready > 0 and status["readyReplicas"] > status["availableReplicas"]:
            self.queue.add_after(key_of(rs), float(min_ready))
        old = rs.get("status") or {}
        if all(old.get(k, 0) == v for k, v in status.items()):
            return
        updated = {**rs, "status": {**old, **status}}
        try:
            await self.client.update_status("replicasets", updated, rs["metadata"]["namespace"])
        except Conflict:
            self.queue.add(key_of(rs))
        except NotFound:
            pass
