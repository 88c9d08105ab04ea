"""Node care and waiting: cordon, uncordon, taint, drain (cordon, then evict
every pod the node runs), and wait --for=condition=X|delete (watched, not polled)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from cli.base import ApiClient, fail, main, namespace_option, parse_duration, run_api
from cli.output import qualified
from cli.verbs_write import wait_deleted
from kubelite import api
from kubelite.errors import Conflict, NotFound

Obj = dict[str, Any]


async def _set_unschedulable(client: ApiClient, node: str, value: bool) -> None:
    current = await client.get("nodes", node)
    if bool((current.get("spec") or {}).get("unschedulable")) == value:
        click.echo(f"node/{node} already {'cordoned' if value else 'uncordoned'}")
        return
    await client.patch("nodes", node, {"spec": {"unschedulable": value}})
    click.echo(f"node/{node} {'cordoned' if value else 'uncordoned'}")


@main.command()
@click.argument("node")
@click.pass_context
def cordon(ctx: click.Context, node: str) -> None:
    """Mark node as unschedulable."""
    run_api(ctx, lambda client, _ns: _set_unschedulable(client, node, True))


@main.command()
@click.argument("node")
@click.pass_context
def uncordon(ctx: click.Context, node: str) -> None:
    """Mark node as schedulable."""
    run_api(ctx, lambda client, _ns: _set_unschedulable(client, node, False))


EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def parse_taints(specs: list[str]) -> tuple[list[Obj], list[Obj]]:
    """`key=value:Effect` adds, `key[=value][:Effect]-` removes (kubectl taint)."""
    adds: list[Obj] = []
    removes: list[Obj] = []
    for spec in specs:
        removing = spec.endswith("-")
        body = spec[:-1] if removing else spec
        key_value, colon, effect = body.partition(":")
        key, _, value = key_value.partition("=")
        if not key or (not removing and not colon):
            fail(f"error: invalid taint spec: {spec}")
        if (colon or not removing) and effect not in EFFECTS:
            fail(f"error: invalid taint effect: {effect}, unsupported taint effect")
        taint: Obj = {"key": key, **({"value": value} if value else {}), **({"effect": effect} if effect else {})}
        (removes if removing else adds).append(taint)
    return adds, removes


def apply_taints(node: Obj, adds: list[Obj], removes: list[Obj], overwrite: bool) -> list[Obj]:
    """The node's taints after the change; kubectl's errors for a clash or a missing taint."""
    name = node["metadata"]["name"]
    taints: list[Obj] = list((node.get("spec") or {}).get("taints") or [])
    for gone in removes:
        kept = [t for t in taints if not (t.get("key") == gone["key"]
                                          and gone.get("effect") in (None, t.get("effect")))]
        if len(kept) == len(taints):
            fail(f'error: taint "{gone["key"]}{":" + gone["effect"] if gone.get("effect") else ""}" not found')
        taints = kept
    for new in adds:
        same = [t for t in taints if t.get("key") == new["key"] and t.get("effect") == new["effect"]]
        if same and not overwrite and same != [new]:
            fail(f"error: node {name} already has {new['key']} taint(s) with same effect(s) and --overwrite is "
                 "false")
        taints = [t for t in taints if t not in same] + [new]
    return taints


@main.command()
@click.argument("resource")
@click.argument("args", nargs=-1)
@click.option("--overwrite", is_flag=True, help="Replace a taint with the same key and effect.")
@click.option("-l", "--selector", default="", help="Taint the nodes matching this label selector.")
@click.option("--all", "all_", is_flag=True, help="Taint every node.")
@click.pass_context
def taint(ctx: click.Context, resource: str, args: tuple[str, ...], overwrite: bool, selector: str,
          all_: bool) -> None:
    """Update the taints on nodes: taint nodes node-1 dedicated=lab:NoSchedule; a trailing - removes."""
    kind, _, name = resource.partition("/")
    rest = list(args)
    names = [name] if name else []
    if rest and not names and not selector and not all_:
        names.append(rest.pop(0))
    if kind.lower() not in ("no", "node", "nodes"):
        fail(f"error: invalid resource type {kind}, only node types are supported")
    adds, removes = parse_taints(rest)
    if not adds and not removes:
        fail("error: at least one taint update is required")

    async def body(client: ApiClient, _namespace: str) -> None:
        targets = names or [n["metadata"]["name"] for n in
                            (await client.list("nodes", label_selector=selector))["items"]]
        for target in targets:
            for _ in range(5):  # the node controller changes taints too: update on the version we read
                node = await client.get("nodes", target)
                node.setdefault("spec", {})["taints"] = apply_taints(node, adds, removes, overwrite)
                try:
                    await client.update("nodes", node)
                    break
                except Conflict:
                    continue
            else:
                fail(f"error: node {target} kept changing while its taints were updated; try again")
            click.echo(f"node/{target} {'tainted' if adds else 'untainted'}")
    run_api(ctx, body)


@main.command()
@click.argument("node")
@click.option("--force", is_flag=True, help="Also evict pods that no controller manages (they are not recreated).")
@click.option("--ignore-daemonsets", is_flag=True, help="Accepted for kubectl compatibility (no DaemonSets here).")
@click.option("--grace-period", type=int, default=-1, help="Seconds each pod gets to stop; -1 uses the pod's own.")
@click.option("--timeout", default="0s", help="Give up after this long (0s: wait as long as it takes).")
@click.pass_context
def drain(ctx: click.Context, node: str, force: bool, ignore_daemonsets: bool, grace_period: int,
          timeout: str) -> None:
    """Cordon the node, then evict every pod on it and wait until they are gone."""
    limit = parse_duration(timeout) or 3600.0

    async def body(client: ApiClient, namespace: str) -> None:
        await _set_unschedulable(client, node, True)
        pods = (await client.list("pods", "", field_selector=f"spec.nodeName={node}"))["items"]
        pods = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        unmanaged = [p for p in pods if not any(r.get("controller") for r in p["metadata"].get("ownerReferences")
                                                or [])]
        listed = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in unmanaged)
        if unmanaged and not force:
            fail(f"error: unable to drain node \"{node}\" due to error: cannot delete Pods that declare no "
                 f"controller (use --force to override): {listed}")
        if unmanaged:
            click.echo(f"Warning: deleting Pods that declare no controller: {listed}")
        pods_info = api.resource_by_name("pods")
        for pod in pods:
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            click.echo(f"evicting pod {ns}/{name}")
            try:
                await client.delete("pods", name, ns, grace_period_seconds=None if grace_period < 0 else grace_period)
            except NotFound:
                pass  # gone already, as kubectl takes it

        async def evicted(pod: Obj) -> None:
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            if not await wait_deleted(client, pods_info, name, ns, limit):
                fail(f"error: unable to drain node \"{node}\": timed out waiting for pod {ns}/{name} to go")
            click.echo(f"pod/{name} evicted")
        await asyncio.gather(*(evicted(p) for p in pods))
        click.echo(f"node/{node} drained")
    run_api(ctx, body)


def _condition_met(obj: Obj, condition: str, want: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type", "").lower() == condition.lower() and c.get("status", "").lower() == want.lower()
               for c in conditions)


@main.command()
@click.argument("targets", nargs=-1)
@click.option("--for", "for_", required=True, help="condition=NAME[=value] or delete.")
@click.option("--timeout", default="30s", show_default=True, help="How long to wait.")
@click.option("-l", "--selector", default="", help="Wait for every object matching this label selector.")
@click.option("--all", "all_", is_flag=True, help="Wait for every object of the resource type.")
@namespace_option
@click.pass_context
def wait(ctx: click.Context, targets: tuple[str, ...], for_: str, timeout: str, selector: str, all_: bool) -> None:
    """Wait until objects meet a condition (or are deleted): pod/web --for=condition=Ready."""
    limit = parse_duration(timeout)
    if for_ == "delete":
        condition, want = "", ""
    elif for_.startswith("condition="):
        condition, _, want = for_[len("condition="):].partition("=")
        want = want or "True"
    else:
        fail(f'error: unrecognized condition: "{for_}"')
    if not targets:
        fail("error: resource(s) were provided, but no name was specified")
    pairs: list[tuple[str, str]] = []
    resource = ""
    for target in targets:
        kind, slash, name = target.partition("/")
        if slash:
            pairs.append((kind, name))
        elif not resource:
            resource = kind
        else:
            pairs.append((resource, kind))
    if resource and not pairs and not (selector or all_):
        fail("error: resource(s) were provided, but no name was specified")

    async def body(client: ApiClient, namespace: str) -> None:
        todo = list(pairs)
        if resource and (selector or all_):
            info = api.resource_by_name(resource)
            listed = await client.list(info.resource, namespace, label_selector=selector)
            todo += [(info.resource, o["metadata"]["name"]) for o in listed["items"]]
            if not todo:
                fail("error: no matching resources found")

        async def one(res: str, name: str) -> None:
            info = api.resource_by_name(res)
            label = f"{qualified(info)}/{name}"
            if not condition:
                if not await wait_deleted(client, info, name, namespace, limit):
                    fail(f"error: timed out waiting for the condition on {info.resource}/{name}")
                click.echo(f"{label} condition met")
                return
            current = await client.get(info.resource, name, namespace)
            if not _condition_met(current, condition, want):
                async def met() -> None:
                    async for kind, obj in client.watch(
                            info.resource, namespace, field_selector=f"metadata.name={name}",
                            resource_version=current["metadata"]["resourceVersion"]):
                        if kind == "DELETED":
                            fail(f"error: {info.resource} \"{name}\" was deleted while waiting")
                        if _condition_met(obj, condition, want):
                            return
                try:
                    await asyncio.wait_for(met(), limit)
                except TimeoutError:
                    fail(f"error: timed out waiting for the condition on {info.resource}/{name}")
            click.echo(f"{label} condition met")
        await asyncio.gather(*(one(res, name) for res, name in todo))
    run_api(ctx, body)
