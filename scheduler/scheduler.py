"""The scheduler's loop: watch-fed caches of nodes and pods, the queue, one
synchronous decision per pod (scheduler/algorithm.py), then an asynchronous
bind through the API server, as kube-scheduler's schedule_one does.

The pod is "assumed" on its node the moment it is chosen, so the next decision
already counts it; a bind that loses a race (pod deleted, already bound, node
gone) is forgotten and the pod retried, never a crash. Only the leader of the
`kube-scheduler` Lease schedules.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import Conflict, NotFound, StatusError
from kubelite.events import EventRecorder
from kubelite.informer import Informer, key_of
from scheduler.algorithm import schedule
from scheduler.framework import NodeInfo, PodInfo
from scheduler.queue import SchedulingQueue

log = logging.getLogger(__name__)
Obj = dict[str, Any]
SCHEDULER_NAME = "default-scheduler"


def is_pending(pod: Obj) -> bool:
    spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
    phase = (pod.get("status") or {}).get("phase")
    return (not spec.get("nodeName") and not meta.get("deletionTimestamp")
            and (spec.get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME
            and phase not in ("Succeeded", "Failed"))


class SchedulerCache:
    """NodeInfo per node, with bound and assumed pods counted in."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self.pod_node: dict[tuple[str, str], str] = {}
        self.assumed: set[tuple[str, str]] = set()

    def set_node(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        info = self.nodes.get(name)
        if info is None:
            self.nodes[name] = NodeInfo(node)
        else:
            info.set_node(node)

    def remove_node(self, name: str) -> None:
        self.nodes.pop(name, None)

    def add_pod(self, pod: Obj, node_name: str) -> None:
        info = PodInfo.of(pod)
        previous = self.pod_node.get(info.key)
        if previous and previous != node_name and previous in self.nodes:
            self.nodes[previous].remove(info.key)
        self.pod_node[info.key] = node_name
        if node_name in self.nodes:
            self.nodes[node_name].add(info)

    def remove_pod(self, key: tuple[str, str]) -> None:
        node_name = self.pod_node.pop(key, None)
        self.assumed.discard(key)
        if node_name and node_name in self.nodes:
            self.nodes[node_name].remove(key)

    def assume(self, pod: Obj, node_name: str) -> None:
        self.add_pod(pod, node_name)
        self.assumed.add(key_of(pod))

    def forget(self, key: tuple[str, str]) -> None:
        if key in self.assumed:
            self.remove_pod(key)


class Scheduler:
    def __init__(self, client: ApiClient, weights: dict[str, int] | None = None, bind_concurrency: int = 64) -> None:
        self.client = client
        self.weights = weights
        self.cache = SchedulerCache()
        self.queue = SchedulingQueue()
        self.events = EventRecorder(client, SCHEDULER_NAME)
        self.pods = Informer(client, "pods")
        self.nodes = Informer(client, "nodes")
        self.pods.add_handler(self._on_pod)
        self.nodes.add_handler(self._on_node)
        self._binds = asyncio.Semaphore(bind_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self.scheduled = 0
        self._next_start = 0

    # ------------------------------------------------------------ cache feed
    def _on_node(self, kind: str, node: Obj, old: Obj | None) -> None:
        if kind == "DELETED":
            self.cache.remove_node(node["metadata"]["name"])
        else:
            self.cache.set_node(node)
            if kind == "ADDED":
                # pods bound to this node before we saw it count from now on
                name = node["metadata"]["name"]
                for key, node_name in list(self.cache.pod_node.items()):
                    pod = self.pods.get(*key)
                    if node_name == name and pod is not None:
                        self.cache.add_pod(pod, name)
        self.queue.cluster_changed()

    def _on_pod(self, kind: str, pod: Obj, old: Obj | None) -> None:
        key = key_of(pod)
        if kind == "DELETED":
            self.cache.remove_pod(key)
            self.queue.forget(key)
            self.queue.cluster_changed()
            return
        node_name = (pod.get("spec") or {}).get("nodeName")
        finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if node_name and not finished:
            self.cache.assumed.discard(key)
            self.cache.add_pod(pod, node_name)
            self.queue.forget(key)
        elif node_name and finished:
            self.cache.remove_pod(key)
            self.queue.cluster_changed()
        elif is_pending(pod):
            self.queue.add(key, int((pod.get("spec") or {}).get("priority") or 0))

    # ------------------------------------------------------------------ loop
    async def start_informers(self) -> None:
        self.nodes.start()
        self.pods.start()
        await asyncio.gather(self.nodes.synced.wait(), self.pods.synced.wait())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            key = await self.queue.pop()
            pod = self.pods.get(*key)
            if pod is None or not is_pending(pod) or key in self.cache.assumed:
                continue
            self.schedule_one(pod)

    def schedule_one(self, pod: Obj) -> None:
        info = PodInfo.of(pod)
        nodes = list(self.cache.nodes.values())
        decision = schedule(info, nodes, self.weights, self._next_start)
        self._next_start = (self._next_start + max(1, decision.feasible)) % max(1, len(nodes))
        if decision.node is None:
            self.queue.mark_unschedulable(info.key)
            self.events.event(pod, "Warning", "FailedScheduling", decision.message)
            self._spawn(self._mark_unschedulable(pod, decision.message))
            return
        self.cache.assume(pod, decision.node)
        self._spawn(self._bind(pod, decision.node, decision.explain()))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bind(self, pod: Obj, node: str, why: str) -> None:
        meta = pod["metadata"]
        key = (meta["namespace"], meta["name"])
        async with self._binds:
            # The node agent can start the pod as soon as the binding commits, before
            # the reply reaches us; stamping Scheduled when the bind is sent keeps the
            # pod's events in the order they happened.
            sent = datetime.now(UTC)
            try:
                await self.client.bind(meta["namespace"], meta["name"], node, meta.get("uid", ""))
            except (Conflict, NotFound) as err:
                # lost a race: already bound elsewhere, deleted, or replaced
                log.info("binding %s/%s to %s: %s", *key, node, err.message)
                self.cache.forget(key)
                return
            except StatusError as err:
                log.warning("binding %s/%s to %s failed: %s", *key, node, err.message)
                self.cache.forget(key)
                self.queue.requeue_with_backoff(key)
                return
        self.scheduled += 1
        self.events.event(pod, "Normal", "Scheduled",
                          f"Successfully assigned {meta['namespace']}/{meta['name']} to {node} ({why})", at=sent)

    async def _mark_unschedulable(self, pod: Obj, message: str) -> None:
        meta = pod["metadata"]
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                     "lastProbeTime": None}
        conditions = [c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") != "PodScheduled"]
        try:
            await self.client.patch("pods", meta["name"], {"status": {"conditions": [*conditions, condition]}},
                                     meta["namespace"], status=True)
        except StatusError as err:
            log.info("could not update PodScheduled of %s/%s: %s", meta["namespace"], meta["name"], err.message)
