"""`kubelite up`, `down` and `status`: a whole cluster on this machine, each
component its own process, tracked by PID in the state directory."""

from __future__ import annotations

from pathlib import Path

import click

from cli import localup
from cli.base import fail, main
from cli.output import table


@main.command()
@click.option("--nodes", default=2, show_default=True, type=click.IntRange(1, 50))
@click.option("--state-dir", default=".kubelite", show_default=True, type=click.Path(file_okay=False))
def up(nodes: int, state_dir: str) -> None:
    """Start a whole cluster on this machine: 3 etcdlite, apiserver, scheduler,
    controller-manager and N node agents, each its own process."""
    try:
        localup.up(Path(state_dir), nodes, click.echo)
    except TimeoutError as err:
        fail(f"error: {err}")
    path = Path(state_dir).resolve() / "kubeconfig"
    click.echo(f"\nkubelite is up. Use it with:\n  export KUBECONFIG={path}\n  kubelite get nodes")


@main.command()
@click.option("--state-dir", default=".kubelite", show_default=True, type=click.Path(file_okay=False))
@click.option("--purge", is_flag=True, help="Also remove the state directory (data, PKI, logs).")
def down(state_dir: str, purge: bool) -> None:
    """Stop every process `up` started, by PID."""
    localup.down(Path(state_dir), purge, click.echo)


@main.command()
@click.option("--state-dir", default=".kubelite", show_default=True, type=click.Path(file_okay=False))
def status(state_dir: str) -> None:
    """Show each component of the local cluster: PID, address, whether it runs."""
    rows = localup.status(Path(state_dir))
    if not rows:
        fail(f"no kubelite cluster in {state_dir} (run `kubelite up`)")
    click.echo(table([[r["name"], r["component"], str(r["pid"] or "-"), r["address"],
                       "running" if r["alive"] else "stopped", r["health"], r["role"]] for r in rows],
                     ["NAME", "COMPONENT", "PID", "ADDRESS", "STATE", "HEALTH", "ROLE"]))
