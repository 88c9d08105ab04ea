"""The `kubelite-controller-manager` command (leader-elected, like the scheduler)."""

from __future__ import annotations

import asyncio
import os
import socket

import click

from controllers.node_lifecycle import NodeLifecycleController
from kubelite.component import connection_options, make_client, run_component
from kubelite.leaderelection import LeaderElector, run_as_leader


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@connection_options
@click.option("--node-monitor-grace-period", default=40.0, show_default=True, type=click.FloatRange(0.5, 3600),
              help="Seconds without a Lease renewal before a node is NotReady.")
@click.option("--pod-eviction-timeout", default=300.0, show_default=True, type=click.FloatRange(0, 86400),
              help="Seconds pods without their own toleration stay on an unreachable node.")
@click.option("--node-monitor-period", default=1.0, show_default=True, type=click.FloatRange(0.1, 60))
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True)
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=click.FloatRange(0.1, 60))
def main(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None, log_level: str,
         node_monitor_grace_period: float, pod_eviction_timeout: float, node_monitor_period: float,
         leader_elect: bool, leader_elect_retry_period: float) -> None:
    """Run the kubelite controller manager."""
    identity = f"{socket.gethostname()}_{os.getpid()}"

    async def run(stop: asyncio.Event) -> None:
        async with make_client(server, ca, cert, key, token) as client:
            elector = LeaderElector(client, "kube-controller-manager", identity,
                                    retry_period=leader_elect_retry_period) if leader_elect else None
            controller = NodeLifecycleController(client, node_monitor_grace_period, pod_eviction_timeout,
                                                 node_monitor_period)

            async def work() -> None:
                await controller.start()
                await controller.run(stop)

            await run_as_leader(elector, stop, work)

    run_component(run, log_level)


if __name__ == "__main__":
    main()
