"""`kubelite auth can-i VERB RESOURCE [NAME]`: asks the API server, through a
SelfSubjectAccessReview, whether the current user may; prints yes or no and,
as kubectl, exits 1 on no. `kubelite auth whoami`: who the API server takes
the caller for (a SelfSubjectReview), after any --as impersonation."""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.base import ApiClient, fail, main, namespace_option, run_api
from cli.output import dump, table
from kubelite import api


@main.group()
def auth() -> None:
    """Inspect authorization."""


@auth.command("can-i")
@click.argument("verb")
@click.argument("target")
@click.argument("name", required=False, default="")
@click.option("-A", "--all-namespaces", is_flag=True, help="Ask about every namespace.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only the exit code answers.")
@namespace_option
@click.pass_context
def can_i(ctx: click.Context, verb: str, target: str, name: str, all_namespaces: bool, quiet: bool) -> None:
    """Check whether an action is allowed: can-i create pods, can-i get pods/log, can-i delete node/node-1."""
    kind, slash, rest = target.partition("/")
    try:
        info = api.resource_by_name(kind)
        resource, group, namespaced = info.resource, info.group, info.namespaced
    except api.UnknownResource:
        resource, _, group = kind.partition(".")
        namespaced = True
        if resource != "*":
            click.echo(f"Warning: the server doesn't have a resource type '{resource}'", err=True)
    # as kubectl: "pods/log" (the plural) names a subresource, "pod/web" an object
    subresource = rest if slash and kind.lower() in (resource, f"{resource}.{group}") else ""
    if slash and not subresource:
        name = name or rest
    answer: dict[str, bool] = {}

    async def body(client: ApiClient, namespace: str) -> None:
        attributes = {"verb": verb, "resource": resource, "group": group, "subresource": subresource, "name": name,
                      "namespace": "" if all_namespaces or not namespaced else namespace}
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "metadata": {}, "spec": {"resourceAttributes": attributes}}
        result = await client.create("selfsubjectaccessreviews", review)
        answer["allowed"] = bool((result.get("status") or {}).get("allowed"))
    run_api(ctx, body)
    if not quiet:
        click.echo("yes" if answer["allowed"] else "no")
    sys.exit(0 if answer["allowed"] else 1)


@auth.command()
@click.option("-o", "--output", default="", help="Output format: json or yaml (default: a table).")
@click.pass_context
def whoami(ctx: click.Context, output: str) -> None:
    """Show the user the server authenticated this request as: its name and groups."""
    if output not in ("", "json", "yaml"):
        fail(f'error: unable to match a printer suitable for the output format "{output}", allowed formats are: '
             "json,yaml")
    answer: dict[str, Any] = {}

    async def body(client: ApiClient, namespace: str) -> None:
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}}
        answer.update(await client.create("selfsubjectreviews", review))
    run_api(ctx, body)
    if output:
        click.echo(dump(answer, output))
    else:
        user = (answer.get("status") or {}).get("userInfo") or {}
        rows = [["Username", user.get("username", "")]]
        if user.get("uid"):
            rows.append(["UID", user["uid"]])
        if user.get("groups"):
            rows.append(["Groups", f"[{' '.join(user['groups'])}]"])
        click.echo(table(rows, ["ATTRIBUTE", "VALUE"]))
