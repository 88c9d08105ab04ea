"""The `kubelite-scheduler` command."""

from __future__ import annotations

import asyncio
import os
import socket

import click

from kubelite.component import connection_options, make_client, run_component
from kubelite.leaderelection import LeaderElector, run_as_leader
from scheduler.plugins import DEFAULT_WEIGHTS, SCORES
from scheduler.scheduler import Scheduler


def _weights(text: str) -> dict[str, int]:
    weights = dict(DEFAULT_WEIGHTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in SCORES or not value.isdigit():
            raise click.BadParameter(f"{part!r}: want Plugin=weight with a plugin of {', '.join(sorted(SCORES))}",
                                     param_hint="--score-weights")
        weights[name] = int(value)
    return weights


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@connection_options
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True)
@click.option("--leader-elect-lease-duration", default=15.0, show_default=True, type=click.FloatRange(1, 600))
@click.option("--leader-elect-renew-deadline", default=10.0, show_default=True, type=click.FloatRange(0.5, 600))
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=click.FloatRange(0.1, 60))
@click.option("--score-weights", default="", help="Plugin=weight,... (LeastAllocated, BalancedAllocation, "
                                                   "NodeAffinity, TaintToleration, PodTopologySpread).")
def main(server: str, ca: str | None, cert: str | None, key: str | None, token: str | None, log_level: str,
         leader_elect: bool, leader_elect_lease_duration: float, leader_elect_renew_deadline: float,
         leader_elect_retry_period: float, score_weights: str) -> None:
    """Run the kubelite scheduler."""
    weights = _weights(score_weights)
    identity = f"{socket.gethostname()}_{os.getpid()}"

    async def run(stop: asyncio.Event) -> None:
        async with make_client(server, ca, cert, key, token) as client:
            scheduler = Scheduler(client, weights)
            elector = LeaderElector(client, "kube-scheduler", identity,
                                    lease_duration=leader_elect_lease_duration,
                                    renew_deadline=leader_elect_renew_deadline,
                                    retry_period=leader_elect_retry_period) if leader_elect else None

            async def work() -> None:
                await scheduler.start_informers()
                await scheduler.run(stop)

            await run_as_leader(elector, stop, work)

    run_component(run, log_level)


if __name__ == "__main__":
    main()
