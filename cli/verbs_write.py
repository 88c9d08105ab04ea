"""The verbs that change the cluster: apply (create or update, remembering what
was applied), create (-f, namespace, role, rolebinding, clusterrole,
clusterrolebinding), run (one pod, one container), patch (strategic, merge or
JSON patch), all with --dry-run=client|server and -o, and delete
(names, -f, -l, --all, --grace-period, --wait, --cascade). The workload
creators (create deployment, job, ...) are in cli/verbs_workloads.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

from cli.base import ApiClient, fail, follow_pod, main, namespace_option, parse_duration, print_journey, run_api
from cli.manifests import LAST_APPLIED, info_for, read_manifests
from cli.output import dump, qualified
from kubelite import api, yamlload
from kubelite.client import PATCH_TYPES
from kubelite.errors import NotFound
from kubelite.merge_patch import merge_patch

Obj = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"
DRY_RUN_SUFFIX = {"none": "", "client": " (dry run)", "server": " (server dry run)"}


def write_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl's --dry-run=none|client|server (bare --dry-run: client) and
    -o json|yaml|name for the verbs that create or change objects."""
    fn = click.option("-o", "--output", type=click.Choice(["json", "yaml", "name"]), default=None,
                      help="Print the object (json, yaml) or its name instead of the result line.")(fn)
    return click.option("--dry-run", "dry_run", type=click.Choice(["none", "client", "server"]), default="none",
                        is_flag=False, flag_value="client",
                        help="client: only print what would be sent; server: the server admits and validates "
                             "it, stores nothing.")(fn)


def report(info: api.ResourceInfo, obj: Obj, outcome: str, dry_run: str, output: str | None) -> None:
    """One object's result, as kubectl prints it: `pod/web created (dry run)`, or the object."""
    name = (obj.get("metadata") or {}).get("name", "")
    if output == "name":
        click.echo(f"{qualified(info)}/{name}")
    elif output in ("json", "yaml"):
        click.echo(dump(obj, output))
    else:
        click.echo(f"{qualified(info)}/{name} {outcome}{DRY_RUN_SUFFIX[dry_run]}")


@main.command()
@click.option("-f", "--filename", "filenames", multiple=True, required=True, help="File, directory or - .")
@write_options
@namespace_option
@click.pass_context
def apply(ctx: click.Context, filenames: tuple[str, ...], dry_run: str, output: str | None) -> None:
    """Apply a configuration to a resource by file name or stdin (create or update)."""
    docs = read_manifests(filenames)
    trace = bool(ctx.obj.get("trace")) and dry_run != "client"

    async def body(client: ApiClient, namespace: str) -> None:
        for label, doc in docs:
            info = info_for(label, doc)
            name = (doc.get("metadata") or {}).get("name", "")
            ns = (doc.get("metadata") or {}).get("namespace") or namespace
            desired = {k: v for k, v in doc.items() if k != "status"}
            applied = json.dumps(desired, sort_keys=True, separators=(",", ":"))
            annotated = merge_patch(desired, {"metadata": {"annotations": {LAST_APPLIED: applied}}})
            try:
                current = await client.get(info.resource, name, ns)
            except NotFound:
                created = (annotated if dry_run == "client" else
                           await client.create(info.resource, annotated, ns, dry_run=dry_run == "server"))
                report(info, created, "created", dry_run, output)
                if trace:
                    print_journey(client, f"create {info.singular}/{name}")
                    if info.resource == "pods" and dry_run == "none":
                        await follow_pod(client, ns, name, created["metadata"].get("resourceVersion", ""))
                continue
            # like kubectl: compare with what was applied last, not with the
            # server's object (which carries defaults and status)
            if (current["metadata"].get("annotations") or {}).get(LAST_APPLIED) == applied:
                report(info, current, "unchanged", dry_run, output)
                continue
            patched = (merge_patch(current, annotated) if dry_run == "client" else
                       await client.patch(info.resource, name, annotated, ns, dry_run=dry_run == "server"))
            report(info, patched, "configured", dry_run, output)
            if trace:
                print_journey(client, f"patch {info.singular}/{name}")
    run_api(ctx, body)


