"""The `etcdlite` command: one replica of the store, started with etcd's flag names.

    etcdlite --name n1 --data-dir /var/lib/n1 \\
        --listen-client-urls http://127.0.0.1:2379 \\
        --listen-peer-urls http://127.0.0.1:2380 \\
        --initial-cluster n1=http://127.0.0.1:2380,n2=...,n3=...

Serves the etcd v3 gRPC API and the gRPC health service on the client URL; the
peer URL is this replica's Raft (pysyncobj) address.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from etcdlite.member import Member, MemberConfig, parse_initial_cluster, url_host_port
from etcdlite.replication import RaftTuning
from etcdlite.servicers import add_services
from kubelite.channels import ACCEPT_KEEPALIVE_OPTIONS

log = logging.getLogger("etcdlite")


def _host_port(url: str, flag: str) -> str:
    try:
        return url_host_port(url)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=flag) from None


async def _serve(config: MemberConfig, listen: list[str]) -> None:
    member = Member(config)
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 4 * 1024 * 1024),
                                      *ACCEPT_KEEPALIVE_OPTIONS])
    add_services(server, member)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for address in listen:
        server.add_insecure_port(address)
    await member.start()
    await server.start()
    log.info("etcdlite member %s (%x) serving clients on %s, peers on %s",
             config.name, member.id, ", ".join(listen), config.me.address)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    serving = None
    while not stop.is_set():
        healthy = member.healthy()
        if healthy != serving:
            status = health_pb2.HealthCheckResponse.SERVING if healthy else health_pb2.HealthCheckResponse.NOT_SERVING
            await health_servicer.set("", status)
            await health_servicer.set("etcdserverpb.KV", status)
            serving = healthy
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass
    log.info("etcdlite member %s shutting down", config.name)
    await server.stop(grace=1.0)
    await member.stop()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--name", required=True, help="Human-readable name of this member (must be in --initial-cluster).")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False), help="Path to the data directory.")
@click.option("--listen-client-urls", default="http://127.0.0.1:2379", show_default=True,
              help="Comma-separated URLs to serve the etcd v3 gRPC API on.")
@click.option("--advertise-client-urls", default=None,
              help="Client URLs to publish to the cluster (default: --listen-client-urls).")
@click.option("--listen-peer-urls", default=None,
              help="URL for Raft traffic (default: this member's URL in --initial-cluster).")
@click.option("--initial-cluster", required=True, help="name=http://host:port,... of every member's peer URL.")
@click.option("--heartbeat-interval", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Raft heartbeat interval in ms.")
@click.option("--election-timeout", default=1000, show_default=True, type=click.IntRange(10, 60_000),
              help="Raft election timeout in ms (randomised between 40% and 100% of it).")
@click.option("--request-timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds a write waits for commit before failing with UNAVAILABLE.")
@click.option("--snapshot-count", default=20000, show_default=True, type=click.IntRange(10, 10_000_000),
              help="Committed entries that trigger a snapshot to disk and truncate the Raft log.")
@click.option("--experimental-watch-progress-notify-interval", "progress_interval", default="10m",
              show_default=True, help="How often idle progress_notify watchers get a progress response (s, m).")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warn", "error"]))
def main(name: str, data_dir: str, listen_client_urls: str, advertise_client_urls: str | None,
         listen_peer_urls: str | None, initial_cluster: str, heartbeat_interval: int, election_timeout: int,
         request_timeout: float, snapshot_count: int, progress_interval: str, log_level: str) -> None:
    """Run one etcdlite member: an etcd v3 API server replicated by Raft."""
    logging.basicConfig(level=log_level.upper().replace("WARN", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        peers = parse_initial_cluster(initial_cluster)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--initial-cluster") from None
    listen = [_host_port(u, "--listen-client-urls") for u in listen_client_urls.split(",") if u]
    advertise = (advertise_client_urls or listen_client_urls).split(",")
    tuning = RaftTuning(
        heartbeat=heartbeat_interval / 1000,
        election_min=0.4 * election_timeout / 1000,
        election_max=election_timeout / 1000,
        leader_fallback=1.5 * election_timeout / 1000,
        request_timeout=request_timeout,
        snapshot_count=snapshot_count,
    )
    config = MemberConfig(name=name, data_dir=data_dir, client_urls=advertise, peers=peers, tuning=tuning,
                          progress_notify_interval=_duration(progress_interval))
    try:
        me = config.me
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--name") from None
    if listen_peer_urls and _host_port(listen_peer_urls, "--listen-peer-urls") != me.address:
        raise click.BadParameter(
            f"{listen_peer_urls} differs from {name}'s URL in --initial-cluster ({me.peer_url})",
            param_hint="--listen-peer-urls")
    # The Raft thread does short bursts of socket I/O between the gRPC loop's
    # work; a shorter GIL switch interval keeps it from queueing behind the loop.
    sys.setswitchinterval(0.001)
    asyncio.run(_serve(config, listen))


def _duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in ("ms", "s", "m", "h"):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * units[suffix]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise click.BadParameter(f"{text!r} is not a duration like 10m or 500ms",
                             param_hint="--experimental-watch-progress-notify-interval")


if __name__ == "__main__":
    main()
