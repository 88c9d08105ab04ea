"""The node lifecycle controller: a node whose Lease is not renewed within the
grace period is marked Ready=Unknown and tainted `node.kubernetes.io/unreachable`
(NoExecute); its pods are evicted after their toleration of that taint (or the
default pod eviction timeout) runs out; when the node comes back the taint goes.

Staleness is judged on this process's own clock: a Lease counts as renewed
when its renewTime changes, so clock skew between machines does not matter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import Conflict, NotFound, StatusError
from kubelite.events import EventRecorder
from kubelite.informer import Informer
from kubelite.readiness import node_is_ready

log = logging.getLogger(__name__)
Obj = dict[str, Any]
UNREACHABLE = "node.kubernetes.io/unreachable"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def eviction_delay(pod: Obj, default: float) -> float | None:
    """Seconds a pod stays on an unreachable node; None: it tolerates it forever."""
    for toleration in (pod.get("spec") or {}).get("tolerations") or []:
        key, effect = toleration.get("key") or "", toleration.get("effect") or ""
        operator = toleration.get("operator") or "Equal"
        if (key in ("", UNREACHABLE) if operator == "Exists" else key == UNREACHABLE) and effect in ("", "NoExecute"):
            seconds = toleration.get("tolerationSeconds")
            return None if seconds is None else max(0.0, float(seconds))
    return default


class NodeLifecycleController:
    def __init__(self, client: ApiClient, grace_period: float = 40.0, eviction_timeout: float = 300.0,
                 monitor_period: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.grace_period = grace_period
        self.eviction_timeout = eviction_timeout
        self.monitor_period = monitor_period
        self._clock = clock
        self.nodes = Informer(client, "nodes")
        self.leases = Informer(client, "leases", "kube-node-lease")
        self.pods = Informer(client, "pods")
        self.events = EventRecorder(client, "node-controller")
        self._renewed: dict[str, tuple[str, float]] = {}   # node -> (renewTime, seen at)
        self._unreachable_since: dict[str, float] = {}
        self._evicted: set[str] = set()

    async def start(self) -> None:
        for informer in (self.nodes, self.leases, self.pods):
            informer.start()
        await asyncio.gather(self.nodes.synced.wait(), self.leases.synced.wait(), self.pods.synced.wait())
        started = self._clock()
        for node in self.nodes.values():  # everyone gets a full grace period after we start
            name = node["metadata"]["name"]
            lease = self.leases.get("kube-node-lease", name)
            self._renewed[name] = (((lease or {}).get("spec") or {}).get("renewTime", ""), started)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.monitor()
            except StatusError as err:
                log.warning("node monitor: %s", err.message)
            try:
                await asyncio.wait_for(stop.wait(), self.monitor_period)
            except TimeoutError:
                pass

    async def monitor(self) -> None:
        now = self._clock()
        for node in self.nodes.values():
            name = node["metadata"]["name"]
            lease = self.leases.get("kube-node-lease", name)
            renew = ((lease or {}).get("spec") or {}).get("renewTime", "")
            seen = self._renewed.get(name)
            if seen is None or seen[0] != renew:
                self._renewed[name] = (renew, now)
                seen = self._renewed[name]
            stale = now - seen[1] > self.grace_period
            tainted = any(t.get("key") == UNREACHABLE for t in (node.get("spec") or {}).get("taints") or [])
            if stale and not tainted:
                await self._mark_unreachable(node)
                self._unreachable_since[name] = now
            elif not stale and tainted and node_is_ready(node):
                await self._clear_unreachable(node)
                self._unreachable_since.pop(name, None)
            if stale:
                self._unreachable_since.setdefault(name, now)
                await self._evict(name, now - self._unreachable_since[name])

    async def _mark_unreachable(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        log.info("node %s stopped renewing its lease: NotReady, tainted %s", name, UNREACHABLE)
        conditions = [c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") != "Ready"]
        conditions.append({"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                           "message": "Kubelet stopped posting node status.", "lastHeartbeatTime": _now(),
                           "lastTransitionTime": _now()})
        await self.client.patch("nodes", name, {"status": {"conditions": conditions}}, status=True)
        await self._set_taint(name, add=True)
        self.events.event(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")

    async def _clear_unreachable(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        await self._set_taint(name, add=False)
        log.info("node %s is back: removed %s", name, UNREACHABLE)

    async def _set_taint(self, name: str, add: bool) -> None:
        for _ in range(5):
            current = await self.client.get("nodes", name)
            taints = [t for t in (current.get("spec") or {}).get("taints") or [] if t.get("key") != UNREACHABLE]
            if add:
                taints.append({"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": _now()})
            current.setdefault("spec", {})["taints"] = taints
            try:
                await self.client.update("nodes", current)
                return
            except Conflict:
                continue

    async def _evict(self, node: str, unreachable_for: float) -> None:
        for pod in self.pods.values():
            meta = pod["metadata"]
            if (pod.get("spec") or {}).get("nodeName") != node or meta.get("uid") in self._evicted:
                continue
            delay = eviction_delay(pod, self.eviction_timeout)
            if delay is None or unreachable_for < delay:
                continue
            self._evicted.add(meta.get("uid", ""))
            self.events.event(pod, "Normal", "TaintManagerEviction",
                              f"Marking for deletion Pod {meta['namespace']}/{meta['name']}")
            try:
                await self.client.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0,
                                         precondition_uid=meta.get("uid", ""))
                log.info("evicted %s/%s from unreachable node %s", meta["namespace"], meta["name"], node)
            except (NotFound, Conflict):
                pass

