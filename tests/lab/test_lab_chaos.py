"""Chaos in containers: the compose lab (every component its own container at
its own address) taken apart with `docker kill` (SIGKILL) and `docker network
disconnect`, then checked: no acknowledged create lost, the cluster kept
serving, replicas agree again (HashKV digests), a dead node's pods evicted, a
standby scheduler took over.

Skipped with the reason when no Docker engine answers, unless
KUBELITE_REQUIRE_DOCKER=1 (CI), which makes that a failure."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from etcdlite.client import EtcdClient
from etcdlite.localcluster import DIVERGENCE_LINE
from kubelite import kubeconfig
from kubelite.client import ApiClient
from kubelite.errors import AlreadyExists, NotFound, ServiceUnavailable, StatusError, Timeout

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def _load_lab() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kubelite_lab", ROOT / "docker" / "lab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lab = _load_lab()
HOST_ETCD = {name: f"127.0.0.1:{port}" for name, (_ip, port) in lab.ETCD.items()}


@pytest.fixture(scope="module")
def config() -> Iterator[Path]:
    reason = lab.docker_reachable()
    if reason:
        if os.environ.get("KUBELITE_REQUIRE_DOCKER") == "1":
            pytest.fail(f"KUBELITE_REQUIRE_DOCKER=1 but {reason}")
        pytest.skip(f"lab tests need a Docker engine: {reason}")
    lab.down(echo=lambda _m: None)
    try:
        yield lab.up(echo=lambda _m: None)
    finally:
        logs = lab.compose("logs", "--no-color", check=False).stdout
        lab.down(echo=lambda _m: None)
        assert DIVERGENCE_LINE not in logs, "a replica logged pysyncobj's divergence warning"


def client_for(config: Path, timeout: float = 5) -> ApiClient:
    conn = kubeconfig.resolve(kubeconfig.load(str(config)))
    return ApiClient(conn.server, conn.credentials, timeout=timeout)


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=60)


def pod(name: str, node: str = "", labels: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "busybox", "command": ["sleep", "600"]}],
                            "terminationGracePeriodSeconds": 1}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


async def etcd_leader() -> str:
    async with EtcdClient(list(HOST_ETCD.values()), timeout=3) as etcd:
        for name, endpoint in HOST_ETCD.items():
            try:
                status = await etcd.status(endpoint)
            except Exception:
                continue
            if status.leader and status.leader == status.header.member_id:
                return str(name)
    raise AssertionError("no etcdlite member says it leads")


async def replicas_agree(timeout: float = 90) -> None:
    """All three at the same revision once, then equal HashKV digests there."""
    deadline = time.monotonic() + timeout
    async with EtcdClient(list(HOST_ETCD.values()), timeout=3) as etcd:
        while True:
            try:
                revisions = [(await etcd.status(e)).header.revision for e in HOST_ETCD.values()]
                target = min(revisions)
                digests = {name: (await etcd.hash_kv(e, target)).hash for name, e in HOST_ETCD.items()}
                if len(set(digests.values())) == 1:
                    return
            except Exception as err:  # a member still catching up: not yet
                digests = {"error": hash(str(err))}
            assert time.monotonic() < deadline, f"replicas disagree: {digests}"
            await asyncio.sleep(1)


async def delete_all(client: ApiClient, selector: str) -> None:
    for item in (await client.list("pods", "default", label_selector=selector))["items"]:
        try:
            await client.delete("pods", item["metadata"]["name"], "default", grace_period_seconds=0)
        except NotFound:
            pass


def test_killing_the_etcdlite_leader_loses_no_acknowledged_create(config: Path) -> None:
    async def scenario() -> None:
        leader = await etcd_leader()
        acked: list[str] = []
        acked_after_kill: list[str] = []
        killed = asyncio.Event()

        async def create_pods() -> None:
            async with client_for(config, timeout=8) as client:
                i = 0
                while len(acked_after_kill) < 20:
                    name = f"chaos-{i:04d}"
                    i += 1
                    try:
                        await client.create("pods", pod(name, labels={"chaos": "etcd"}), "default")
                    except StatusError:
                        continue  # not acknowledged: it may or may not exist, we make no claim
                    acked.append(name)
                    if killed.is_set():
                        acked_after_kill.append(name)
                    assert i < 2000, "the cluster stopped accepting creates after the leader was killed"

        writer = asyncio.create_task(create_pods())
        while len(acked) < 15:
            await asyncio.sleep(0.05)
        docker("kill", lab.container(leader))
        killed.set()
        await asyncio.wait_for(writer, 120)
        async with client_for(config) as client:
            stored = {p["metadata"]["name"] for p in
                      (await client.list("pods", "default", label_selector="chaos=etcd"))["items"]}
            assert set(acked) <= stored, f"acknowledged but lost: {sorted(set(acked) - stored)}"
            docker("start", lab.container(leader))
            lab.wait_healthy((leader,), timeout=60)
            await replicas_agree()
            await delete_all(client, "chaos=etcd")

    asyncio.run(scenario())


def test_killing_a_node_agent_makes_its_node_not_ready_and_evicts_its_pods(config: Path) -> None:
    async def scenario() -> None:
        async with client_for(config) as client:
            for i in range(2):
                await client.create("pods", pod(f"on-node-3-{i}", node="node-3", labels={"chaos": "node"}),
                                    "default")
            docker("kill", lab.container("node-3"))
            deadline = time.monotonic() + 90
            while True:
                node = await client.get("nodes", "node-3")
                ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
                left = (await client.list("pods", "default", label_selector="chaos=node"))["items"]
                if ready["status"] != "True" and not left:
                    break
                assert time.monotonic() < deadline, f"node-3 Ready={ready['status']}, pods left: {len(left)}"
                await asyncio.sleep(0.5)
            docker("start", lab.container("node-3"))
            lab.wait_healthy(("node-3",), timeout=60)
            deadline = time.monotonic() + 60
            while True:
                node = await client.get("nodes", "node-3")
                if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"]):
                    break
                assert time.monotonic() < deadline, "node-3 did not come back Ready"
                await asyncio.sleep(0.5)

    asyncio.run(scenario())


def test_a_deployment_heals_itself_when_a_node_container_is_killed(config: Path) -> None:
    """Seed's promise in real containers: the node agent holding a Deployment's
    pods is SIGKILLed; the node goes NotReady, its pods are evicted, and the
    ReplicaSet brings the Deployment back to all replicas available elsewhere."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "healer"},
                  "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "healer"}},
                           "template": {"metadata": {"labels": {"app": "healer"}},
                                        "spec": pod("x")["spec"]}}}

    async def available(client: ApiClient, avoid: str = "", timeout: float = 120) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            status = (await client.get("deployments", "healer", "default")).get("status", {})
            pods = [p for p in (await client.list("pods", "default", label_selector="app=healer"))["items"]
                    if p.get("status", {}).get("phase") == "Running"]
            if status.get("availableReplicas") == 4 and len(pods) == 4 and all(
                    p["spec"].get("nodeName") != avoid for p in pods):
                return pods
            assert time.monotonic() < deadline, f"deployment status {status}, {len(pods)} running pods"
            await asyncio.sleep(1)

    async def scenario() -> None:
        async with client_for(config) as client:
            await client.create("deployments", deployment, "default")
            pods = await available(client)
            nodes = [p["spec"]["nodeName"] for p in pods]
            victim = max(set(nodes), key=nodes.count)
            docker("kill", lab.container(victim))
            try:
                healed = await available(client, avoid=victim, timeout=150)
                assert {p["metadata"]["name"] for p in healed}.isdisjoint(
                    p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == victim)
            finally:
                docker("start", lab.container(victim))
                lab.wait_healthy((victim,), timeout=60)
                await client.delete("deployments", "healer", "default")

    asyncio.run(scenario())


