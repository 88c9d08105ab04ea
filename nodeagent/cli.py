"""The `kubelite-nodeagent` command: one node (kubelet flag names where they exist)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import click
import grpc

from kubelite.component import connection_options, make_client, run_component
from kubelite.gen.kubelite.v1 import api_pb2_grpc
from nodeagent.agent import NodeAgent
from nodeagent.logs import LogServicer
from nodeagent.runtime.fake import FakeRuntime
from nodeagent.runtime.process import ProcessRuntime


def _memory() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1])}Ki"
    except OSError:
        pass
    return "4Gi"


def _labels(text: str) -> dict[str, str]:
    labels = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{part!r}: want key=value", param_hint="--node-labels")
        labels[key] = value
    return labels


def _taints(text: str) -> list[dict[str, str]]:
    taints = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_value, sep, effect = part.rpartition(":")
        key, _, value = key_value.partition("=")
        if not sep or not key or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise click.BadParameter(f"{part!r}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute",
                                     param_hint="--register-with-taints")
        taints.append({"key": key, **({"value": value} if value else {}), "effect": effect})
    return taints


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@connection_options
@click.option("--hostname-override", "node_name", default=socket.gethostname(), show_default=True,
              help="The node's name.")
@click.option("--runtime", type=click.Choice(["process", "fake"]), default="process", show_default=True)
@click.option("--root-dir", default="/var/lib/kubelite-nodeagent", show_default=True,
              type=click.Path(file_okay=False), help="Pod logs and PID files (process runtime).")
@click.option("--cpu", default=str(os.cpu_count() or 1), show_default=True, help="cpu capacity to report.")
@click.option("--memory", default=_memory(), show_default=True, help="memory capacity to report.")
@click.option("--max-pods", default=110, show_default=True, type=click.IntRange(1, 100000))
@click.option("--node-labels", default="", help="key=value,... added to the Node's labels.")
@click.option("--register-with-taints", "taints", default="", help="key=value:Effect,...")
@click.option("--node-ip", default="127.0.0.1", show_default=True)
@click.option("--port", default=10250, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the log service the API server proxies pods/log to (0: none).")
@click.option("--tls-cert-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Serving certificate of the log service.")
@click.option("--tls-private-key-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--client-ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CA of the API server's kubelet client certificate.")
@click.option("--node-status-update-frequency", "heartbeat", default=10.0, show_default=True,
              type=click.FloatRange(0.1, 600), help="Seconds between Lease renewals.")
def main(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None, log_level: str,
         node_name: str, runtime: str, root_dir: str, cpu: str, memory: str, max_pods: int, node_labels: str,
         taints: str, node_ip: str, port: int, tls_cert_file: str | None, tls_private_key_file: str | None,
         client_ca_file: str | None, heartbeat: float) -> None:
    """Run the kubelite node agent."""
    labels, taint_list = _labels(node_labels), _taints(taints)
    if port and not (tls_cert_file and tls_private_key_file and client_ca_file):
        raise click.UsageError("the log service (--port) needs --tls-cert-file, --tls-private-key-file and "
                               "--client-ca-file; pass --port 0 to run without it")

    async def run(stop: asyncio.Event) -> None:
        async with make_client(server, ca, cert, key, token) as client:
            engine = FakeRuntime() if runtime == "fake" else ProcessRuntime(Path(root_dir) / node_name)
            agent = NodeAgent(client, node_name, engine, {"cpu": cpu, "memory": memory, "pods": str(max_pods)},
                              labels, taint_list, node_ip, heartbeat_interval=heartbeat, log_port=port)
            log_server = None
            if port:
                log_server = grpc.aio.server()
                api_pb2_grpc.add_NodeLogsServicer_to_server(LogServicer(engine), log_server)
                credentials = grpc.ssl_server_credentials(
                    [(Path(tls_private_key_file).read_bytes(), Path(tls_cert_file).read_bytes())],  # type: ignore[arg-type]
                    root_certificates=Path(client_ca_file).read_bytes(),  # type: ignore[arg-type]
                    require_client_auth=True)
                log_server.add_secure_port(f"{node_ip}:{port}", credentials)
                await log_server.start()
            if isinstance(engine, ProcessRuntime):
                agent.on_synced = lambda uids: engine.adopt(uids)  # re-adopt or clean up what we left running
            task = asyncio.create_task(agent.run(stop))
            await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
            task.cancel()
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            if log_server is not None:
                await log_server.stop(grace=1)

    run_component(run, log_level)


if __name__ == "__main__":
    main()
