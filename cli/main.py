"""`kubelite`: kubectl habits against a kubelite cluster, plus `up`/`down`/`status`.

Every user mistake or server refusal ends in one line and a non-zero exit code,
worded as kubectl words it (`Error from server (NotFound): pods "x" not found`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from cli import localup
from kubelite import api, kubeconfig
from kubelite.client import ApiClient, Credentials
from kubelite.errors import NotFound, ServiceUnavailable, StatusError
from kubelite.merge_patch import merge_patch

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def namespace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl accepts -n after the verb too."""
    def store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.ensure_object(dict)["namespace"] = value
    return click.option("-n", "--namespace", expose_value=False, callback=store, default=None,
                        help="The namespace scope for this request.")(fn)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--kubeconfig", "kubeconfig_path", envvar=None, default=None, help="Path to the kubeconfig file.")
@click.option("--context", default=None, help="The kubeconfig context to use.")
@click.option("-n", "--namespace", default=None, help="The namespace scope for this request.")
@click.option("--server", "-s", default=None, help="The address of the API server.")
@click.option("--token", default=None, help="Bearer token for authentication.")
@click.option("--certificate-authority", default=None, help="Path to a cert file for the certificate authority.")
@click.option("--trace", is_flag=True, help="Show each request's journey through the API server (and, for a "
                                            "new pod, the scheduler and node agent).")
@click.pass_context
def main(ctx: click.Context, kubeconfig_path: str | None, context: str | None, namespace: str | None,
         server: str | None, token: str | None, certificate_authority: str | None, trace: bool) -> None:
    """kubelite controls a kubelite cluster (kubectl's verbs), and runs one locally (up/down/status)."""
    ctx.obj = {"kubeconfig": kubeconfig_path, "context": context, "namespace": namespace, "server": server,
               "token": token, "ca": certificate_authority, "trace": trace}


def connect(ctx: click.Context) -> tuple[Callable[[], ApiClient], str]:
    """A client factory (a gRPC channel must be made inside the running loop)
    and the namespace to use."""
    opts = ctx.obj
    try:
        conn = kubeconfig.resolve(kubeconfig.load(opts["kubeconfig"]), opts["context"])
        server, creds, namespace = conn.server, conn.credentials, conn.namespace
    except kubeconfig.KubeconfigError as err:
        if not opts["server"]:
            fail(f"error: {err}")
        server, creds, namespace = opts["server"], Credentials(), "default"
    if opts["server"]:
        server = opts["server"]
    if opts["token"] or opts["ca"]:
        ca = Path(opts["ca"]).read_bytes() if opts["ca"] else creds.ca_cert
        creds = Credentials(ca, None if opts["token"] else creds.client_cert,
                            None if opts["token"] else creds.client_key, opts["token"] or creds.token)
    ctx.obj["server_address"] = server
    return (lambda: ApiClient(server.split("://", 1)[-1], creds, timeout=15)), opts["namespace"] or namespace


def run_api(ctx: click.Context, body: Callable[[ApiClient, str], Awaitable[None]]) -> None:
    make_client, namespace = connect(ctx)

    async def go() -> None:
        async with make_client() as client:
            await body(client, namespace)
    try:
        asyncio.run(go())
    except ServiceUnavailable:
        fail(f"The connection to the server {ctx.obj.get('server_address', '')} was refused - did you specify "
             "the right host or port?")
    except StatusError as err:
        fail(f"Error from server ({err.reason}): {err.message}")
    except api.UnknownResource as err:
        fail(f"error: {err}")


def print_journey(client: ApiClient, what: str) -> None:
    """The last request's spans, as a timeline (the seed's picture, live)."""
    click.echo(f"  journey of {what}:", err=True)
    for span in client.last_trace:
        detail = f"  {span['detail']}" if span.get("detail") else ""
        click.echo(f"    {span['stage']:<17} {span['outcome']:<15} {span['durationMs']:>8.3f} ms{detail}", err=True)


