"""Chaos for the workload controllers, with SIGKILL: a node agent running
half of a Deployment's pods dies -> its node goes NotReady, its pods are
evicted, the ReplicaSet recreates them on the surviving nodes and the
Deployment is fully available again; the controller-manager leader dies in
the middle of a rolling update -> the standby finishes it, never above
replicas + maxSurge pods (checked from a watch)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from etcdlite.localcluster import LocalCluster, free_port
from kubelite.client import ApiClient
from kubelite.localapiserver import LocalApiServer
from kubelite.processes import ManagedProcess

pytestmark = [pytest.mark.chaos, pytest.mark.integration]
NODES = ("node-a", "node-b", "node-c")


class Cluster:
    def __init__(self, base: Path, etcd: LocalCluster) -> None:
        self.base = base
        self.apiserver = LocalApiServer(base / "apiserver", etcd.endpoints, nodes=NODES)
        self.processes: dict[str, ManagedProcess] = {}

    def connection(self, stem: str) -> list[str]:
        pki = self.apiserver.pki
        return ["--server", self.apiserver.endpoint, "--certificate-authority", str(pki / "ca.crt"),
                "--client-certificate", str(pki / f"{stem}.crt"), "--client-key", str(pki / f"{stem}.key")]

    def controller_manager(self, name: str) -> ManagedProcess:
        process = ManagedProcess.module(name, "controllers", [
            *self.connection("controller-manager"), "--node-monitor-grace-period", "3", "--pod-eviction-timeout",
            "1", "--leader-elect-retry-period", "0.5"], self.base).start()
        self.processes[name] = process
        return process

    def start(self) -> None:
        self.apiserver.start()
        self.processes["scheduler"] = ManagedProcess.module("scheduler", "scheduler", [
            *self.connection("scheduler"), "--leader-elect-retry-period", "0.5"], self.base).start()
        self.controller_manager("controller-manager-1")
        for node in NODES:
            self.processes[node] = ManagedProcess.module(node, "nodeagent", [
                *self.connection(f"node-{node}"), "--hostname-override", node, "--runtime", "fake",
                "--root-dir", str(self.base / "nodes"), "--node-status-update-frequency", "1",
                "--port", str(free_port()),
                "--tls-cert-file", str(self.apiserver.pki / f"node-{node}-serving.crt"),
                "--tls-private-key-file", str(self.apiserver.pki / f"node-{node}-serving.key"),
                "--client-ca-file", str(self.apiserver.pki / "ca.crt")], self.base).start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.apiserver.stop()


@pytest.fixture
def cluster(tmp_path: Path, etcdlite_cluster: LocalCluster) -> Iterator[Cluster]:
    c = Cluster(tmp_path, etcdlite_cluster)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def deployment(name: str, replicas: int, image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "strategy": {"rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "main", "image": image}]}}}}


async def until(check: Any, timeout: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.3)


async def available(c: ApiClient, name: str, replicas: int, generation: int = 1) -> bool:
    deploy = await c.get("deployments", name, "default")
    status = deploy.get("status") or {}
    return (status.get("observedGeneration", 0) >= generation and status.get("availableReplicas") == replicas
            and status.get("updatedReplicas") == replicas and status.get("replicas") == replicas)


def test_a_killed_node_agents_pods_come_back_on_the_other_nodes(cluster: Cluster) -> None:
    async def body() -> None:
        async with cluster.apiserver.client() as c:
            await c.create("deployments", deployment("heal", 6, "img:v1"), "default")
            await until(lambda: available(c, "heal", 6), what="6 available replicas")
            pods = (await c.list("pods", "default", label_selector="app=heal"))["items"]
            by_node: dict[str, int] = {}
            for pod in pods:
                by_node[pod["spec"]["nodeName"]] = by_node.get(pod["spec"]["nodeName"], 0) + 1
            victim = max(by_node, key=lambda n: by_node[n])
            cluster.processes[victim].kill()

            async def healed() -> bool:
                current = [p for p in (await c.list("pods", "default", label_selector="app=heal"))["items"]
                           if not p["metadata"].get("deletionTimestamp")]
                running = [p for p in current if p["status"].get("phase") == "Running"]
                return len(running) == 6 and all(p["spec"]["nodeName"] != victim for p in running)
            await until(healed, timeout=120, what=f"the pods of {victim} recreated elsewhere")
            await until(lambda: available(c, "heal", 6), what="the deployment available again")
    asyncio.run(body())


def test_the_standby_controller_manager_finishes_a_rollout_within_max_surge(cluster: Cluster) -> None:
    standby = cluster.controller_manager("controller-manager-2")

    async def body() -> None:
        async with cluster.apiserver.client() as c:
            await c.create("deployments", deployment("roll", 6, "img:v1"), "default")
            await until(lambda: available(c, "roll", 6), what="6 available replicas")
            counts: list[int] = []
            listed = await c.list("pods", "default", label_selector="app=roll")
            live = {p["metadata"]["name"] for p in listed["items"]}

            async def follow() -> None:
                async for kind, pod in c.watch("pods", "default", label_selector="app=roll",
                                               resource_version=listed["metadata"]["resourceVersion"]):
                    if kind == "DELETED" or pod["metadata"].get("deletionTimestamp"):
                        live.discard(pod["metadata"]["name"])
                    else:
                        live.add(pod["metadata"]["name"])
                    counts.append(len(live))
            watcher = asyncio.create_task(follow())
            current = await c.get("deployments", "roll", "default")
            current["spec"]["template"]["spec"]["containers"][0]["image"] = "img:v2"
            await c.update("deployments", current, "default")
            await asyncio.sleep(1.0)  # the leader is mid-rollout
            lease = await c.get("leases", "kube-controller-manager", "kube-system")
            holder = lease["spec"]["holderIdentity"]
            leader = next(p for p in cluster.processes.values() if p.pid and holder.endswith(f"_{p.pid}"))
            leader.kill()
            await until(lambda: available(c, "roll", 6, generation=2), timeout=120,
                        what="the rollout finished by the standby")
            watcher.cancel()
            assert counts and max(counts) <= 6 + 2, f"pod counts during the rollout: {counts}"
            images = {p["spec"]["containers"][0]["image"] for p in
                      (await c.list("pods", "default", label_selector="app=roll"))["items"]
                      if not p["metadata"].get("deletionTimestamp")}
            assert images == {"img:v2"}
    assert standby.pid is not None
    asyncio.run(body())