async def create_retrying(client: ApiClient, obj: dict[str, Any], attempts: int = 5) -> None:
    """As any Kubernetes client: a write whose answer was lost (503, timeout)
    is sent again; AlreadyExists then means the first one was applied."""
    for attempt in range(attempts):
        try:
            await client.create("configmaps", obj, "default")
            return
        except AlreadyExists:
            if attempt:
                return
            raise
        except (ServiceUnavailable, Timeout):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)


def test_a_partitioned_etcdlite_replica_refuses_writes_and_rejoins(config: Path) -> None:
    async def scenario() -> None:
        isolated = await etcd_leader()  # the hardest case: the majority must elect a new leader
        network = f"{lab.PROJECT}_lab"
        docker("network", "disconnect", network, lab.container(isolated))
        try:
            put = subprocess.run(
                ["docker", "exec", lab.container(isolated), "python3", "-c",
                 "import asyncio\nfrom etcdlite.client import EtcdClient\n"
                 "async def go():\n"
                 "    async with EtcdClient(['127.0.0.1:2379'], timeout=4) as c:\n"
                 "        await c.put('/partition/isolated', 'x')\n"
                 "asyncio.run(go())\n"],
                capture_output=True, text=True, timeout=60)
            assert put.returncode != 0, "the isolated replica accepted a write without a quorum"
            async with client_for(config, timeout=20) as client:
                for i in range(10):  # the majority keeps serving
                    await create_retrying(client, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": f"majority-{i}"}})
        finally:
            ip = lab.ETCD[isolated][0]
            docker("network", "connect", "--ip", ip, network, lab.container(isolated))
        await replicas_agree()
        async with EtcdClient(list(HOST_ETCD.values()), timeout=3) as etcd:
            assert (await etcd.get("/partition/isolated")).count == 0
        async with client_for(config) as client:
            for i in range(10):
                await client.delete("configmaps", f"majority-{i}", "default")

    asyncio.run(scenario())


def test_killing_the_active_scheduler_hands_over_to_the_standby(config: Path) -> None:
    async def scenario() -> None:
        async with client_for(config) as client:
            lease = await client.get("leases", "kube-scheduler", "kube-system")
            holder = lease["spec"]["holderIdentity"]
            active = holder.split("_", 1)[0]
            assert active in ("scheduler-1", "scheduler-2"), holder
            docker("kill", lab.container(active))
            await client.create("pods", pod("after-handover", labels={"chaos": "scheduler"}), "default")
            deadline = time.monotonic() + 60
            while True:
                placed = await client.get("pods", "after-handover", "default")
                if placed["spec"].get("nodeName"):
                    break
                assert time.monotonic() < deadline, "no scheduler bound the pod after the active one died"
                await asyncio.sleep(0.5)
            lease = await client.get("leases", "kube-scheduler", "kube-system")
            assert not lease["spec"]["holderIdentity"].startswith(active)
            docker("start", lab.container(active))
            lab.wait_healthy((active,), timeout=60)
            await delete_all(client, "chaos=scheduler")

    asyncio.run(scenario())


def test_killing_an_api_server_sends_every_client_to_the_other(config: Path) -> None:
    async def scenario() -> None:
        docker("kill", lab.container("apiserver-1"))
        try:
            async with client_for(config, timeout=10) as client:
                # the host's kubeconfig lists both API servers; so do the scheduler and node agents
                await client.create("pods", pod("via-apiserver-2", labels={"chaos": "apiserver"}), "default")
                deadline = time.monotonic() + 60
                while True:
                    running = await client.get("pods", "via-apiserver-2", "default")
                    if running["status"].get("phase") == "Running":
                        break
                    assert time.monotonic() < deadline, f"pod not Running: {running['status']}"
                    await asyncio.sleep(0.5)
                await delete_all(client, "chaos=apiserver")
        finally:
            docker("start", lab.container("apiserver-1"))
            lab.wait_healthy(("apiserver-1",), timeout=60)

    asyncio.run(scenario())