async def follow_pod(client: ApiClient, namespace: str, name: str, timeout: float = 30.0) -> None:
    """After a pod is created: when the scheduler bound it (and why there) and
    when the node agent started it, from the pod's events as they arrive."""
    start = time.monotonic()
    seen: set[str] = set()

    async def watch() -> None:
        async for _kind, event in client.watch("events", namespace,
                                               field_selector=f"involvedObject.name={name}"):
            uid = event["metadata"].get("uid", "")
            if uid in seen:
                continue
            seen.add(uid)
            source = (event.get("source") or {}).get("component", "")
            click.echo(f"    +{time.monotonic() - start:6.2f}s {source:<18} {event.get('reason', '')}: "
                       f"{event.get('message', '')}", err=True)
            if event.get("reason") in ("Started", "Failed", "FailedScheduling"):
                return
    try:
        await asyncio.wait_for(watch(), timeout)
    except TimeoutError:
        click.echo(f"    (no start within {timeout:.0f}s)", err=True)


def age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    then = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - then).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    if seconds < 3600 * 3:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *rows])


def _pod_row(pod: Obj, wide: bool) -> list[str]:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    containers = pod.get("spec", {}).get("containers") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    reason = pod.get("status", {}).get("phase", "Pending")
    for s in statuses:
        waiting = (s.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    row = [pod["metadata"]["name"], f"{ready}/{len(containers)}", reason, str(restarts),
           age(pod["metadata"].get("creationTimestamp"))]
    if wide:
        row += [pod.get("status", {}).get("podIP") or "<none>", pod.get("spec", {}).get("nodeName") or "<none>"]
    return row


def _node_row(node: Obj, wide: bool) -> list[str]:
    ready = next((c for c in node.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    status = "Ready" if ready.get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    version = (node.get("status", {}).get("nodeInfo") or {}).get("kubeletVersion", "")
    row = [node["metadata"]["name"], status, "<none>", age(node["metadata"].get("creationTimestamp")), version]
    if wide:
        addresses = node.get("status", {}).get("addresses") or []
        row.append(next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "<none>"))
    return row


def render(info: api.ResourceInfo, items: list[Obj], output: str | None, namespace: str, all_ns: bool) -> str:
    if output in ("json", "yaml"):
        doc: Any = items[0] if len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items}
        return json.dumps(doc, indent=4) if output == "json" else yaml.safe_dump(doc, sort_keys=False).rstrip()
    if output == "name":
        return "\n".join(f"{info.singular}/{o['metadata']['name']}" for o in items)
    wide = output == "wide"
    if info.resource == "pods":
        header, rows = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], [_pod_row(p, wide) for p in items]
        if wide:
            header += ["IP", "NODE"]
    elif info.resource == "nodes":
        header, rows = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], [_node_row(n, wide) for n in items]
        if wide:
            header.append("INTERNAL-IP")
    elif info.resource == "namespaces":
        header = ["NAME", "STATUS", "AGE"]
        rows = [[n["metadata"]["name"], n.get("status", {}).get("phase", "Active"),
                 age(n["metadata"].get("creationTimestamp"))] for n in items]
    else:
        header = ["NAME", "AGE"]
        rows = [[o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))] for o in items]
    if all_ns and info.namespaced:
        header = ["NAMESPACE", *header]
        rows = [[o["metadata"].get("namespace", ""), *r] for o, r in zip(items, rows, strict=True)]
    return table(rows, header)


@main.command()
@click.argument("resource")
@click.argument("names", nargs=-1)
@click.option("-o", "--output", type=click.Choice(["wide", "json", "yaml", "name"]), default=None)
@click.option("-l", "--selector", default="", help="Label selector.")
@click.option("-A", "--all-namespaces", is_flag=True)
@namespace_option
@click.pass_context
def get(ctx: click.Context, resource: str, names: tuple[str, ...], output: str | None, selector: str,
        all_namespaces: bool) -> None:
    """Display one or many resources."""
    async def body(client: ApiClient, namespace: str) -> None:
        info = api.resource_by_name(resource)
        ns = "" if all_namespaces else namespace
        if names:
            items = [await client.get(info.resource, n, ns) for n in names]
        else:
            items = (await client.list(info.resource, ns, label_selector=selector))["items"]
        if not items:
            where = f" in {namespace} namespace" if info.namespaced and not all_namespaces else ""
            click.echo(f"No resources found{where}.", err=True)
            return
        click.echo(render(info, items, output, namespace, all_namespaces))
        if ctx.obj.get("trace"):
            print_journey(client, f"get {info.resource}")
    run_api(ctx, body)


