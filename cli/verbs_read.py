"""The verbs that look: get (tables, -o incl. custom-columns, -l, -A, -w, --show-labels, --sort-by,
--no-headers, `get all`), describe, logs, trace, api-resources, version and cluster-info."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import yaml

from cli import jsonpath
from cli.base import ApiClient, fail, main, named_or_selected, namespace_option, print_journey, run_api
from cli.describe import describe as describe_text
from cli.describe import event_order
from cli.output import (
    CUSTOM_COLUMNS,
    column_widths,
    custom_columns,
    format_row,
    qualified,
    render,
    rows_for,
    sort_items,
    table,
)
from kubelite import api
from kubelite.errors import StatusError
from kubelite.version import GIT_VERSION

Obj = dict[str, Any]


def output_option(fn: click.decorators.FC) -> click.decorators.FC:
    def check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is None or value in ("wide", "json", "yaml", "name"):
            return value
        if value.startswith("jsonpath="):
            try:
                jsonpath.parse(value[len("jsonpath="):])
            except jsonpath.JSONPathError as err:
                fail(f"error: error parsing jsonpath {value[9:]}, {err}")
            return value
        if value.startswith(CUSTOM_COLUMNS):
            try:
                custom_columns(value[len(CUSTOM_COLUMNS):])
            except jsonpath.JSONPathError as err:
                fail(f"error: {err}")
            return value
        fail(f'error: unable to match a printer suitable for the output format "{value}", allowed formats are: '
             "custom-columns,json,jsonpath,name,wide,yaml")
    return click.option("-o", "--output", default=None, callback=check,
                        help="wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=HEADER:FIELD,...")(fn)


def sort_by_option(fn: click.decorators.FC) -> click.decorators.FC:
    def check(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        if value:
            try:
                jsonpath.field_path(value)
            except jsonpath.JSONPathError as err:
                fail(f"error: error parsing jsonpath {value}, {err}")
        return value
    return click.option("--sort-by", default="", callback=check,
                        help="Sort list output by this field ({.metadata.name}, .status.phase).")(fn)


@main.command()
@click.argument("resource")
@click.argument("names", nargs=-1)
@output_option
@click.option("-l", "--selector", default="", help="Label selector (app=web, tier in (a,b), !legacy).")
@click.option("--field-selector", default="", help="Field selector (spec.nodeName=node-1).")
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("-w", "--watch", is_flag=True, help="After listing, watch for changes.")
@click.option("--show-labels", is_flag=True, help="Show all labels as the last column.")
@click.option("--no-headers", is_flag=True,
              help="When using the default or custom-column output format, don't print headers.")
@sort_by_option
@namespace_option
@click.pass_context
def get(ctx: click.Context, resource: str, names: tuple[str, ...], output: str | None, selector: str,
        field_selector: str, all_namespaces: bool, watch: bool, show_labels: bool, no_headers: bool,
        sort_by: str) -> None:
    """Display one or many resources (several types: get pods,nodes; every workload: get all)."""
    asked, resource = resource, expand_categories(resource)
    if "," in resource:
        if watch and asked != resource:
            fail("error: watch is only supported on individual resources and resource collections, but "
                 f"{len(resource.split(','))} resources were found")
        if names or watch or "/" in resource:
            fail("error: several resource types (pods,nodes) take no names and no --watch")
        _get_types(ctx, [r for r in resource.split(",") if r], output, selector, field_selector, all_namespaces,
                   show_labels, sort_by, no_headers)
        return
    if "/" in resource and not names:
        resource, _, name = resource.partition("/")
        names = (name,)

    async def body(client: ApiClient, namespace: str) -> None:
        info = api.resource_by_name(resource)
        ns = "" if all_namespaces else namespace
        revision = ""
        widths: list[int] = []
        if names:
            items = [await client.get(info.resource, n, ns) for n in names]
        else:
            listed = await client.list(info.resource, ns, label_selector=selector, field_selector=field_selector)
            items, revision = listed["items"], listed["metadata"].get("resourceVersion", "")
        items = _sorted(items, sort_by)
        if items:
            # kubectl ends a JSONPath result with no newline of its own
            click.echo(render(info, items, output, all_namespaces, single=len(names) == 1, show_labels=show_labels,
                              no_headers=no_headers), nl=not (output or "").startswith("jsonpath="))
            header, rows = rows_for(info, items, output, all_namespaces, show_labels)
            widths = table_widths(rows, header, no_headers)
        elif not watch and output in ("json", "yaml"):
            click.echo(render(info, [], output, all_namespaces))  # kubectl: an empty List, nothing on stderr
        elif not watch:
            where = f" in {namespace} namespace" if info.namespaced and not all_namespaces else ""
            click.echo(f"No resources found{where}.", err=True)
        if ctx.obj.get("trace"):
            print_journey(client, f"get {info.resource}")
        if watch:
            fields = field_selector
            if len(names) == 1:
                fields = ",".join(f for f in (field_selector, f"metadata.name={names[0]}") if f)
            async for _type, obj in client.watch(info.resource, ns, label_selector=selector, field_selector=fields,
                                                 resource_version=revision):
                if names and obj["metadata"]["name"] not in names:
                    continue
                if output in ("json", "yaml") or (output or "").startswith("jsonpath="):
                    click.echo(render(info, [obj], output, all_namespaces, single=True))
                elif output == "name":
                    click.echo(f"{qualified(info)}/{obj['metadata']['name']}")
                else:
                    line, widths = watch_row(info, obj, output, all_namespaces, show_labels, no_headers, widths)
                    click.echo(line)
    run_api(ctx, body)


def expand_categories(resource: str) -> str:
    """`all` (kubectl's category of workloads) in a list of types, as the kinds
    in it, ordered as kubectl's discovery orders them: the core group first,
    then by group, then by resource name (pods, deployments.apps, replicasets.apps, cronjobs.batch, jobs.batch)."""
    types = resource.split(",")
    if "all" not in types:
        return resource
    kinds = sorted(api.in_category("all"), key=lambda k: (k.group != "", k.group, k.resource))
    expanded: list[str] = []
    for name in types:
        for one in ([k.resource if not k.group else f"{k.resource}.{k.group}" for k in kinds] if name == "all"
                    else [name]):
            if one not in expanded:
                expanded.append(one)
    return ",".join(expanded)


def table_widths(rows: list[list[str]], header: list[str], no_headers: bool) -> list[int]:
    """The column widths of a printed table: the header's counts unless it was left out."""
    return column_widths(rows, ["" for _ in header] if no_headers else header)


def watch_row(info: api.ResourceInfo, obj: Obj, output: str | None, all_ns: bool, show_labels: bool,
              no_headers: bool, widths: list[int]) -> tuple[str, list[int]]:
    """The line `get -w` prints for a changed object in table form, aligned with
    the table above (`widths`, empty if none; columns only widen), and the
    widths for the next line."""
    header, rows = rows_for(info, [obj], output, all_ns, show_labels)
    widths = [max(w, len(c)) for w, c in zip(widths or table_widths(rows, header, no_headers), rows[0], strict=True)]
    return format_row(rows[0], widths), widths


def _sorted(items: list[Obj], sort_by: str) -> list[Obj]:
    if not sort_by:
        return items
    try:
        return sort_items(items, sort_by)
    except jsonpath.JSONPathError as err:
        fail(f"error: {err}")


def _get_types(ctx: click.Context, resources: list[str], output: str | None, selector: str, field_selector: str,
               all_namespaces: bool, show_labels: bool, sort_by: str, no_headers: bool) -> None:
    """`get pods,nodes`: a table per type with kind-qualified names, as kubectl."""
    async def body(client: ApiClient, namespace: str) -> None:
        found: list[tuple[api.ResourceInfo, list[Obj]]] = []
        for resource in resources:
            info = api.resource_by_name(resource)
            listed = await client.list(info.resource, "" if all_namespaces else namespace, label_selector=selector,
                                       field_selector=field_selector)
            items = _sorted(listed["items"], sort_by)
            if items:
                found.append((info, items))
        if not found:
            click.echo(f"No resources found in {namespace} namespace.", err=True)
            return
        if output and output not in ("wide",) and not output.startswith(CUSTOM_COLUMNS):
            everything = [item for _, items in found for item in items]
            if output == "name":
                click.echo("\n".join(f"{qualified(info)}/{o['metadata']['name']}" for info, items in found
                                     for o in items))
            else:
                click.echo(render(found[0][0], everything, output, all_namespaces),
                           nl=not output.startswith("jsonpath="))
            return
        click.echo(types_tables(found, output, all_namespaces, show_labels, no_headers))
    run_api(ctx, body)


def types_tables(found: list[tuple[api.ResourceInfo, list[Obj]]], output: str | None, all_ns: bool,
                 show_labels: bool, no_headers: bool) -> str:
    """`get pods,nodes` in table form: a table per type, names kind-qualified
    (pod/web) unless the columns are custom; `no_headers` leaves out each header."""
    tables = []
    for info, items in found:
        header, rows = rows_for(info, items, output, all_ns, show_labels)
        at = 1 if all_ns and info.namespaced else 0
        if not (output or "").startswith(CUSTOM_COLUMNS):
            rows = [[*row[:at], f"{qualified(info)}/{row[at]}", *row[at + 1:]] for row in rows]
        tables.append(table(rows, header, no_headers))
    return "\n\n".join(tables)


@main.command()
@click.argument("resource")
@click.argument("names", nargs=-1)
@click.option("-l", "--selector", default="", help="Label selector.")
@namespace_option
@click.pass_context
def describe(ctx: click.Context, resource: str, names: tuple[str, ...], selector: str) -> None:
    """Show details of a resource, with the events recorded about it."""
    if "/" in resource and not names:
        resource, _, name = resource.partition("/")
        names = (name,)

    async def body(client: ApiClient, namespace: str) -> None:
        info = api.resource_by_name(resource)
        objects = await named_or_selected(client, info, names, namespace, selector)
        if not objects:
            click.echo(f"No resources found in {namespace} namespace." if info.namespaced
                       else "No resources found", err=True)
            return
        texts = []
        for obj in objects:
            meta = obj["metadata"]
            # Kubernetes records events about cluster-scoped objects in "default"
            events_ns = meta.get("namespace") or "default"
            selector_fields = f"involvedObject.name={meta['name']},involvedObject.kind={obj.get('kind', info.kind)}"
            try:
                events = (await client.list("events", events_ns, field_selector=selector_fields))["items"]
            except StatusError:
                events = []  # a user who may not read events still gets the object
            pods = None
            if info.resource == "nodes":
                pods = (await client.list("pods", "", field_selector=f"spec.nodeName={meta['name']}"))["items"]
            texts.append(describe_text(info.resource, obj, events, info.namespaced, pods))
        click.echo("\n\n\n".join(texts))
    run_api(ctx, body)


@main.command()
@click.argument("pod")
@click.option("-c", "--container", default="")
@click.option("-f", "--follow", is_flag=True)
@click.option("--tail", type=int, default=-1, help="Lines of recent log to show; -1 shows all.")
@click.option("-p", "--previous", is_flag=True)
@namespace_option
@click.pass_context
def logs(ctx: click.Context, pod: str, container: str, follow: bool, tail: int, previous: bool) -> None:
    """Print the logs for a container in a pod."""
    name = pod.split("/", 1)[1] if pod.startswith(("pod/", "pods/", "po/")) else pod

    async def body(client: ApiClient, namespace: str) -> None:
        async for chunk in client.pod_log(namespace, name, container, follow, tail if tail >= 0 else None,
                                          previous):
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    run_api(ctx, body)


@main.command("trace")
@click.argument("target")
@click.argument("audit_id", required=False)
@namespace_option
@click.pass_context
def trace_pod(ctx: click.Context, target: str, audit_id: str | None) -> None:
    """Show how an existing pod got where it is, from its events (pod/NAME),
    or the journey of a recent request by its Audit-Id (request AUDIT-ID),
    whichever client made it (real kubectl included)."""
    if target == "request":
        if not audit_id:
            fail("error: trace request takes the Audit-Id of a response")
        trace_request(ctx, audit_id)
        return
    kind, _, name = target.partition("/")
    if not name or kind.lower() not in ("pod", "pods", "po") or audit_id:
        fail("error: trace takes pod/NAME or request AUDIT-ID")

    async def body(client: ApiClient, namespace: str) -> None:
        pod = await client.get("pods", name, namespace)
        click.echo(f"pod/{name}: created {pod['metadata'].get('creationTimestamp')}, "
                   f"node {pod['spec'].get('nodeName') or '<none>'}, phase {pod['status'].get('phase')}")
        events = (await client.list("events", namespace, field_selector=f"involvedObject.name={name}"))["items"]
        for event in sorted(events, key=event_order):
            source = (event.get("source") or {}).get("component", "")
            click.echo(f"  {event.get('firstTimestamp', '')}  {source:<18} {event.get('reason', '')}: "
                       f"{event.get('message', '')}")
    run_api(ctx, body)


def trace_request(ctx: click.Context, audit_id: str) -> None:
    async def body(client: ApiClient, namespace: str) -> None:
        kept = await client.journey(audit_id)
        click.echo(f'request {kept["auditID"]}: {kept["method"]} {kept["path"]} by user "{kept["user"]}" '
                   f'at {kept["time"]}')
        for span in kept["spans"]:
            detail = f"  {span['detail']}" if span.get("detail") else ""
            click.echo(f"  {span['stage']:<17} {span['outcome']:<15} {span['durationMs']:>8.3f} ms{detail}")
    run_api(ctx, body)


@main.command("api-resources")
def api_resources() -> None:
    """Print the supported API resources."""
    rows = [[r.resource, ",".join(r.short_names), r.api_version, str(r.namespaced).lower(), r.kind]
            for r in api.ALL_RESOURCES]
    click.echo(table(rows, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]))


