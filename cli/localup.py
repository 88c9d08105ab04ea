"""`kubelite up` / `down` / `status`: a whole cluster as local processes.

Three etcdlite replicas, the API server, the scheduler, the controller-manager
and N node agents, each its own OS process on a loopback port, all recorded in
`<state-dir>/cluster.json` (ports and PIDs), so a second `up` reports the
running cluster (or restarts it on the same ports and data), and `down` stops
exactly what was started, by PID.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdlite.client import EtcdClient
from etcdlite.localcluster import free_port
from kubelite import kubeconfig
from kubelite.client import ApiClient, Credentials
from kubelite.errors import StatusError
from kubelite.pki import init_pki
from kubelite.processes import ManagedProcess
from kubelite.readiness import wait_nodes_ready

Echo = Callable[[str], None]


@dataclass
class ClusterState:
    state_dir: Path
    nodes: list[str] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.state_dir / "cluster.json"

    @classmethod
    def load(cls, state_dir: Path) -> ClusterState | None:
        path = state_dir / "cluster.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(state_dir, data["nodes"], data["ports"], data.get("pids", {}))

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps({"nodes": self.nodes, "ports": self.ports, "pids": self.pids}, indent=2))

    def port(self, name: str) -> int:
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def alive(self, name: str) -> bool:
        pid = self.pids.get(name)
        return bool(pid) and not _gone(pid)

    @property
    def apiserver(self) -> str:
        return f"127.0.0.1:{self.ports['apiserver']}"


ETCD = ("etcd-1", "etcd-2", "etcd-3")


def _components(state: ClusterState) -> list[tuple[str, str, list[str]]]:
    """(name, module, args) of every process, in start order."""
    d, pki = state.state_dir, state.state_dir / "pki"
    initial = ",".join(f"{n}=http://127.0.0.1:{state.port(n + '-peer')}" for n in ETCD)
    out = [(n, "etcdlite", ["--name", n, "--data-dir", str(d / "etcd" / n),
                            "--listen-client-urls", f"http://127.0.0.1:{state.port(n)}",
                            "--initial-cluster", initial]) for n in ETCD]
    etcd_servers = ",".join(f"127.0.0.1:{state.port(n)}" for n in ETCD)
    out.append(("apiserver", "apiserver", [
        "--etcd-servers", etcd_servers, "--secure-port", str(state.port("apiserver")),
        "--rest-port", str(state.port("apiserver-rest")),
        "--tls-cert-file", str(pki / "apiserver.crt"), "--tls-private-key-file", str(pki / "apiserver.key"),
        "--client-ca-file", str(pki / "ca.crt"), "--audit-log-path", str(d / "logs" / "audit.log"),
        "--kubelet-client-certificate", str(pki / "apiserver-kubelet-client.crt"),
        "--kubelet-client-key", str(pki / "apiserver-kubelet-client.key"),
        "--kubelet-certificate-authority", str(pki / "ca.crt"),
        "--service-account-key-file", str(pki / "sa.pub")]))

    def connect(stem: str) -> list[str]:
        return ["--server", state.apiserver, "--certificate-authority", str(pki / "ca.crt"),
                "--client-certificate", str(pki / f"{stem}.crt"), "--client-key", str(pki / f"{stem}.key")]

    out.append(("scheduler", "scheduler", connect("scheduler")))
    out.append(("controller-manager", "controllers", [*connect("controller-manager"),
                                                      "--service-account-private-key-file", str(pki / "sa.key"),
                                                      "--root-ca-file", str(pki / "ca.crt")]))
    for node in state.nodes:
        out.append((node, "nodeagent", [*connect(f"node-{node}"), "--hostname-override", node,
                                        "--root-dir", str(d / "nodes"), "--port", str(state.port(node + "-logs")),
                                        "--tls-cert-file", str(pki / f"node-{node}-serving.crt"),
                                        "--tls-private-key-file", str(pki / f"node-{node}-serving.key"),
                                        "--client-ca-file", str(pki / "ca.crt")]))
    return out


def admin_credentials(state_dir: Path) -> Credentials:
    pki = state_dir / "pki"
    return Credentials.from_files(str(pki / "ca.crt"), str(pki / "admin.crt"), str(pki / "admin.key"))


async def _wait_healthy(state: ClusterState, nodes: int, echo: Echo, timeout: float) -> None:
    async with ApiClient(state.apiserver, admin_credentials(state.state_dir), timeout=5) as client:
        try:
            ready = await wait_nodes_ready(client, nodes, timeout, lambda: echo("  apiserver: serving"))
        except TimeoutError:
            raise TimeoutError(f"the cluster did not become healthy in {timeout:.0f}s; "
                               f"see {state.state_dir / 'logs'}") from None
    echo(f"  nodes: {ready}/{nodes} Ready")


def up(state_dir: Path, nodes: int, echo: Echo, timeout: float = 90.0) -> ClusterState:
    state = ClusterState.load(state_dir)
    if state is not None and all(state.alive(name) for name, _, _ in _components(state)):
        echo(f"kubelite is already running ({len(state.pids)} processes, state in {state_dir})")
        return state
    if state is None:
        state = ClusterState(state_dir, [f"node-{i}" for i in range(1, nodes + 1)])
    logs = state_dir / "logs"
    created = init_pki(state_dir / "pki", nodes=tuple(state.nodes))
    if created:
        echo(f"generated PKI in {state_dir / 'pki'} ({len(created)} certificates)")
    for name, module, args in _components(state):
        if state.alive(name):
            continue
        process = ManagedProcess.module(name, module, args, logs).start()
        assert process.pid is not None
        state.pids[name] = process.pid
        echo(f"  started {name:<20} pid {process.pid}")
        state.save()
        if name == "etcd-3":
            time.sleep(0.5)
    kubeconfig.write(state_dir / "kubeconfig", f"https://127.0.0.1:{state.port('apiserver-rest')}",
                     state_dir / "pki" / "ca.crt", state_dir / "pki" / "admin.crt", state_dir / "pki" / "admin.key",
                     grpc=f"https://{state.apiserver}")
    asyncio.run(_wait_healthy(state, len(state.nodes), echo, timeout))
    return state


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie its new parent has not reaped yet
    (`up` has exited, so init reaps our components, on its own schedule)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def stop_pids(pids: list[int], timeout: float = 10.0) -> None:
    """SIGTERM every one, wait for all together, SIGKILL whoever is left."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(_gone(pid) for pid in pids):
        time.sleep(0.05)
    for pid in pids:
        if not _gone(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def down(state_dir: Path, purge: bool, echo: Echo) -> None:
    state = ClusterState.load(state_dir)
    if state is None:
        echo(f"no kubelite cluster in {state_dir}")
        return
    # containers first: they were started by node agents, and their PIDs are on disk
    for pid_file in (state_dir / "nodes").rglob("*.pid"):
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError, PermissionError):
            pass
        pid_file.unlink(missing_ok=True)
    # node agents and controllers first, so they do not log the store going away
    components = list(reversed(list(state.pids.items())))
    first = [(n, p) for n, p in components if n not in ETCD and n != "apiserver"]
    for group in (first, [(n, p) for n, p in components if (n, p) not in first]):
        stop_pids([pid for _, pid in group])
        for name, pid in group:
            echo(f"  stopped {name:<20} pid {pid}")
    state.pids = {}
    state.save()
    if purge:
        shutil.rmtree(state_dir)
        echo(f"removed {state_dir}")