@main.group(invoke_without_command=True)
@click.option("-f", "--filename", "filenames", multiple=True, help="File, directory or - to create from.")
@write_options
@namespace_option
@click.pass_context
def create(ctx: click.Context, filenames: tuple[str, ...], dry_run: str, output: str | None) -> None:
    """Create a resource from a file or from stdin, or one of the kinds below."""
    if ctx.invoked_subcommand is not None:
        return
    if not filenames:
        fail("error: must specify one of -f and -k")
    docs = read_manifests(filenames)
    _create(ctx, [(info_for(label, doc), doc) for label, doc in docs], dry_run, output)


def _create(ctx: click.Context, objects: list[tuple[api.ResourceInfo, Obj]], dry_run: str,
            output: str | None) -> None:
    if dry_run == "client":  # nothing is sent: not even a server is needed
        for info, obj in objects:
            report(info, obj, "created", dry_run, output)
        return

    async def body(client: ApiClient, namespace: str) -> None:
        for info, obj in objects:
            ns = (obj.get("metadata") or {}).get("namespace") or namespace
            created = await client.create(info.resource, obj, ns if info.namespaced else "",
                                          dry_run=dry_run == "server")
            report(info, created, "created", dry_run, output)
            if ctx.obj.get("trace"):
                print_journey(client, f"create {info.singular}/{obj['metadata']['name']}")
    run_api(ctx, body)


def _create_one(ctx: click.Context, resource: str, obj: Obj, dry_run: str, output: str | None) -> None:
    info = api.resource_by_name(resource)
    if info.namespaced and ctx.obj.get("namespace"):
        obj["metadata"]["namespace"] = ctx.obj["namespace"]
    _create(ctx, [(info, obj)], dry_run, output)


