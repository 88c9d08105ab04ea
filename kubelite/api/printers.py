"""The printer columns of every kind, defined once: what `kubelite get` prints and what the API server's REST
transport serves as a `meta.k8s.io` Table (kubectl's server-side printing).

Each kind has the columns kube-apiserver's printers give it (`pkg/printers/internalversion/printers.go`; roles and
cluster roles have none there and get the generic Name/"Created At" pair), with Kubernetes' column names, OpenAPI
types and priorities (1 = shown only by `-o wide`). `cells` computes a row the way those printers do, always for
every column, as the server does (kubectl drops the priority-1 cells itself unless asked for wide output). A kind
with no printer gets NAME and AGE, what kubectl shows for a plain list. Cells are JSON values: strings, with
integers where Kubernetes sends integers (ConfigMap Data, Event Count); Age-like cells are already text ("5m").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubelite.api.kind import Kind as ResourceInfo

Obj = dict[str, Any]


def age(timestamp: str | None) -> str:
    """How long ago an RFC 3339 timestamp was, as kubectl shows it ("42s", "5m", "3h", "12d");
    "<unknown>" when there is none."""
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


@dataclass(frozen=True)
class Column:
    """One column of a kind's table, as a Table's columnDefinitions entry describes it."""

    name: str
    type: str
    format: str = ""
    description: str = ""
    priority: int = 0

    @property
    def header(self) -> str:
        """The heading kubectl prints for the column: its name upper-cased ("NOMINATED NODE")."""
        return self.name.upper()

    def definition(self) -> Obj:
        """The column as a meta.k8s.io/v1 TableColumnDefinition."""
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


def _no_conditions(_obj: Obj) -> list[Obj]:
    return []


@dataclass(frozen=True)
class Printer:
    """A kind's columns, how one object becomes its cells, and the row conditions Kubernetes adds."""

    columns: tuple[Column, ...]
    cells: Callable[[Obj], list[Any]]
    conditions: Callable[[Obj], list[Obj]] = _no_conditions


NAME = Column("Name", "string", "name", "The object's name, unique among objects of its kind in its namespace "
              "(or in the cluster, for cluster-scoped kinds).")
AGE = Column("Age", "string", "", "How long ago the object was created, from metadata.creationTimestamp.")


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _name(obj: Obj) -> str:
    return _meta(obj).get("name", "")


def _created(obj: Obj) -> str:
    return age(_meta(obj).get("creationTimestamp"))


def name_of(obj: Obj) -> str:
    """The NAME cell."""
    return _name(obj)


def created_age(obj: Obj) -> str:
    """The AGE cell."""
    return _created(obj)


def _later(current: str, candidate: str | None) -> str:
    """The later of two RFC 3339 timestamps ("" is earlier than any)."""
    if not candidate:
        return current
    return candidate if not current or candidate[:19] > current[:19] else current


# ---------------------------------------------------------------------------------------------------------- pods

POD_COLUMNS = (
    NAME,
    Column("Ready", "string", "", "How many of the pod's containers are ready, out of how many it has."),
    Column("Status", "string", "", "A one-word summary of the pod: its phase, or why its containers are not running."),
    Column("Restarts", "string", "", "How many times the pod's containers have restarted, and how long ago the last "
           "restart was."),
    AGE,
    Column("IP", "string", "", "The pod's IP address, from status.podIP.", 1),
    Column("Node", "string", "", "The node the pod is bound to, from spec.nodeName.", 1),
    Column("Nominated Node", "string", "", "The node preemption made room on for the pod, from "
           "status.nominatedNodeName.", 1),
    Column("Readiness Gates", "string", "", "How many of the pod's readiness gates are passed, out of how many it "
           "has.", 1),
)

TERMINAL_PHASES = ("Succeeded", "Failed")
NODE_UNREACHABLE_REASON = "NodeLost"


def _restartable_init(container: Obj | None) -> bool:
    """A sidecar: an init container with restartPolicy Always, which keeps running beside the others."""
    return (container or {}).get("restartPolicy") == "Always"