def status(state_dir: Path) -> list[dict[str, Any]]:
    state = ClusterState.load(state_dir)
    if state is None:
        return []
    rows = []
    for name, module, _ in _components(state):
        address = {"apiserver": state.apiserver}.get(name, "")
        if name in ETCD:
            address = f"127.0.0.1:{state.ports[name]}"
        elif name.startswith("node-"):
            address = f"127.0.0.1:{state.ports.get(name + '-logs', 0)}"
        rows.append({"name": name, "component": module, "pid": state.pids.get(name, 0),
                     "address": address, "alive": state.alive(name), "health": "", "role": ""})
    asyncio.run(_probe(state, rows))
    return rows


async def _probe(state: ClusterState, rows: list[dict[str, Any]]) -> None:
    """Fill in each live row's health (etcdlite: its Status answer; API server:
    its /version as admin; the others: the process runs) and which etcdlite
    member leads."""
    for row in rows:
        row["health"] = "running" if row["alive"] else "-"
    etcd_rows = [r for r in rows if r["name"] in ETCD and r["alive"]]
    if etcd_rows:
        async with EtcdClient([r["address"] for r in etcd_rows], timeout=2) as etcd:
            answers = await asyncio.gather(*(etcd.status(r["address"]) for r in etcd_rows), return_exceptions=True)
        for row, answer in zip(etcd_rows, answers, strict=True):
            if isinstance(answer, Exception):
                row["health"] = "unhealthy"
            else:
                row["health"] = "healthy"
                row["role"] = "leader" if answer.leader and answer.leader == answer.header.member_id else "follower"
    apiserver = next((r for r in rows if r["name"] == "apiserver" and r["alive"]), None)
    if apiserver is not None:
        try:
            async with ApiClient(state.apiserver, admin_credentials(state.state_dir), timeout=2) as client:
                await client.server_version()
            apiserver["health"] = "healthy"
        except (StatusError, OSError):
            apiserver["health"] = "unhealthy"