def read_manifests(filenames: tuple[str, ...]) -> list[tuple[str, Obj]]:
    docs: list[tuple[str, Obj]] = []
    files: list[Path | None] = []
    for name in filenames:
        if name == "-":
            files.append(None)
            continue
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        elif path.exists():
            files.append(path)
        else:
            fail(f'error: the path "{name}" does not exist')
    for path in files:
        text = sys.stdin.read() if path is None else path.read_text()
        label = "STDIN" if path is None else str(path)
        try:
            for doc in yaml.safe_load_all(text):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    fail(f"error: error validating \"{label}\": a manifest must be a mapping, got "
                         f"{type(doc).__name__}")
                docs.append((label, doc))
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            fail(f"error: error parsing {label}: {where}{err.problem}")
    return docs


def _info_for(label: str, doc: Obj) -> api.ResourceInfo:
    info = api.resource_for_kind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
    if info is None:
        name = (doc.get("metadata") or {}).get("name", "")
        why = api.UnknownKind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
        fail(f'error: resource mapping not found for name: "{name}" namespace: "" from "{label}": {why}')
    return info


@main.command()
@click.option("-f", "--filename", "filenames", multiple=True, required=True, help="File, directory or - .")
@namespace_option
@click.pass_context
def apply(ctx: click.Context, filenames: tuple[str, ...]) -> None:
    """Apply a configuration to a resource by file name or stdin (create or update)."""
    docs = read_manifests(filenames)

    async def body(client: ApiClient, namespace: str) -> None:
        for label, doc in docs:
            info = _info_for(label, doc)
            name = (doc.get("metadata") or {}).get("name", "")
            ns = (doc.get("metadata") or {}).get("namespace") or namespace
            desired = {k: v for k, v in doc.items() if k != "status"}
            applied = json.dumps(desired, sort_keys=True, separators=(",", ":"))
            annotated = merge_patch(desired, {"metadata": {"annotations": {LAST_APPLIED: applied}}})
            try:
                current = await client.get(info.resource, name, ns)
            except NotFound:
                await client.create(info.resource, annotated, ns)
                click.echo(f"{info.singular}/{name} created")
                if ctx.obj.get("trace"):
                    print_journey(client, f"create {info.singular}/{name}")
                    if info.resource == "pods":
                        await follow_pod(client, ns, name)
                continue
            # like kubectl: compare with what was applied last, not with the
            # server's object (which carries defaults and status)
            if (current["metadata"].get("annotations") or {}).get(LAST_APPLIED) == applied:
                click.echo(f"{info.singular}/{name} unchanged")
                continue
            await client.patch(info.resource, name, annotated, ns)
            click.echo(f"{info.singular}/{name} configured")
            if ctx.obj.get("trace"):
                print_journey(client, f"patch {info.singular}/{name}")
    run_api(ctx, body)


@main.command()
@click.argument("resource", required=False)
@click.argument("names", nargs=-1)
@click.option("-f", "--filename", "filenames", multiple=True)
@click.option("--grace-period", type=int, default=None)
@namespace_option
@click.pass_context
def delete(ctx: click.Context, resource: str | None, names: tuple[str, ...], filenames: tuple[str, ...],
           grace_period: int | None) -> None:
    """Delete resources by file names or by resource and names."""
    targets: list[tuple[str, str, str | None]] = []
    for label, doc in read_manifests(filenames) if filenames else []:
        info = _info_for(label, doc)
        targets.append((info.resource, doc["metadata"]["name"], (doc.get("metadata") or {}).get("namespace")))
    if resource:
        if not names:
            fail("error: resource(s) were provided, but no name was specified")
        targets += [(resource, n, None) for n in names]
    if not targets:
        fail("error: You must provide one or more resources by argument or filename.")

    async def body(client: ApiClient, namespace: str) -> None:
        for res, name, ns in targets:
            info = api.resource_by_name(res)
            await client.delete(info.resource, name, ns or namespace, grace_period_seconds=grace_period)
            click.echo(f'{info.singular} "{name}" deleted')
            if ctx.obj.get("trace"):
                print_journey(client, f"delete {info.singular}/{name}")
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