@create.command("namespace")
@click.argument("name")
@write_options
@click.pass_context
def create_namespace(ctx: click.Context, name: str, dry_run: str, output: str | None) -> None:
    """Create a namespace with the specified name."""
    _create_one(ctx, "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                dry_run, output)


create.add_command(create_namespace, "ns")  # kubectl's alias


@main.command()
@click.argument("name")
@click.argument("arguments", nargs=-1)
@click.option("--image", required=True, help="The container image (recorded; the process runtime needs a command).")
@click.option("--labels", "-l", default="", help="Labels, a=b,c=d (default: run=NAME).")
@click.option("--env", multiple=True, help="NAME=VALUE for the container; repeatable.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="The port the container exposes.")
@click.option("--restart", type=click.Choice(["Always", "OnFailure", "Never"]), default="Always",
              show_default=True, help="The pod's restart policy.")
@click.option("--command", "as_command", is_flag=True,
              help="The arguments after -- are the command, not args to the image's entrypoint.")
@write_options
@namespace_option
@click.pass_context
def run(ctx: click.Context, name: str, arguments: tuple[str, ...], image: str, labels: str, env: tuple[str, ...],
        port: int | None, restart: str, as_command: bool, dry_run: str, output: str | None) -> None:
    """Create a pod running one container: run web --image=python:3.11 -- python3 -m http.server 8080."""
    pod_labels = {"run": name}
    if labels:
        pod_labels = {}
        for pair in labels.split(","):
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                fail(f"error: invalid label spec: {pair}")
            pod_labels[key.strip()] = value.strip()
    container: Obj = {"name": name, "image": image}
    if arguments:
        container["command" if as_command else "args"] = list(arguments)
    variables = []
    for pair in env:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"error: invalid env: {pair}")
        variables.append({"name": key, "value": value})
    if variables:
        container["env"] = variables
    if port is not None:
        container["ports"] = [{"containerPort": port}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": pod_labels},
           "spec": {"containers": [container], "restartPolicy": restart}}
    _create_one(ctx, "pods", pod, dry_run, output)


@main.command()
@click.argument("resource")
@click.argument("name", required=False, default="")
@click.option("-p", "--patch", "patch_text", default=None, help="The patch, JSON or YAML.")
@click.option("--patch-file", default=None, help="A file holding the patch.")
@click.option("--type", "patch_type", type=click.Choice(["strategic", "merge", "json"]), default="strategic",
              show_default=True, help="strategic merge patch, JSON merge patch (RFC 7386) or JSON patch (RFC 6902).")
@write_options
@namespace_option
@click.pass_context
def patch(ctx: click.Context, resource: str, name: str, patch_text: str | None, patch_file: str | None,
          patch_type: str, dry_run: str, output: str | None) -> None:
    """Update fields of a resource: patch node node-1 -p '{"spec":{"unschedulable":true}}'."""
    if "/" in resource and not name:
        resource, _, name = resource.partition("/")
    if not name:
        fail("error: patch needs a resource name (patch pod web -p ...)")
    if (patch_text is None) == (patch_file is None):
        fail("error: must specify exactly one of --patch or --patch-file containing the patch")
    if patch_file is not None:
        try:
            patch_text = Path(patch_file).read_text()
        except (OSError, UnicodeDecodeError) as err:
            fail(f"error: unable to read {patch_file}: {getattr(err, 'strerror', None) or err}")
    try:
        document = yamlload.load(patch_text or "", patch_file or "--patch")
    except yaml.YAMLError as err:
        fail(f"error: unable to parse \"{patch_text}\": {str(err).splitlines()[0]}")

    async def body(client: ApiClient, namespace: str) -> None:
        # the server applies the patch (kubectl --dry-run=client computes it locally; here the
        # server computes it in a dry run, so there is one implementation of every patch type)
        info = api.resource_by_name(resource)
        before = await client.get(info.resource, name, namespace)
        saved = await client.patch(info.resource, name, document, namespace, dry_run=dry_run != "none",
                                   patch_type=PATCH_TYPES[patch_type])
        unchanged = saved["metadata"].get("resourceVersion") == before["metadata"].get("resourceVersion") and (
            dry_run == "none" or _same_content(saved, before))
        report(info, saved, "patched (no change)" if unchanged else "patched", dry_run, output)
    run_api(ctx, body)


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
        return {**obj, "metadata": meta}
    return strip(a) == strip(b)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def policy_rules(verbs: tuple[str, ...], resources: tuple[str, ...], names: tuple[str, ...]) -> list[Obj]:
    """kubectl create role's rules: one rule per API group of the resources
    ("pods", "leases.coordination.k8s.io", "pods/log")."""
    verb_list = _split(verbs)
    if not verb_list:
        fail("error: at least one verb must be specified")
    by_group: dict[str, list[str]] = {}
    for resource in _split(resources):
        base, slash, sub = resource.partition("/")
        plural, _, group = base.partition(".")
        try:
            info = api.resource_by_name(base)
            plural, group = info.resource, info.group
        except api.UnknownResource:
            if plural != "*":
                fail(f'error: the server doesn\'t have a resource type "{base}"')
        by_group.setdefault(group, []).append(plural + slash + sub)
    if not by_group:
        fail("error: at least one resource must be specified")
    rules = []
    for group, plurals in by_group.items():
        rule: Obj = {"verbs": verb_list, "apiGroups": [group], "resources": plurals}
        if names:
            rule["resourceNames"] = _split(names)
        rules.append(rule)
    return rules


def _role_command(kind: str, resource: str) -> None:
    @create.command(kind.lower(), help=f"Create a {kind} with rules (--verb, --resource).")
    @click.argument("name")
    @click.option("--verb", "verbs", multiple=True, required=True, help="Verbs the rule allows (get,list,watch).")
    @click.option("--resource", "resources", multiple=True, required=True, help="Resources the rule applies to.")
    @click.option("--resource-name", "resource_names", multiple=True, help="Only these object names.")
    @write_options
    @namespace_option
    @click.pass_context
    def command(ctx: click.Context, name: str, verbs: tuple[str, ...], resources: tuple[str, ...],
                resource_names: tuple[str, ...], dry_run: str, output: str | None) -> None:
        obj = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": kind, "metadata": {"name": name},
               "rules": policy_rules(verbs, resources, resource_names)}
        _create_one(ctx, resource, obj, dry_run, output)


