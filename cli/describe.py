"""`kubelite describe`: an object as kubectl describes it (aligned "Field:
value" lines, nested sections, tables for conditions), ending with the events
recorded about it: what happened to it, from whom, how long ago."""

from __future__ import annotations

from typing import Any

import yaml

from cli.manifests import LAST_APPLIED
from cli.output import age, node_roles, table

Obj = dict[str, Any]
WIDTH = 18  # kubectl aligns values after the longest top-level label


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def field(self, label: str, value: object = "", indent: int = 0) -> None:
        pad = max(WIDTH - indent * 2, len(label) + 2)
        text = "" if value is None else str(value)
        self.lines.append((" " * (indent * 2) + f"{label}:".ljust(pad) + text).rstrip())

    def mapping(self, label: str, values: dict[str, str] | None, indent: int = 0) -> None:
        items = sorted((values or {}).items())
        if not items:
            self.field(label, "<none>", indent)
            return
        for i, (k, v) in enumerate(items):
            if i == 0:
                self.field(label, f"{k}={v}", indent)
            else:
                self.lines.append(" " * max(WIDTH, len(label) + 2 + indent * 2) + f"{k}={v}")

    def group(self, items: list[tuple[str, object]], indent: int = 1) -> None:
        """Nested fields aligned among themselves, as kubectl's tabwriter does."""
        pad = max((len(label) + 3 for label, _ in items), default=0)
        for label, value in items:
            text = "" if value is None else str(value)
            self.lines.append((" " * (indent * 2) + f"{label}:".ljust(pad) + text).rstrip())

    def block(self, text: str, indent: int) -> None:
        self.lines += [" " * (indent * 2) + line for line in text.splitlines()]

    def text(self) -> str:
        return "\n".join(self.lines)


def _annotations(meta: Obj) -> dict[str, str]:
    """As kubectl describe: without the (long) last-applied configuration."""
    return {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}


def _metadata(w: _Writer, obj: Obj, namespaced: bool, roles: str | None = None) -> None:
    meta = obj.get("metadata") or {}
    w.field("Name", meta.get("name", ""))
    if namespaced:
        w.field("Namespace", meta.get("namespace", ""))
    if roles is not None:
        w.field("Roles", roles)
    w.mapping("Labels", meta.get("labels"))
    w.mapping("Annotations", _annotations(meta))


def _state(state: Obj) -> tuple[str, list[tuple[str, str]]]:
    if "running" in state:
        return "Running", [("Started", state["running"].get("startedAt", ""))]
    if "terminated" in state:
        t = state["terminated"]
        return "Terminated", [("Reason", t.get("reason", "")), ("Exit Code", str(t.get("exitCode", ""))),
                              ("Started", t.get("startedAt", "")), ("Finished", t.get("finishedAt", ""))]
    if "waiting" in state:
        return "Waiting", [("Reason", state["waiting"].get("reason", ""))]
    return "Waiting", []


def _pod(w: _Writer, pod: Obj) -> None:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    meta = pod.get("metadata") or {}
    w.field("Name", meta.get("name", ""))
    w.field("Namespace", meta.get("namespace", ""))
    w.field("Priority", spec.get("priority", 0))
    w.field("Service Account", spec.get("serviceAccountName", "default"))
    node = spec.get("nodeName")
    w.field("Node", f"{node}/{status.get('hostIP', '')}" if node else "<none>")
    w.field("Start Time", status.get("startTime") or "<unset>")
    w.mapping("Labels", meta.get("labels"))
    w.mapping("Annotations", _annotations(meta))
    if meta.get("deletionTimestamp"):
        w.field("Status", f"Terminating (lasts {meta.get('deletionGracePeriodSeconds', 0)}s)")
    else:
        w.field("Status", status.get("phase", "Pending"))
    if status.get("reason"):
        w.field("Reason", status["reason"])
    if status.get("message"):
        w.field("Message", status["message"])
    w.field("IP", status.get("podIP", ""))
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    w.field("Containers")
    for c in spec.get("containers") or []:
        w.field(c["name"], "", 1)
        s = statuses.get(c["name"], {})
        w.field("Container ID", s.get("containerID", ""), 2)
        w.field("Image", c.get("image", ""), 2)
        ports = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or [])
        w.field("Port", ports or "<none>", 2)
        if c.get("command"):
            w.field("Command", "", 2)
            w.block("\n".join(c["command"]), 3)
        if c.get("args"):
            w.field("Args", "", 2)
            w.block("\n".join(c["args"]), 3)
        name, details = _state(s.get("state") or {})
        w.field("State", name, 2)
        for label, value in details:
            w.field(label, value, 3)
        if s.get("lastState"):
            last, last_details = _state(s["lastState"])
            w.field("Last State", last, 2)
            for label, value in last_details:
                w.field(label, value, 3)
        w.field("Ready", str(bool(s.get("ready"))), 2)
        w.field("Restart Count", s.get("restartCount", 0), 2)
        resources = c.get("resources") or {}
        for section in ("limits", "requests"):
            if resources.get(section):
                w.field(section.capitalize(), "", 2)
                for k, v in sorted(resources[section].items()):
                    w.field(k, v, 3)
        env = c.get("env") or []
        w.field("Environment", "" if env else "<none>", 2)
        for e in env:
            w.field(e.get("name", ""), e.get("value", ""), 3)
    conditions = status.get("conditions") or []
    if conditions:
        w.field("Conditions")
        w.block(table([[c.get("type", ""), c.get("status", "")] for c in conditions], ["Type", "Status"]), 1)
    w.field("QoS Class", status.get("qosClass", ""))
    w.mapping("Node-Selectors", spec.get("nodeSelector"))
    tolerations = [f"{t.get('key', '')}:{t.get('effect', '')}" for t in spec.get("tolerations") or []]
    w.field("Tolerations", ", ".join(tolerations) or "<none>")


