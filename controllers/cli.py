"""The `kubelite-controller-manager` command (leader-elected, like the scheduler)."""

from __future__ import annotations

import asyncio
import os
import socket

import click

from controllers import manager
from controllers.base import SharedInformers
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
@click.option("--controllers", "controller_spec", default="*", show_default=True,
              help="Controllers to run: '*' for all, 'name' to add one, '-name' to leave one out (known: "
                   + ", ".join(manager.ALL) + ").")
@click.option("--service-account-private-key-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="EC key that signs service-account tokens (the tokens controller).")
@click.option("--root-ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The cluster CA, put into service-account token Secrets as ca.crt.")
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True)
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=click.FloatRange(0.1, 60))
def main(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None, log_level: str,
         node_monitor_grace_period: float, pod_eviction_timeout: float, node_monitor_period: float,
         controller_spec: str, service_account_private_key_file: str | None, root_ca_file: str | None,
         leader_elect: bool, leader_elect_retry_period: float) -> None:
    """Run the kubelite controller manager."""
    identity = f"{socket.gethostname()}_{os.getpid()}"
    try:
        names = manager.select(controller_spec)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--controllers") from None

    async def run(stop: asyncio.Event) -> None:
        async with make_client(server, ca, cert, key, token) as client:
            elector = LeaderElector(client, "kube-controller-manager", identity,
                                    retry_period=leader_elect_retry_period) if leader_elect else None
            async def work() -> None:
                informers = SharedInformers(client)
                controllers = manager.build(names, client, informers, {"serviceaccount-token": {
                    "key_file": service_account_private_key_file or "", "root_ca_file": root_ca_file or ""}})
                tasks = [manager.run_all(controllers, informers, stop)]
                if manager.NODE_LIFECYCLE in names:
                    lifecycle = NodeLifecycleController(client, node_monitor_grace_period, pod_eviction_timeout,
                                                        node_monitor_period)
                    await lifecycle.start()
                    tasks.append(lifecycle.run(stop))
                try:
                    await asyncio.gather(*tasks)
                finally:
                    await informers.stop()

            await run_as_leader(elector, stop, work)

    run_component(run, log_level)


if __name__ == "__main__":
    main()