def _binding_command(kind: str, resource: str, namespaced: bool) -> None:
    @create.command(kind.lower(), help=f"Create a {kind} for a Role or ClusterRole.")
    @click.argument("name")
    @click.option("--clusterrole", default="", help="The ClusterRole to bind.")
    @click.option("--role", default="", help="The Role to bind (RoleBinding only).")
    @click.option("--user", "users", multiple=True, help="A user to bind to; repeatable.")
    @click.option("--group", "groups", multiple=True, help="A group to bind to; repeatable.")
    @click.option("--serviceaccount", "service_accounts", multiple=True, help="NAMESPACE:NAME; repeatable.")
    @write_options
    @namespace_option
    @click.pass_context
    def command(ctx: click.Context, name: str, clusterrole: str, role: str, users: tuple[str, ...],
                groups: tuple[str, ...], service_accounts: tuple[str, ...], dry_run: str,
                output: str | None) -> None:
        if bool(clusterrole) == bool(role) or (role and not namespaced):
            fail("error: exactly one of clusterrole or role must be specified" if namespaced
                 else "error: --clusterrole is required")
        subjects: list[Obj] = [{"kind": "User", "apiGroup": RBAC_GROUP, "name": u} for u in users]
        subjects += [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": g} for g in groups]
        for sa in service_accounts:
            sa_ns, _, sa_name = sa.partition(":")
            if not sa_name:
                fail(f"error: serviceaccount must be <namespace>:<name>, got {sa!r}")
            subjects.append({"kind": "ServiceAccount", "namespace": sa_ns, "name": sa_name})
        obj = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": kind, "metadata": {"name": name},
               "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role" if role else "ClusterRole",
                           "name": role or clusterrole},
               "subjects": subjects}
        _create_one(ctx, resource, obj, dry_run, output)


_role_command("Role", "roles")
_role_command("ClusterRole", "clusterroles")
_binding_command("RoleBinding", "rolebindings", True)
_binding_command("ClusterRoleBinding", "clusterrolebindings", False)


async def wait_deleted(client: ApiClient, info: api.ResourceInfo, name: str, namespace: str,
                       timeout: float) -> bool:
    """True once the object is gone (watched, not polled)."""
    try:
        current = await client.get(info.resource, name, namespace)
    except NotFound:
        return True
    uid = current["metadata"].get("uid")

    async def gone() -> None:
        async for kind, obj in client.watch(info.resource, namespace, field_selector=f"metadata.name={name}",
                                            resource_version=current["metadata"]["resourceVersion"]):
            if kind == "DELETED" and obj["metadata"].get("uid") == uid:
                return
    try:
        await asyncio.wait_for(gone(), timeout)
    except TimeoutError:
        return False
    return True


CASCADE_POLICIES = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}
_GO_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_GO_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def cascade_policy(value: str) -> tuple[str, str]:
    """kubectl delete's --cascade as the propagation policy to send, and the
    deprecation warning a boolean value earns ("" if none): true is
    background, false is orphan. ValueError (kubectl's words) for anything else."""
    if value in CASCADE_POLICIES:
        return CASCADE_POLICIES[value], ""
    if value in _GO_TRUE + _GO_FALSE:
        instead = "background" if value in _GO_TRUE else "orphan"
        return (CASCADE_POLICIES[instead], f"warning: --cascade={value} is deprecated (boolean value) and can be "
                                           f"replaced with --cascade={instead}.")
    raise ValueError(f'invalid cascade value ({value}). Must be "background", "foreground", or "orphan"')


