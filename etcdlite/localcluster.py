"""Runs a cluster of real `etcdlite` processes on free loopback ports.

Used by `make demo`, the integration/compat/chaos tests and the benchmark. Every
member is its own OS process, started with the same flags a user would type; it
is stopped, killed and restarted by PID, never by name.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from kubelite.gen.etcdserverpb import rpc_pb2, rpc_pb2_grpc

DIVERGENCE_LINE = "state machine may have diverged"


_handed_out: set[int] = set()


def ephemeral_low() -> int:
    """The first port the kernel hands out for outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback port nothing listens on, for a process that may be killed and
    restarted on it. Never one this process handed out before (two bind(0)
    calls in a row can get the same port once the first socket is closed), and
    below the kernel's ephemeral range, so while its owner is down no outgoing
    connection can take it as a source port."""
    low = ephemeral_low()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(10000, max(low, 10001))
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    while True:  # a crowded machine: any free port the kernel offers
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@dataclass
class MemberProcess:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class LocalCluster:
    """`size` etcdlite members under `base_dir` (data dirs and logs)."""

    base_dir: Path
    size: int = 3
    extra_args: list[str] = field(default_factory=list)
    members: dict[str, MemberProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_dir = Path(self.base_dir)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for i in range(1, self.size + 1):
            name = f"etcd-{i}"
            self.members[name] = MemberProcess(
                name, free_port(), free_port(), self.base_dir / name, self.base_dir / f"{name}.log")

    @property
    def initial_cluster(self) -> str:
        return ",".join(f"{m.name}={m.peer_url}" for m in self.members.values())

    @property
    def endpoints(self) -> list[str]:
        return [m.endpoint for m in self.members.values()]

    def start(self, timeout: float = 30.0) -> LocalCluster:
        for name in self.members:
            self.start_member(name)
        self.wait_ready(timeout)
        return self

    def start_member(self, name: str) -> None:
        member = self.members[name]
        if member.alive():
            return
        args = [
            sys.executable, "-m", "etcdlite",
            "--name", member.name,
            "--data-dir", str(member.data_dir),
            "--listen-client-urls", f"http://{member.endpoint}",
            "--listen-peer-urls", member.peer_url,
            "--initial-cluster", self.initial_cluster,
            *self.extra_args,
        ]
        log = open(member.log_path, "ab")
        member.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def kill_member(self, name: str, sig: int = signal.SIGKILL) -> None:
        member = self.members[name]
        if member.proc is not None and member.proc.poll() is None:
            os.kill(member.proc.pid, sig)
            member.proc.wait(timeout=15)

    def stop(self) -> None:
        """SIGTERM every member, then SIGKILL what is still alive."""
        for member in self.members.values():
            if member.alive():
                assert member.proc is not None
                member.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for member in self.members.values():
            if member.proc is None:
                continue
            try:
                member.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                member.proc.kill()
                member.proc.wait(timeout=5)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ observation
    def status(self, name: str, timeout: float = 2.0) -> rpc_pb2.StatusResponse | None:
        """Maintenance.Status of one member, or None if it does not answer."""
        member = self.members[name]
        with grpc.insecure_channel(member.endpoint) as channel:
            try:
                return rpc_pb2_grpc.MaintenanceStub(channel).Status(rpc_pb2.StatusRequest(), timeout=timeout)
            except grpc.RpcError:
                return None

    def leader(self) -> str | None:
        """Name of the member that the live members agree leads, or None."""
        ids: dict[int, str] = {}
        votes: set[int] = set()
        for name, member in self.members.items():
            if not member.alive():
                continue
            status = self.status(name)
            if status is None:
                continue
            ids[status.header.member_id] = name
            votes.add(status.leader)
        if len(votes) == 1:
            leader = votes.pop()
            return ids.get(leader)
        return None

    def wait_ready(self, timeout: float = 30.0, names: list[str] | None = None) -> str:
        """Wait until the given (default: all live) members answer and agree on a
        leader that is one of them; returns the leader's name."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wanted = names or [n for n, m in self.members.items() if m.alive()]
            dead = [n for n in wanted if not self.members[n].alive()]
            if dead:
                raise RuntimeError(f"etcdlite member(s) {dead} exited; see {self.base_dir}/*.log")
            statuses = [self.status(n) for n in wanted]
            leaders = {s.leader for s in statuses if s is not None}
            if all(s is not None for s in statuses) and len(leaders) == 1 and 0 not in leaders:
                leader = self.leader()
                if leader is not None:
                    return leader
            time.sleep(0.1)
        raise TimeoutError(f"etcdlite cluster not ready after {timeout}s; see {self.base_dir}/*.log")

    def logs_with(self, text: str) -> list[str]:
        """Names of members whose log contains `text`."""
        return [n for n, m in self.members.items()
                if m.log_path.exists() and text in m.log_path.read_text(errors="replace")]
