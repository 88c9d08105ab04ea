"""Runs a real `kubelite-apiserver` process (with its PKI) against etcdlite
endpoints on a free loopback port: used by the tests and, later, `kubelite up`.
Stopped by PID."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from etcdlite.localcluster import free_port
from kubelite.client import ApiClient, Credentials
from kubelite.pki import init_pki, issue, load, write


@dataclass
class LocalApiServer:
    base_dir: Path
    etcd_endpoints: list[str]
    nodes: tuple[str, ...] = ("node-1", "node-2")
    client_ca: bool = True
    tokens: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # token -> user, uid, groups
    extra_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    rest_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def pki(self) -> Path:
        return self.base_dir / "pki"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"https://127.0.0.1:{self.rest_port}"

    @property
    def audit_log(self) -> Path:
        return self.base_dir / "audit.log"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "apiserver.log"

    def start(self, timeout: float = 30.0) -> LocalApiServer:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        init_pki(self.pki, nodes=self.nodes)
        args = [sys.executable, "-m", "apiserver", "--etcd-servers", ",".join(self.etcd_endpoints),
                "--secure-port", str(self.port), "--rest-port", str(self.rest_port),
                "--tls-cert-file", str(self.pki / "apiserver.crt"),
                "--tls-private-key-file", str(self.pki / "apiserver.key"),
                "--audit-log-path", str(self.audit_log),
                "--kubelet-client-certificate", str(self.pki / "apiserver-kubelet-client.crt"),
                "--kubelet-client-key", str(self.pki / "apiserver-kubelet-client.key"),
                "--kubelet-certificate-authority", str(self.pki / "ca.crt"),
                "--service-account-key-file", str(self.pki / "sa.pub"), *self.extra_args]
        if self.client_ca:
            args += ["--client-ca-file", str(self.pki / "ca.crt")]
        if self.tokens:
            token_file = self.base_dir / "tokens.csv"
            token_file.write_text("".join(f'{t},{u},{uid},"{",".join(g)}"\n'
                                          for t, (u, uid, g) in self.tokens.items()))
            args += ["--token-auth-file", str(token_file)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout: float) -> None:
        creds = grpc.ssl_channel_credentials((self.pki / "ca.crt").read_bytes(),
                                             (self.pki / "admin.key").read_bytes(),
                                             (self.pki / "admin.crt").read_bytes())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kubelite-apiserver exited; see {self.log_path}")
            with grpc.secure_channel(self.endpoint, creds) as channel:
                try:
                    status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if status.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
            time.sleep(0.2)
        raise TimeoutError(f"kubelite-apiserver not serving after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def credentials(self, stem: str = "admin", token: str | None = None) -> Credentials:
        """Credentials of a client certificate in the PKI dir (issued on demand
        for `user:<name>[:<group>,...]` stems), or a token over server-only TLS."""
        ca = str(self.pki / "ca.crt")
        if token is not None:
            return Credentials.from_files(ca, token=token)
        if stem.startswith("user:"):
            name, _, groups = stem[5:].partition(":")
            stem = f"user-{name}"
            if not (self.pki / f"{stem}.crt").exists():
                write(self.pki, stem, issue(load(self.pki, "ca"), name, tuple(g for g in groups.split(",") if g)))
        return Credentials.from_files(ca, str(self.pki / f"{stem}.crt"), str(self.pki / f"{stem}.key"))

    def client(self, stem: str = "admin", token: str | None = None) -> ApiClient:
        return ApiClient(self.endpoint, self.credentials(stem, token))


