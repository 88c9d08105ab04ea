"""How `kubelite` prints objects: kubectl's tables (columns, AGE), `-o
wide|json|yaml|name|jsonpath=...`, `--show-labels`, and the rows a watch adds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml

from cli import jsonpath
from kubelite import api

Obj = dict[str, Any]


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


def column_widths(rows: list[list[str]], header: list[str]) -> list[int]:
    return [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]


def format_row(row: list[str], widths: list[int]) -> str:
    return "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()


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
        gates = pod.get("spec", {}).get("readinessGates") or []
        conditions = {c.get("type"): c.get("status") for c in pod.get("status", {}).get("conditions") or []}
        passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        row += [pod.get("status", {}).get("podIP") or "<none>", pod.get("spec", {}).get("nodeName") or "<none>",
                pod.get("status", {}).get("nominatedNodeName") or "<none>",
                f"{passed}/{len(gates)}" if gates else "<none>"]
    return row


def node_roles(node: Obj) -> str:
    """kubectl's ROLES: the node-role.kubernetes.io/<role> labels (and the older kubernetes.io/role)."""
    labels = node.get("metadata", {}).get("labels") or {}
    roles = {key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def _node_row(node: Obj, wide: bool) -> list[str]:
    ready = next((c for c in node.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    status = "Ready" if ready.get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    version = (node.get("status", {}).get("nodeInfo") or {}).get("kubeletVersion", "")
    row = [node["metadata"]["name"], status, node_roles(node), age(node["metadata"].get("creationTimestamp")), version]
    if wide:
        addresses = node.get("status", {}).get("addresses") or []
        info = node.get("status", {}).get("nodeInfo") or {}
        row += [next((a["address"] for a in addresses if a.get("type") == kind), "<none>")
                for kind in ("InternalIP", "ExternalIP")]
        row += [info.get(key) or "<unknown>" for key in ("osImage", "kernelVersion", "containerRuntimeVersion")]
    return row


def qualified(info: api.ResourceInfo) -> str:
    """How kubectl names a kind in its output: "pod", "role.rbac.authorization.k8s.io"."""
    return f"{info.singular}.{info.group}" if info.group else info.singular


def labels_text(obj: Obj) -> str:
    labels = obj.get("metadata", {}).get("labels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def table_rows(info: api.ResourceInfo, items: list[Obj], wide: bool, all_ns: bool,
               show_labels: bool = False) -> tuple[list[str], list[list[str]]]:
    """kubectl's columns for the kind (NAME and AGE for kinds with no printer)."""
    if info.resource == "pods":
        header, rows = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], [_pod_row(p, wide) for p in items]
        if wide:
            header += ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    elif info.resource == "nodes":
        header, rows = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], [_node_row(n, wide) for n in items]
        if wide:
            header += ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    elif info.resource == "namespaces":
        header = ["NAME", "STATUS", "AGE"]
        rows = [[n["metadata"]["name"], n.get("status", {}).get("phase", "Active"),
                 age(n["metadata"].get("creationTimestamp"))] for n in items]
    elif info.resource == "events":
        header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        rows = [[age(e.get("lastTimestamp") or e.get("firstTimestamp")), e.get("type", ""), e.get("reason", ""),
                 f"{(e.get('involvedObject') or {}).get('kind', '').lower()}/"
                 f"{(e.get('involvedObject') or {}).get('name', '')}", e.get("message", "")] for e in items]
    elif info.resource == "configmaps":
        header = ["NAME", "DATA", "AGE"]
        rows = [[c["metadata"]["name"], str(len(c.get("data") or {}) + len(c.get("binaryData") or {})),
                 age(c["metadata"].get("creationTimestamp"))] for c in items]
    elif info.resource in ("rolebindings", "clusterrolebindings"):
        header = ["NAME", "ROLE", "AGE"]
        rows = [[b["metadata"]["name"], f"{b['roleRef']['kind']}/{b['roleRef']['name']}",
                 age(b["metadata"].get("creationTimestamp"))] for b in items]
        if wide:
            header += ["USERS", "GROUPS"]
            for b, row in zip(items, rows, strict=True):
                subjects = b.get("subjects") or []
                row += [",".join(s["name"] for s in subjects if s.get("kind") == "User"),
                        ",".join(s["name"] for s in subjects if s.get("kind") == "Group")]
    elif info.resource in ("roles", "clusterroles"):
        header = ["NAME", "CREATED AT"]
        rows = [[o["metadata"]["name"], o["metadata"].get("creationTimestamp", "")] for o in items]
    elif info.resource == "leases":
        header = ["NAME", "HOLDER", "AGE"]
        rows = [[o["metadata"]["name"], (o.get("spec") or {}).get("holderIdentity", ""),
                 age(o["metadata"].get("creationTimestamp"))] for o in items]
    else:
        header = ["NAME", "AGE"]
        rows = [[o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))] for o in items]
    if show_labels:
        header = [*header, "LABELS"]
        rows = [[*r, labels_text(o)] for o, r in zip(items, rows, strict=True)]
    if all_ns and info.namespaced:
        header = ["NAMESPACE", *header]
        rows = [[o["metadata"].get("namespace", ""), *r] for o, r in zip(items, rows, strict=True)]
    return header, rows


