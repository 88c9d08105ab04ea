"""`kubelite label` and `kubelite annotate`: set (`key=value`) or remove (`key-`)
labels and annotations on objects named, selected with -l, or --all; an existing
key keeps its value unless --overwrite, as kubectl."""

from __future__ import annotations

from typing import Any

import click

from cli.base import ApiClient, fail, main, named_or_selected, namespace_option, run_api
from cli.output import qualified
from kubelite import api

Obj = dict[str, Any]


def parse_changes(args: list[str], what: str) -> tuple[dict[str, str], list[str]]:
    """`a=1 b-` into ({"a": "1"}, ["b"]); kubectl's error for anything else."""
    sets: dict[str, str] = {}
    removals: list[str] = []
    for arg in args:
        if "=" in arg:
            key, _, value = arg.partition("=")
            if not key:
                fail(f"error: invalid {what} spec: {arg}")
            sets[key] = value
        elif arg.endswith("-") and len(arg) > 1:
            removals.append(arg[:-1])
        else:
            fail(f"error: invalid {what} spec: {arg}")
    both = sorted(set(sets) & set(removals))
    if both:
        fail(f"error: can not both modify and remove the following {what}(s) in the same command: "
             f"{', '.join(both)}")
    return sets, removals


def split_targets(resource: str, rest: tuple[str, ...]) -> tuple[str, list[str], list[str]]:
    """kubectl's argument order: TYPE NAME... KEY=VAL... or TYPE/NAME KEY=VAL..."""
    names: list[str] = []
    if "/" in resource:
        resource, _, name = resource.partition("/")
        names.append(name)
    args = list(rest)
    while args and "=" not in args[0] and not args[0].endswith("-"):
        names.append(args.pop(0))
    return resource, names, args


def _metadata_command(verb: str, field: str, what: str, done: str, undone: str) -> None:
    """`done`/`undone`: kubectl's past tense for a change, and for removals only."""

    @main.command(verb, help=f"Update the {field} of objects: {verb} pod web key=value, key- removes.")
    @click.argument("resource")
    @click.argument("args", nargs=-1)
    @click.option("--overwrite", is_flag=True, help=f"Replace a {what} that already has a value.")
    @click.option("-l", "--selector", default="", help="Only the objects matching this label selector.")
    @click.option("--all", "all_", is_flag=True, help="Every object of the type in the namespace.")
    @click.option("--list", "list_", is_flag=True, help=f"Print the object's {field} instead.")
    @namespace_option
    @click.pass_context
    def command(ctx: click.Context, resource: str, args: tuple[str, ...], overwrite: bool, selector: str,
                all_: bool, list_: bool) -> None:
        kind, names, specs = split_targets(resource, args)
        sets, removals = parse_changes(specs, what)
        if not names and not selector and not all_:
            fail("error: resource(s) were provided, but no name was specified")
        if not (sets or removals) and not list_:
            fail(f"error: at least one {what} update is required")

        async def body(client: ApiClient, namespace: str) -> None:
            info = api.resource_by_name(kind)
            for obj in await named_or_selected(client, info, names, namespace, selector):
                meta = obj["metadata"]
                current: dict[str, str] = meta.get(field) or {}
                label = f"{qualified(info)}/{meta['name']}"
                if list_:
                    for key, value in sorted(current.items()):
                        click.echo(f"{key}={value}")
                    continue
                for key, value in sets.items():
                    if key in current and current[key] != value and not overwrite:
                        fail(f"error: '{key}' already has a value ({current[key]}), and --overwrite is false")
                change: dict[str, str | None] = {k: v for k, v in sets.items() if current.get(k) != v}
                change.update({k: None for k in removals if k in current})
                if not change:
                    click.echo(f"{label} not {done}")
                    continue
                await client.patch(info.resource, meta["name"], {"metadata": {field: change}},
                                   meta.get("namespace", "") if info.namespaced else "")
                removed_only = all(v is None for v in change.values())
                click.echo(f"{label} {undone if removed_only else done}")
        run_api(ctx, body)


_metadata_command("label", "labels", "label", "labeled", "unlabeled")
_metadata_command("annotate", "annotations", "annotation", "annotated", "annotated")
