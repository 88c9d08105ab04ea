"""What every cluster component shares on its command line: how to reach and
authenticate to the API server, and how to run until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click

from kubelite.client import ApiClient, Credentials


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--server", required=True, help="API server address, host:port."),
        click.option("--certificate-authority", "ca", type=click.Path(exists=True, dir_okay=False),
                     help="CA that signed the API server's certificate."),
        click.option("--client-certificate", "cert", type=click.Path(exists=True, dir_okay=False)),
        click.option("--client-key", "key", type=click.Path(exists=True, dir_okay=False)),
        click.option("--token", default=None, help="Bearer token instead of a client certificate."),
        click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warn", "error"])),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_client(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None) -> ApiClient:
    if bool(cert) != bool(key):
        raise click.UsageError("--client-certificate and --client-key go together")
    return ApiClient(server.split("://", 1)[-1], Credentials.from_files(ca, cert, key, token))


def run_component(main: Callable[[asyncio.Event], Awaitable[None]], log_level: str) -> None:
    """Run `main(stop)` until SIGTERM/SIGINT sets `stop`."""
    logging.basicConfig(level=log_level.upper().replace("WARN", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())