CUSTOM_COLUMNS = "custom-columns="


def custom_columns(spec: str) -> list[tuple[str, str]]:
    """`NAME:.metadata.name,NODE:.spec.nodeName` as (header, field path) pairs."""
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not header.strip() or not path.strip():
            raise jsonpath.JSONPathError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header.strip(), jsonpath.field_path(path)))
    return columns


def _custom_rows(spec: str, items: list[Obj]) -> tuple[list[str], list[list[str]]]:
    columns = custom_columns(spec)
    rows = [[",".join(jsonpath.show(v) for v in jsonpath.evaluate(path, item)) or "<none>" for _, path in columns]
            for item in items]
    return [header for header, _ in columns], rows


def rows_for(info: api.ResourceInfo, items: list[Obj], output: str | None, all_ns: bool,
             show_labels: bool = False) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a table-shaped output: default, wide or custom-columns."""
    if output and output.startswith(CUSTOM_COLUMNS):
        return _custom_rows(output[len(CUSTOM_COLUMNS):], items)
    return table_rows(info, items, output == "wide", all_ns, show_labels)


def sort_items(items: list[Obj], path: str) -> list[Obj]:
    """kubectl --sort-by: by the field's value, numbers by number; objects
    without the field first. A field no object has is an error, as in kubectl."""
    path = jsonpath.field_path(path)
    keys = [jsonpath.evaluate(path, item) for item in items]
    if items and not any(keys):
        raise jsonpath.JSONPathError(f'couldn\'t find any field with path "{{{path}}}" in the list of objects')

    def key(found: list[Any]) -> tuple[int, float, str]:
        if not found:
            return (0, 0.0, "")
        value = found[0]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (1, float(value), "")
        return (2, 0.0, jsonpath.show(value))
    return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda pair: key(pair[0]))]


def dump(doc: Any, output: str) -> str:
    """An object or list as kubectl's -o json (4-space indent) or -o yaml."""
    return json.dumps(doc, indent=4) if output == "json" else yaml.safe_dump(doc, sort_keys=False).rstrip()


def render(info: api.ResourceInfo, items: list[Obj], output: str | None, all_ns: bool, single: bool = False,
           show_labels: bool = False) -> str:
    """`items` as kubectl prints them; `single` when one object was asked for
    by name (-o json/yaml/jsonpath then show the object, not a List)."""
    doc: Any = items[0] if single and len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items,
                                                             "metadata": {"resourceVersion": ""}}
    if output in ("json", "yaml"):
        return dump(doc, output)
    if output and output.startswith("jsonpath="):
        return jsonpath.render(output[len("jsonpath="):], doc)
    if output == "name":
        return "\n".join(f"{qualified(info)}/{o['metadata']['name']}" for o in items)
    header, rows = rows_for(info, items, output, all_ns, show_labels)
    return table(rows, header)