def _dump(doc: dict[str, object], output: str) -> str:
    return json.dumps(doc, indent=2) if output == "json" else yaml.safe_dump(doc, sort_keys=False).rstrip()


@main.command()
@click.option("--client", "client_only", is_flag=True, help="Only the client version; do not ask the server.")
@click.option("-o", "--output", type=click.Choice(["json", "yaml"]), default=None)
@click.pass_context
def version(ctx: click.Context, client_only: bool, output: str | None) -> None:
    """Print the client and server version."""
    client_info = {"gitVersion": GIT_VERSION}
    if client_only:
        click.echo(_dump({"clientVersion": client_info}, output) if output else f"Client Version: {GIT_VERSION}")
        return

    async def body(client: ApiClient, namespace: str) -> None:
        if not output:
            click.echo(f"Client Version: {GIT_VERSION}")
        server = await client.server_version()
        if output:
            click.echo(_dump({"clientVersion": client_info, "serverVersion": server}, output))
        else:
            click.echo(f"Server Version: {server['gitVersion']}")
    run_api(ctx, body)


@main.command("cluster-info")
@click.pass_context
def cluster_info(ctx: click.Context) -> None:
    """Display the address of the control plane."""
    async def body(client: ApiClient, namespace: str) -> None:
        await client.server_version()
        click.echo(f"Kubernetes control plane is running at {ctx.obj['server_address']}")
    run_api(ctx, body)