def _node(w: _Writer, node: Obj, pods: list[Obj]) -> None:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    _metadata(w, node, namespaced=False, roles=node_roles(node))
    w.field("CreationTimestamp", node["metadata"].get("creationTimestamp", ""))
    taints = [f"{t['key']}={t.get('value', '')}:{t['effect']}" if t.get("value") else f"{t['key']}:{t['effect']}"
              for t in spec.get("taints") or []]
    w.field("Taints", ", ".join(taints) or "<none>")
    w.field("Unschedulable", str(bool(spec.get("unschedulable"))).lower())
    w.field("Conditions")
    rows = [[c.get("type", ""), c.get("status", ""), c.get("lastHeartbeatTime", ""),
             c.get("lastTransitionTime", ""), c.get("reason", ""), c.get("message", "")]
            for c in status.get("conditions") or []]
    w.block(table(rows, ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"]), 1)
    w.field("Addresses")
    w.group([(a.get("type", ""), a.get("address", "")) for a in status.get("addresses") or []])
    for section in ("capacity", "allocatable"):
        w.field(section.capitalize())
        w.group(sorted((status.get(section) or {}).items()))
    info = status.get("nodeInfo") or {}
    w.field("System Info")
    w.group([(label, info.get(key, "")) for label, key in (
        ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"))])
    running = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    w.field("Non-terminated Pods", f"({len(running)} in total)")
    if running:
        w.block(table([[p["metadata"].get("namespace", ""), p["metadata"]["name"],
                        age(p["metadata"].get("creationTimestamp"))] for p in running],
                      ["Namespace", "Name", "Age"]), 1)


def _generic(w: _Writer, obj: Obj, namespaced: bool) -> None:
    _metadata(w, obj, namespaced)
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    for key, value in rest.items():
        if isinstance(value, dict | list):
            w.field(key[:1].upper() + key[1:])
            w.block(yaml.safe_dump(value, sort_keys=False).rstrip(), 1)
        else:
            w.field(key[:1].upper() + key[1:], value)


def event_order(event: Obj) -> tuple[str, int]:
    """When it happened: the microsecond eventTime when there is one, then the
    second-precision timestamps, then the order the store saw them."""
    when = event.get("eventTime") or event.get("lastTimestamp") or event.get("firstTimestamp") or ""
    return when.replace("Z", ".000000Z") if len(when) == 20 else when, int(
        (event.get("metadata") or {}).get("resourceVersion") or 0)


def _events(w: _Writer, events: list[Obj]) -> None:
    if not events:
        w.field("Events", "<none>")
        return
    w.field("Events")
    ordered = sorted(events, key=event_order)
    rows = [[e.get("type", ""), e.get("reason", ""), age(e.get("lastTimestamp") or e.get("firstTimestamp")),
             (e.get("source") or {}).get("component", "") or e.get("reportingComponent", ""),
             e.get("message", "")] for e in ordered]
    header = ["Type", "Reason", "Age", "From", "Message"]
    w.block(table([["-" * len(h) for h in header], *rows], header), 1)


def describe(resource: str, obj: Obj, events: list[Obj], namespaced: bool, pods: list[Obj] | None = None) -> str:
    """The text of `kubelite describe RESOURCE NAME`."""
    w = _Writer()
    if resource == "pods":
        _pod(w, obj)
    elif resource == "nodes":
        _node(w, obj, pods or [])
    else:
        _generic(w, obj, namespaced)
    _events(w, events)
    return w.text()
