"""What every cluster component shares on its command line: how to reach and
authenticate to the API server (one or several, comma-separated), an optional
gRPC health service (`--health-port`, for container healthchecks), and how to
run until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kubelite.client import ApiClient, Credentials


def _remember_health_port(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    ctx.meta["kubelite.health_port"] = value
    return value


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--server", required=True, help="API server address, host:port; several comma-separated."),
        click.option("--certificate-authority", "ca", type=click.Path(exists=True, dir_okay=False),
                     help="CA that signed the API server's certificate."),
        click.option("--client-certificate", "cert", type=click.Path(exists=True, dir_okay=False)),
        click.option("--client-key", "key", type=click.Path(exists=True, dir_okay=False)),
        click.option("--token", default=None, help="Bearer token instead of a client certificate."),
        click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warn", "error"])),
        click.option("--health-port", default=0, type=click.IntRange(0, 65535), expose_value=False,
                     callback=_remember_health_port,
                     help="Serve the gRPC health service on this port (0: off)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_client(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None) -> ApiClient:
    if bool(cert) != bool(key):
        raise click.UsageError("--client-certificate and --client-key go together")
    return ApiClient(server, Credentials.from_files(ca, cert, key, token))


def run_component(main: Callable[[asyncio.Event], Awaitable[None]], log_level: str) -> None:
    """Run `main(stop)` until SIGTERM/SIGINT sets `stop`."""
    logging.basicConfig(level=log_level.upper().replace("WARN", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    context = click.get_current_context(silent=True)
    health_port = int(context.meta.get("kubelite.health_port", 0)) if context is not None else 0

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        health_server = await _serve_health(health_port) if health_port else None
        try:
            await main(stop)
        finally:
            if health_server is not None:
                await health_server.stop(grace=0.5)

    asyncio.run(runner())


async def _serve_health(port: int) -> grpc.aio.Server:
    """grpc.health.v1 on all interfaces, SERVING while the process runs (a
    standby scheduler is healthy too: it is ready to take over)."""
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"0.0.0.0:{port}")
    await server.start()
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return server
