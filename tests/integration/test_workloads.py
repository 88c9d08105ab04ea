"""Pods get placed and really run: three etcdlite replicas, the API server, the
scheduler and two node agents with the process runtime, all real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from etcdlite.localcluster import LocalCluster, free_port
from kubelite.client import ApiClient
from kubelite.errors import Forbidden, NotFound
from kubelite.localapiserver import LocalApiServer
from kubelite.processes import ManagedProcess

pytestmark = pytest.mark.integration
NODES = ("node-1", "node-2")


class Cluster:
    def __init__(self, base: Path, etcd: LocalCluster) -> None:
        self.base = base
        self.apiserver = LocalApiServer(base / "apiserver", etcd.endpoints, nodes=(*NODES, "fake-1"))
        self.components: dict[str, ManagedProcess] = {}

    def connection(self, stem: str) -> list[str]:
        pki = self.apiserver.pki
        return ["--server", self.apiserver.endpoint, "--certificate-authority", str(pki / "ca.crt"),
                "--client-certificate", str(pki / f"{stem}.crt"), "--client-key", str(pki / f"{stem}.key")]

    def start(self) -> None:
        self.apiserver.start()
        self.components["scheduler"] = ManagedProcess.module(
            "scheduler", "scheduler", [*self.connection("scheduler"), "--leader-elect-retry-period", "0.5"],
            self.base).start()
        self.components["controller-manager"] = ManagedProcess.module(
            "controller-manager", "controllers", [*self.connection("controller-manager"),
                                                  "--node-monitor-grace-period", "3", "--pod-eviction-timeout", "2",
                                                  "--leader-elect-retry-period", "0.5"], self.base).start()
        for i, node in enumerate(NODES):
            self.components[node] = ManagedProcess.module(
                node, "nodeagent", [*self.connection(f"node-{node}"), "--hostname-override", node,
                                    "--root-dir", str(self.base / "nodes"), "--cpu", "2", "--memory", "4Gi",
                                    "--node-labels", f"disk={'ssd' if i == 0 else 'hdd'}",
                                    "--node-status-update-frequency", "1", "--port", str(free_port()),
                                    "--tls-cert-file", str(self.apiserver.pki / f"node-{node}-serving.crt"),
                                    "--tls-private-key-file", str(self.apiserver.pki / f"node-{node}-serving.key"),
                                    "--client-ca-file", str(self.apiserver.pki / "ca.crt")], self.base).start()

    def stop(self) -> None:
        """Delete every pod (the agents stop their processes), then stop the
        components; any container process still listed in a PID file is killed."""
        async def delete_all() -> None:
            async with self.apiserver.client() as c:
                for pod in (await c.list("pods"))["items"]:
                    meta = pod["metadata"]
                    try:
                        await c.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0)
                    except Exception:
                        pass
        try:
            run(delete_all())
        except Exception:
            pass
        deadline = time.monotonic() + 15
        while list((self.base / "nodes").rglob("*.pid")) and time.monotonic() < deadline:
            time.sleep(0.2)
        for component in self.components.values():
            component.stop()
        self.apiserver.stop()
        for pid_file in (self.base / "nodes").rglob("*.pid"):
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, shared_etcdlite: LocalCluster) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("workloads"), shared_etcdlite)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


def python_pod(name: str, code: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": "python:3.11",
                                     "command": ["python3", "-c", code]}], **spec}}


def test_nodes_register_ready_with_leases(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        async def ready() -> bool:
            nodes = (await c.list("nodes"))["items"]
            return len(nodes) == 2 and all(any(cond["type"] == "Ready" and cond["status"] == "True"
                                               for cond in n["status"]["conditions"]) for n in nodes)
        await until(ready, what="two Ready nodes")

        async def leases() -> bool:
            items = (await c.list("leases", "kube-node-lease"))["items"]
            return sorted(lease["spec"]["holderIdentity"] for lease in items) == list(NODES)
        await until(leases, what="a Lease per node")
    run(with_admin(cluster, body))


async def with_admin(cluster: Cluster, body: Any) -> Any:
    async with cluster.apiserver.client() as c:
        return await body(c)


def test_sleeping_python_pod_runs_on_the_selected_node_and_logs(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("pods", python_pod("sleeper", "import time; print('hello from kubelite', flush=True); "
                                                     "time.sleep(120)", nodeSelector={"disk": "hdd"}), "default")

        async def running() -> Any:
            pod = await c.get("pods", "sleeper", "default")
            return pod if pod["status"].get("phase") == "Running" else None
        pod = await until(running, what="sleeper Running")
        assert pod["spec"]["nodeName"] == "node-2"
        status = pod["status"]["containerStatuses"][0]
        assert status["state"]["running"] and status["restartCount"] == 0
        pid = int(status["containerID"].split("://")[1])
        os.kill(pid, 0)  # a real process
        log = cluster.base / "nodes" / "node-2" / "pods" / pod["metadata"]["uid"] / "main.log"
        await until(lambda: _async(log.exists() and "hello from kubelite" in log.read_text()), what="log line")
        events = (await c.list("events", "default", field_selector="involvedObject.name=sleeper"))["items"]
        assert {"Scheduled", "Started"} <= {e["reason"] for e in events}
        logs = b"".join([chunk async for chunk in c.pod_log("default", "sleeper")])
        assert logs == b"hello from kubelite\n"
        assert b"".join([chunk async for chunk in c.pod_log("default", "sleeper", tail_lines=0)]) == b""
        async with cluster.apiserver.client("user:eve") as eve:
            with pytest.raises(Forbidden, match='cannot get resource "pods/log"'):
                async for _ in eve.pod_log("default", "sleeper"):
                    pass

        await c.delete("pods", "sleeper", "default", grace_period_seconds=1)

        async def gone() -> bool:
            try:
                await c.get("pods", "sleeper", "default")
                return False
            except Exception:
                return True
        await until(gone, what="pod removed after graceful deletion")
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    run(with_admin(cluster, body))


async def _async(value: Any) -> Any:
    return value


def test_crashing_container_reaches_crash_loop_back_off(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        crasher = python_pod("crasher", "import sys; print('about to crash', flush=True); sys.exit(3)")
        await c.create("pods", crasher, "default")

        async def looping() -> Any:
            pod = await c.get("pods", "crasher", "default")
            statuses = pod["status"].get("containerStatuses") or [{}]
            waiting = (statuses[0].get("state") or {}).get("waiting") or {}
            return pod if waiting.get("reason") == "CrashLoopBackOff" else None
        pod = await until(looping, what="CrashLoopBackOff")
        status = pod["status"]["containerStatuses"][0]
        assert status["lastState"]["terminated"]["exitCode"] == 3
        assert status["lastState"]["terminated"]["reason"] == "Error"
        first = status["restartCount"]

        async def restarted() -> Any:
            p = await c.get("pods", "crasher", "default")
            return p["status"]["containerStatuses"][0]["restartCount"] > first
        await until(restarted, timeout=30, what="a restart after the back-off")
        previous = b"".join([chunk async for chunk in c.pod_log("default", "crasher", previous=True)])
        assert previous == b"about to crash\n"
        await c.delete("pods", "crasher", "default", grace_period_seconds=0)
    run(with_admin(cluster, body))


def test_pod_without_command_waits_with_a_clear_reason(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        nginx = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"},
                 "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}]}}
        await c.create("pods", nginx, "default")

        async def waiting() -> Any:
            pod = await c.get("pods", "nginx", "default")
            statuses = pod["status"].get("containerStatuses") or [{}]
            return ((statuses[0].get("state") or {}).get("waiting") or {}).get("reason") == "RunContainerError"
        await until(waiting, what="RunContainerError")
        await c.delete("pods", "nginx", "default", grace_period_seconds=0)
    run(with_admin(cluster, body))


def test_args_alone_run_as_the_process_like_an_image_without_entrypoint(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "args-only"},
               "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "python:3.11", "args": [
                   "python3", "-c", "print('args only', flush=True)"]}]}}
        await c.create("pods", pod, "default")

        async def succeeded() -> Any:
            return (await c.get("pods", "args-only", "default"))["status"].get("phase") == "Succeeded"
        await until(succeeded, what="the args-only pod to succeed")
        assert b"".join([chunk async for chunk in c.pod_log("default", "args-only")]) == b"args only\n"
        await c.delete("pods", "args-only", "default", grace_period_seconds=0)
    run(with_admin(cluster, body))


def test_a_pod_that_fits_nowhere_gets_failed_scheduling_and_pod_scheduled_false(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        huge = python_pod("huge", "pass")
        huge["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "64"}}
        await c.create("pods", huge, "default")

        async def failed() -> Any:
            events = (await c.list("events", "default", field_selector="involvedObject.name=huge"))["items"]
            return next((e for e in events if e["reason"] == "FailedScheduling"), None)
        event = await until(failed, what="FailedScheduling")
        assert event["message"] == "0/2 nodes are available: 2 Insufficient cpu."
        pod = await c.get("pods", "huge", "default")
        scheduled = next(cond for cond in pod["status"]["conditions"] if cond["type"] == "PodScheduled")
        assert scheduled["status"] == "False" and scheduled["reason"] == "Unschedulable"
        await c.delete("pods", "huge", "default")
    run(with_admin(cluster, body))


def test_logs_follow_and_a_restarted_agent_readopts_running_containers(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        ticker = python_pod("ticker", "import time\nfor i in range(1000):\n    print(i, flush=True); time.sleep(0.2)",
                            nodeSelector={"disk": "hdd"})
        await c.create("pods", ticker, "default")

        async def running() -> Any:
            pod = await c.get("pods", "ticker", "default")
            return pod if pod["status"].get("phase") == "Running" else None
        pod = await until(running, what="ticker Running")
        container_id = pod["status"]["containerStatuses"][0]["containerID"]
        seen = b""
        async for chunk in c.pod_log("default", "ticker", follow=True):
            seen += chunk
            if seen.count(b"\n") >= 5:
                break
        assert seen.startswith(b"0\n1\n2\n")

        cluster.components["node-2"].kill()  # SIGKILL, then straight back
        cluster.components["node-2"].start()
        await asyncio.sleep(3)
        after = await c.get("pods", "ticker", "default")
        status = after["status"]["containerStatuses"][0]
        assert status["containerID"] == container_id and status["restartCount"] == 0
        assert after["status"]["phase"] == "Running"
        pid = int(container_id.split("://")[1])
        os.kill(pid, 0)
        await c.delete("pods", "ticker", "default", grace_period_seconds=1)

        async def stopped() -> bool:
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                return True
        await until(stopped, what="the re-adopted container to stop on delete")
    run(with_admin(cluster, body))


def start_standby_scheduler(cluster: Cluster, name: str, lease_duration: float,
                            renew_deadline: float) -> ManagedProcess:
    process = ManagedProcess.module(name, "scheduler", [*cluster.connection("scheduler"),
                                                        "--leader-elect-retry-period", "0.5",
                                                        "--leader-elect-lease-duration", str(lease_duration),
                                                        "--leader-elect-renew-deadline", str(renew_deadline)],
                                    cluster.base).start()
    cluster.components[name] = process
    return process


def test_a_second_scheduler_takes_over_when_the_leader_is_killed(cluster: Cluster) -> None:
    start_standby_scheduler(cluster, "scheduler-2", lease_duration=3, renew_deadline=2)
    time.sleep(1.0)
    cluster.components["scheduler"].kill()  # SIGKILL the active one

    async def body(c: ApiClient) -> None:
        await c.create("pods", python_pod("after-failover", "import time; time.sleep(60)"), "default")

        async def bound() -> Any:
            return (await c.get("pods", "after-failover", "default"))["spec"].get("nodeName")
        await until(bound, timeout=40, what="the standby scheduler to bind a pending pod")
        await c.delete("pods", "after-failover", "default", grace_period_seconds=0)
    run(with_admin(cluster, body))


def test_a_scheduler_stopped_with_sigterm_releases_its_lease_at_once(cluster: Cluster) -> None:
    """The active scheduler leaves cleanly (SIGTERM); a standby
    whose lease duration is a minute takes over in seconds, which it could only
    do if the Lease was released."""
    async def holder(c: ApiClient) -> str:
        try:
            return str((await c.get("leases", "kube-scheduler", "kube-system"))["spec"].get("holderIdentity"))
        except NotFound:
            return ""

    async def someone_leads(c: ApiClient) -> None:
        await until(lambda: holder(c), timeout=30, what="a scheduler to hold the lease")
    run(with_admin(cluster, someone_leads))
    standby = start_standby_scheduler(cluster, "scheduler-3", lease_duration=60, renew_deadline=40)

    async def body(c: ApiClient) -> None:
        before = await holder(c)
        active = next(p for n, p in cluster.components.items() if n.startswith("scheduler") and p.alive()
                      and before.endswith(f"_{p.pid}"))
        assert active is not standby
        active.stop()  # SIGTERM

        async def taken_over() -> bool:
            return (await holder(c)).endswith(f"_{standby.pid}")
        await until(taken_over, timeout=20, what="the standby to take the released lease")
    run(with_admin(cluster, body))


def test_killed_node_agent_goes_not_ready_and_its_pods_are_evicted(cluster: Cluster) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("pods", python_pod("doomed", "import time; time.sleep(300)", nodeSelector={"disk": "ssd"}),
                       "default")

        async def running() -> Any:
            pod = await c.get("pods", "doomed", "default")
            return pod if pod["status"].get("phase") == "Running" else None
        pod = await until(running, what="doomed Running on node-1")
        pid = int(pod["status"]["containerStatuses"][0]["containerID"].split("://")[1])
        cluster.components["node-1"].kill()  # SIGKILL the node agent

        async def not_ready() -> Any:
            node = await c.get("nodes", "node-1")
            ready = next(cond for cond in node["status"]["conditions"] if cond["type"] == "Ready")
            taints = {t["key"] for t in node["spec"].get("taints") or []}
            return ready["status"] == "Unknown" and "node.kubernetes.io/unreachable" in taints
        await until(not_ready, timeout=30, what="node-1 NotReady and tainted unreachable")

        async def evicted() -> bool:
            names = {p["metadata"]["name"] for p in (await c.list("pods", "default",
                                                                   field_selector="spec.nodeName=node-1"))["items"]}
            return "doomed" not in names
        await until(evicted, timeout=30, what="doomed evicted from node-1")
        os.kill(pid, 0)  # the agent died, so nobody stopped the container yet

        # a restarted agent cleans up what it left running for pods no longer bound to it
        cluster.components["node-1"].start()

        async def reaped() -> bool:
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                return True
        await until(reaped, timeout=30, what="the restarted agent to kill the orphaned container")

        async def ready_again() -> Any:
            node = await c.get("nodes", "node-1")
            taints = {t["key"] for t in node["spec"].get("taints") or []}
            ready = next(cond for cond in node["status"]["conditions"] if cond["type"] == "Ready")
            return ready["status"] == "True" and "node.kubernetes.io/unreachable" not in taints
        await until(ready_again, timeout=30, what="node-1 Ready again without the taint")
    run(with_admin(cluster, body))


def test_fake_runtime_agent_runs_pods_instantly_without_processes(cluster: Cluster) -> None:
    cluster.components["fake-1"] = ManagedProcess.module(
        "fake-1", "nodeagent", [*cluster.connection("node-fake-1"), "--hostname-override", "fake-1",
                                "--runtime", "fake", "--port", "0", "--node-labels", "runtime=fake",
                                "--register-with-taints", "fake=true:NoSchedule",
                                "--node-status-update-frequency", "1"], cluster.base).start()

    async def body(c: ApiClient) -> None:
        pod = python_pod("phantom", "raise SystemExit('never runs')", nodeSelector={"runtime": "fake"},
                         tolerations=[{"key": "fake", "operator": "Exists", "effect": "NoSchedule"}])
        await c.create("pods", pod, "default")

        async def running() -> Any:
            got = await c.get("pods", "phantom", "default")
            return got if got["status"].get("phase") == "Running" else None
        got = await until(running, what="phantom Running on the fake node")
        assert got["spec"]["nodeName"] == "fake-1"
        assert got["status"]["containerStatuses"][0]["containerID"].startswith("fake://")
        node = await c.get("nodes", "fake-1")
        assert node["spec"]["taints"] == [{"key": "fake", "value": "true", "effect": "NoSchedule"}]
        await c.delete("pods", "phantom", "default")

        async def gone() -> bool:
            names = {p["metadata"]["name"] for p in (await c.list("pods", "default"))["items"]}
            return "phantom" not in names
        await until(gone, what="the fake agent to finalize the graceful deletion")
    run(with_admin(cluster, body))