def _condition_true(conditions: list[Obj], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def pod_summary(pod: Obj) -> tuple[str, str, str]:
    """The READY, STATUS and RESTARTS cells of a pod, reasoned as kubectl's pod printer does: the phase (or
    status.reason), overridden by init-container progress, then by a container's waiting or terminated reason,
    then by Terminating while the pod is being deleted."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    conditions = status.get("conditions") or []
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _restartable_init(c))
    phase = status.get("phase") or "Pending"  # what the API server defaults a new pod's phase to
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"

    ready = restarts = sidecar_restarts = 0
    last_restart = last_sidecar_restart = ""
    initializing = False
    for index, container in enumerate(status.get("initContainerStatuses") or []):
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        finished = ((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        restarts += int(container.get("restartCount", 0))
        last_restart = _later(last_restart, finished)
        sidecar = _restartable_init(init_specs.get(container.get("name")))
        if sidecar:
            sidecar_restarts += int(container.get("restartCount", 0))
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        if terminated and int(terminated.get("exitCode", 0)) == 0:
            continue
        if sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        if terminated:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(conditions, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            restarts += int(container.get("restartCount", 0))
            last_restart = _later(last_restart, ((container.get("lastState") or {}).get("terminated") or {})
                                  .get("finishedAt"))
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(conditions, "Ready") else "NotReady"

    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == NODE_UNREACHABLE_REASON:
            reason = "Unknown"
        elif phase not in TERMINAL_PHASES:
            reason = "Terminating"
    restarts_text = f"{restarts} ({age(last_restart)} ago)" if restarts and last_restart else str(restarts)
    return f"{ready}/{total}", reason, restarts_text


def _readiness_gates(pod: Obj) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = (pod.get("status") or {}).get("conditions") or []
    passed = 0
    for gate in gates:
        found = next((c for c in conditions if c.get("type") == gate.get("conditionType")), None)
        passed += 1 if found is not None and found.get("status") == "True" else 0
    return f"{passed}/{len(gates)}"


def _pod_cells(pod: Obj) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready, reason, restarts = pod_summary(pod)
    ips = status.get("podIPs") or []
    ip = (ips[0].get("ip") if ips else "") or status.get("podIP") or "<none>"
    return [_name(pod), ready, reason, restarts, _created(pod), ip, spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", _readiness_gates(pod)]


def _pod_conditions(pod: Obj) -> list[Obj]:
    """Kubernetes marks the rows of finished pods as Completed."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


# --------------------------------------------------------------------------------------------------------- nodes

NODE_COLUMNS = (
    NAME,
    Column("Status", "string", "", "Whether the node is Ready (its Ready condition), and SchedulingDisabled when "
           "cordoned."),
    Column("Roles", "string", "", "The node's roles, from its node-role.kubernetes.io/<role> labels."),
    AGE,
    Column("Version", "string", "", "The kubelet version the node reports."),
    Column("Internal-IP", "string", "", "The node's first InternalIP address.", 1),
    Column("External-IP", "string", "", "The node's first ExternalIP address.", 1),
    Column("OS-Image", "string", "", "The operating system the node reports.", 1),
    Column("Kernel-Version", "string", "", "The kernel version the node reports.", 1),
    Column("Container-Runtime", "string", "", "The container runtime and version the node reports.", 1),
)


def node_roles(node: Obj) -> str:
    """kubectl's ROLES: the node-role.kubernetes.io/<role> labels (and the older kubernetes.io/role)."""
    labels = _meta(node).get("labels") or {}
    roles = {key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/")}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def node_status(node: Obj) -> str:
    """Ready / NotReady (Unknown without a Ready condition), then SchedulingDisabled when unschedulable."""
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    parts = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if (node.get("spec") or {}).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def _node_cells(node: Obj) -> list[Any]:
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    addresses = status.get("addresses") or []

    def address(kind: str) -> str:
        return next((a.get("address", "") for a in addresses if a.get("type") == kind), "<none>")

    return [_name(node), node_status(node), node_roles(node), _created(node), info.get("kubeletVersion", ""),
            address("InternalIP"), address("ExternalIP"),
            *(info.get(key) or "<unknown>" for key in ("osImage", "kernelVersion", "containerRuntimeVersion"))]


# ------------------------------------------------------------------------------------------------- other kinds

NAMESPACE_COLUMNS = (NAME, Column("Status", "string", "", "The namespace's phase: Active, or Terminating."), AGE)

EVENT_COLUMNS = (
    Column("Last Seen", "string", "", "How long ago the event last happened."),
    Column("Type", "string", "", "Normal or Warning."),
    Column("Reason", "string", "", "A short, machine-readable word for why the event happened."),
    Column("Object", "string", "", "The object the event is about, as kind/name."),
    Column("Subobject", "string", "", "The part of the object the event is about (a container's field path).", 1),
    Column("Source", "string", "", "The component (and host) that reported the event.", 1),
    Column("Message", "string", "", "What happened, for humans."),
    Column("First Seen", "string", "", "How long ago the event first happened.", 1),
    Column("Count", "string", "", "How many times the event has happened.", 1),
    Column("Name", "string", "name", "The event object's own name.", 1),
)


def _event_cells(event: Obj) -> list[Any]:
    first = age(event.get("firstTimestamp") or event.get("eventTime"))
    last = age(event["lastTimestamp"]) if event.get("lastTimestamp") else first
    count = int(event.get("count") or 0)
    series = event.get("series")
    if series:
        last, count = age(series.get("lastObservedTime")), int(series.get("count") or 0)
    elif count == 0:
        count = 1  # a singleton event of the newer API has no count
    involved = event.get("involvedObject") or {}
    kind = involved.get("kind", "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""  # core/v1's reportingController
    host = source.get("host") or event.get("reportingInstance") or ""
    return [last, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""),
            f"{component}, {host}" if host else component, (event.get("message") or "").strip(), first, count,
            _name(event)]


CONFIGMAP_COLUMNS = (NAME, Column("Data", "string", "", "How many keys the config map holds (data and binaryData)."),
                     AGE)
LEASE_COLUMNS = (NAME, Column("Holder", "string", "", "Who holds the lease, from spec.holderIdentity."), AGE)
BINDING_COLUMNS = (
    NAME,
    Column("Role", "string", "", "The role the binding grants, as kind/name."),
    AGE,
    Column("Users", "string", "", "The users the binding grants the role to.", 1),
    Column("Groups", "string", "", "The groups the binding grants the role to.", 1),
)
ROLE_COLUMNS = (NAME, Column("Created At", "date", "", "When the object was created, from "
                             "metadata.creationTimestamp."))
DEFAULT_COLUMNS = (NAME, AGE)


def _binding_cells(binding: Obj) -> list[Any]:
    ref = binding.get("roleRef") or {}
    subjects = binding.get("subjects") or []

    def names(kind: str) -> str:
        return ", ".join(s.get("name", "") for s in subjects if s.get("kind") == kind)

    return [_name(binding), f"{ref.get('kind', '')}/{ref.get('name', '')}", _created(binding), names("User"),
            names("Group")]


def _namespace_cells(namespace: Obj) -> list[Any]:
    return [_name(namespace), (namespace.get("status") or {}).get("phase", "Active"), _created(namespace)]


def _configmap_cells(configmap: Obj) -> list[Any]:
    return [_name(configmap), len(configmap.get("data") or {}) + len(configmap.get("binaryData") or {}),
            _created(configmap)]


def _lease_cells(lease: Obj) -> list[Any]:
    return [_name(lease), (lease.get("spec") or {}).get("holderIdentity") or "", _created(lease)]


def _role_cells(role: Obj) -> list[Any]:
    return [_name(role), _meta(role).get("creationTimestamp", "")]


def _default_cells(obj: Obj) -> list[Any]:
    return [_name(obj), _created(obj)]


POD_PRINTER = Printer(POD_COLUMNS, _pod_cells, _pod_conditions)
NODE_PRINTER = Printer(NODE_COLUMNS, _node_cells)
NAMESPACE_PRINTER = Printer(NAMESPACE_COLUMNS, _namespace_cells)
EVENT_PRINTER = Printer(EVENT_COLUMNS, _event_cells)
CONFIGMAP_PRINTER = Printer(CONFIGMAP_COLUMNS, _configmap_cells)
LEASE_PRINTER = Printer(LEASE_COLUMNS, _lease_cells)
ROLE_PRINTER = Printer(ROLE_COLUMNS, _role_cells)
BINDING_PRINTER = Printer(BINDING_COLUMNS, _binding_cells)
DEFAULT_PRINTER = Printer(DEFAULT_COLUMNS, _default_cells)


def printer(info: ResourceInfo) -> Printer:
    """The kind's printer (NAME and AGE for a kind without one)."""
    return info.printer or DEFAULT_PRINTER


def columns(info: ResourceInfo) -> list[Column]:
    """Every column of the kind, priority-1 (wide) ones included, in order."""
    return list(printer(info).columns)


def cells(info: ResourceInfo, obj: Obj) -> list[Any]:
    """The cells of one object's row, one per column of `columns(info)`."""
    return printer(info).cells(obj)


def row_conditions(info: ResourceInfo, obj: Obj) -> list[Obj]:
    """The conditions Kubernetes puts on an object's row (Completed for finished pods); usually none."""
    return printer(info).conditions(obj)