@main.command()
@click.argument("resource", required=False)
@click.argument("names", nargs=-1)
@click.option("-f", "--filename", "filenames", multiple=True)
@click.option("-l", "--selector", default="", help="Delete the objects matching this label selector.")
@click.option("--all", "all_", is_flag=True, help="Delete every object of the resource type in the namespace.")
@click.option("-A", "--all-namespaces", is_flag=True)
@click.option("--grace-period", type=int, default=None, help="Seconds the pod gets to stop (0: at once).")
@click.option("--now", is_flag=True, help="Same as --grace-period=1.")
@click.option("--wait/--no-wait", "wait", default=True, show_default=True,
              help="Wait until the objects are gone (kubectl's --wait=false is --no-wait).")
@click.option("--timeout", default="0s", help="How long to wait (0s: long enough for the grace period).")
@click.option("--ignore-not-found", is_flag=True)
@click.option("--cascade", default="background", is_flag=False, flag_value="background", show_default=True,
              help='"background", "foreground" or "orphan": what happens to the dependents (the pods of a '
                   "ReplicaSet); foreground waits for them to go first.")
@namespace_option
@click.pass_context
def delete(ctx: click.Context, resource: str | None, names: tuple[str, ...], filenames: tuple[str, ...],
           selector: str, all_: bool, all_namespaces: bool, grace_period: int | None, now: bool, wait: bool,
           timeout: str, ignore_not_found: bool, cascade: str) -> None:
    """Delete resources by file names, by resource and names, or by label selector."""
    try:
        propagation, warning = cascade_policy(cascade)
    except ValueError as err:
        fail(f"error: {err}")
    if warning:
        click.echo(warning, err=True)
    grace = 1 if now and grace_period is None else grace_period
    wait_for = parse_duration(timeout) or float((grace if grace is not None else 30) + 60)
    targets: list[tuple[str, str, str | None]] = []
    for label, doc in read_manifests(filenames) if filenames else []:
        info = info_for(label, doc)
        targets.append((info.resource, doc["metadata"]["name"], (doc.get("metadata") or {}).get("namespace")))
    if resource and "/" in resource:
        kind, _, name = resource.partition("/")
        resource, names = kind, (name, *names)
    by_query = bool(selector or all_)
    if resource and not names and not by_query:
        fail("error: resource(s) were provided, but no name was specified")
    if names and by_query:
        fail("error: name cannot be provided when a selector is specified")
    if resource:
        targets += [(resource, n, None) for n in names]
    if not targets and not (resource and by_query):
        fail("error: You must provide one or more resources by argument or filename.")

    async def body(client: ApiClient, namespace: str) -> None:
        todo = list(targets)
        if resource and by_query:
            info = api.resource_by_name(resource)
            listed = await client.list(info.resource, "" if all_namespaces else namespace, label_selector=selector)
            todo += [(info.resource, o["metadata"]["name"], o["metadata"].get("namespace")) for o in listed["items"]]
            if not todo:
                where = f" in {namespace} namespace" if info.namespaced and not all_namespaces else ""
                click.echo(f"No resources found{where}.", err=True)
                return
        deleted: list[tuple[api.ResourceInfo, str, str]] = []
        for res, name, ns in todo:
            info = api.resource_by_name(res)
            try:
                await client.delete(info.resource, name, ns or namespace, grace_period_seconds=grace,
                                    propagation_policy=propagation)
            except NotFound:
                if ignore_not_found:
                    continue
                raise
            click.echo(f'{qualified(info)} "{name}" deleted')
            deleted.append((info, name, ns or namespace))
            if ctx.obj.get("trace"):
                print_journey(client, f"delete {info.singular}/{name}")
        if wait:
            for info, name, ns in deleted:
                if not await wait_deleted(client, info, name, ns, wait_for):
                    fail(f"error: timed out waiting for the condition on {info.resource}/{name}")
    run_api(ctx, body)