def _set_unschedulable(ctx: click.Context, node: str, value: bool) -> None:
    async def body(client: ApiClient, namespace: str) -> None:
        current = await client.get("nodes", node)
        if bool((current.get("spec") or {}).get("unschedulable")) == value:
            click.echo(f"node/{node} already {'cordoned' if value else 'uncordoned'}")
            return
        await client.patch("nodes", node, {"spec": {"unschedulable": value}})
        click.echo(f"node/{node} {'cordoned' if value else 'uncordoned'}")
    run_api(ctx, body)


@main.command()
@click.argument("node")
@click.pass_context
def cordon(ctx: click.Context, node: str) -> None:
    """Mark node as unschedulable."""
    _set_unschedulable(ctx, node, True)


@main.command()
@click.argument("node")
@click.pass_context
def uncordon(ctx: click.Context, node: str) -> None:
    """Mark node as schedulable."""
    _set_unschedulable(ctx, node, False)


@main.command("trace")
@click.argument("target")
@namespace_option
@click.pass_context
def trace_pod(ctx: click.Context, target: str) -> None:
    """Show how an existing pod got where it is, from its events (pod/NAME)."""
    kind, _, name = target.partition("/")
    if not name or api.resource_by_name(kind).resource != "pods":
        fail("error: trace takes pod/NAME")

    async def body(client: ApiClient, namespace: str) -> None:
        pod = await client.get("pods", name, namespace)
        click.echo(f"pod/{name}: created {pod['metadata'].get('creationTimestamp')}, "
                   f"node {pod['spec'].get('nodeName') or '<none>'}, phase {pod['status'].get('phase')}")
        events = (await client.list("events", namespace, field_selector=f"involvedObject.name={name}"))["items"]
        for event in sorted(events, key=lambda e: e.get("firstTimestamp") or ""):
            source = (event.get("source") or {}).get("component", "")
            click.echo(f"  {event.get('firstTimestamp', '')}  {source:<18} {event.get('reason', '')}: "
                       f"{event.get('message', '')}")
    run_api(ctx, body)


@main.command("api-resources")
def api_resources() -> None:
    """Print the supported API resources."""
    rows = [[r.resource, ",".join(r.short_names), r.api_version, str(r.namespaced).lower(), r.kind]
            for r in api.ALL_RESOURCES]
    click.echo(table(rows, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]))


@main.command()
@click.pass_context
def version(ctx: click.Context) -> None:
    """Print the client version (and the server's, when reachable)."""
    click.echo("Client Version: v1.30.0-kubelite")


@main.command("cluster-info")
@click.pass_context
def cluster_info(ctx: click.Context) -> None:
    """Display the address of the control plane."""
    async def body(client: ApiClient, namespace: str) -> None:
        await client.list("namespaces", limit=1)
        click.echo(f"Kubernetes control plane is running at {ctx.obj['server_address']}")
    run_api(ctx, body)


@main.group()
def create() -> None:
    """Create a resource."""


@create.command("namespace")
@click.argument("name")
@click.pass_context
def create_namespace(ctx: click.Context, name: str) -> None:
    """Create a namespace with the specified name."""
    async def body(client: ApiClient, namespace: str) -> None:
        await client.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        click.echo(f"namespace/{name} created")
    run_api(ctx, body)


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
                       "running" if r["alive"] else "stopped"] for r in rows],
                     ["NAME", "COMPONENT", "PID", "ADDRESS", "STATE"]))


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


if __name__ == "__main__":
    main()
