"""`kubelite config`: kubeconfig files as kubectl shows and edits them (view,
get-contexts, use-context, current-context, set-credentials, set-context)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from cli.base import fail, main
from cli.output import table
from kubelite import kubeconfig


@main.group()
def config() -> None:
    """Inspect kubeconfig files."""


@config.command("get-contexts")
@click.pass_context
def get_contexts(ctx: click.Context) -> None:
    """Describe one or many contexts."""
    try:
        conf = kubeconfig.load(ctx.obj["kubeconfig"])
    except kubeconfig.KubeconfigError as err:
        fail(f"error: {err}")
    rows = [["*" if c.get("name") == conf.get("current-context") else "", c.get("name", ""),
             (c.get("context") or {}).get("cluster", ""), (c.get("context") or {}).get("user", ""),
             (c.get("context") or {}).get("namespace", "")] for c in conf["contexts"]]
    click.echo(table(rows, ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]))


@config.command("use-context")
@click.argument("name")
@click.pass_context
def use_context(ctx: click.Context, name: str) -> None:
    """Set the current-context in the kubeconfig file that defines it."""
    try:
        conf = kubeconfig.load(ctx.obj["kubeconfig"])
        entry = next((c for c in conf["contexts"] if c.get("name") == name), None)
        if entry is None:
            fail(f'error: no context exists with the name: "{name}"')
        kubeconfig.set_current_context(Path(entry["_file"]), name)
    except kubeconfig.KubeconfigError as err:
        fail(f"error: {err}")
    click.echo(f'Switched to context "{name}".')


@config.command("current-context")
@click.pass_context
def current_context(ctx: click.Context) -> None:
    """Display the current context."""
    try:
        current = kubeconfig.load(ctx.obj["kubeconfig"]).get("current-context")
    except kubeconfig.KubeconfigError as err:
        fail(f"error: {err}")
    if not current:
        fail("error: current-context is not set")
    click.echo(current)


def _redacted(conf: dict[str, Any], raw: bool) -> dict[str, Any]:
    """The merged kubeconfig as `config view` prints it: inline key and cert
    data hidden unless --raw, the bookkeeping of which file said what dropped."""
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    for section in ("clusters", "contexts", "users"):
        entries = []
        for entry in conf[section]:
            clean = {k: v for k, v in entry.items() if k != "_file"}
            if not raw:
                inner = next((k for k in ("cluster", "context", "user") if k in clean), "")
                if inner and isinstance(clean[inner], dict):
                    clean[inner] = {k: ("REDACTED" if k in ("client-key-data", "token") else
                                        "DATA+OMITTED" if k.endswith("-data") else v)
                                    for k, v in clean[inner].items()}
            entries.append(clean)
        out[section] = entries
    out["current-context"] = conf.get("current-context", "")
    return out


@config.command("view")
@click.option("--minify", is_flag=True, help="Only what the current context uses.")
@click.option("--raw", is_flag=True, help="Show certificate data and tokens too.")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml")
@click.pass_context
def view(ctx: click.Context, minify: bool, raw: bool, output: str) -> None:
    """Display the merged kubeconfig settings."""
    try:
        conf = kubeconfig.load(ctx.obj["kubeconfig"])
    except kubeconfig.KubeconfigError as err:
        fail(f"error: {err}")
    if minify:
        current = ctx.obj.get("context") or conf.get("current-context")
        context = next((c for c in conf["contexts"] if c.get("name") == current), None)
        if context is None:
            fail("error: current-context must exist in order to minify")
        body = context.get("context") or {}
        conf = {**conf, "contexts": [context], "current-context": current,
                "clusters": [c for c in conf["clusters"] if c.get("name") == body.get("cluster")],
                "users": [u for u in conf["users"] if u.get("name") == body.get("user")]}
    doc = _redacted(conf, raw)
    if output == "json":
        click.echo(json.dumps(doc, indent=4))
    else:
        click.echo(yaml.safe_dump(doc, sort_keys=False).rstrip())


@config.command("set-credentials")
@click.argument("name")
@click.option("--client-certificate", default="", help="Path to a client certificate file.")
@click.option("--client-key", default="", help="Path to the client key file.")
@click.option("--token", "user_token", default="", help="Bearer token.")
@click.pass_context
def set_credentials(ctx: click.Context, name: str, client_certificate: str, client_key: str,
                    user_token: str) -> None:
    """Set a user entry in kubeconfig."""
    path = kubeconfig.file_to_modify(ctx.obj["kubeconfig"])
    fields = {"client-certificate": str(Path(client_certificate).resolve()) if client_certificate else "",
              "client-key": str(Path(client_key).resolve()) if client_key else "", "token": user_token}
    existed = kubeconfig.set_entry(path, "users", name, fields)
    click.echo(f'User "{name}" {"modified" if existed else "set"}.')


@config.command("set-context")
@click.argument("name", required=False)
@click.option("--current", is_flag=True, help="Modify the current context.")
@click.option("--cluster", default="", help="The cluster of the context.")
@click.option("--user", default="", help="The user of the context.")
@click.option("--namespace", "context_namespace", default="", help="The default namespace of the context.")
@click.pass_context
def set_context(ctx: click.Context, name: str | None, current: bool, cluster: str, user: str,
                context_namespace: str) -> None:
    """Set a context entry in kubeconfig."""
    path = kubeconfig.file_to_modify(ctx.obj["kubeconfig"])
    if current:
        try:
            name = kubeconfig.load(ctx.obj["kubeconfig"]).get("current-context") or ""
        except kubeconfig.KubeconfigError as err:
            fail(f"error: {err}")
    if not name:
        fail("error: you must specify a non-empty context name or --current")
    existed = kubeconfig.set_entry(path, "contexts", name,
                                   {"cluster": cluster, "user": user, "namespace": context_namespace})
    click.echo(f'Context "{name}" {"modified" if existed else "created"}.')
