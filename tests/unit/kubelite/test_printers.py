"""The printer columns every kind has (one definition for `kubelite get` and the REST transport's Tables):
Kubernetes' column names, types and wide (priority-1) columns, and the cells kubectl's printers compute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cli.output import table_rows
from kubelite import api
from kubelite.api import printers

Obj = dict[str, Any]


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def info(resource: str) -> api.ResourceInfo:
    return api.resource_by_name(resource)


def names(resource: str) -> list[str]:
    return [c.name for c in printers.columns(info(resource))]


def wide_names(resource: str) -> set[str]:
    return {c.name for c in printers.columns(info(resource)) if c.priority == 1}


@pytest.mark.parametrize(("resource", "expected"), [
    ("pods", ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]),
    ("nodes", ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image",
               "Kernel-Version", "Container-Runtime"]),
    ("namespaces", ["Name", "Status", "Age"]),
    ("events", ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count",
                "Name"]),
    ("configmaps", ["Name", "Data", "Age"]),
    ("leases", ["Name", "Holder", "Age"]),
    ("roles", ["Name", "Created At"]),
    ("clusterroles", ["Name", "Created At"]),
    ("rolebindings", ["Name", "Role", "Age", "Users", "Groups"]),
    ("clusterrolebindings", ["Name", "Role", "Age", "Users", "Groups"]),
    ("selfsubjectreviews", ["Name", "Age"]),
])
def test_each_kind_has_kubernetes_columns(resource: str, expected: list[str]) -> None:
    assert names(resource) == expected
    for column in printers.columns(info(resource)):
        assert column.type in ("string", "integer", "date") and column.priority in (0, 1) and column.description
        assert column.format == ("name" if column.name == "Name" else "")
        assert set(column.definition()) == {"name", "type", "format", "description", "priority"}


@pytest.mark.parametrize(("resource", "wide"), [
    ("pods", {"IP", "Node", "Nominated Node", "Readiness Gates"}),
    ("nodes", {"Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"}),
    ("events", {"Subobject", "Source", "First Seen", "Count", "Name"}),
    ("rolebindings", {"Users", "Groups"}),
    ("clusterrolebindings", {"Users", "Groups"}),
    ("namespaces", set()), ("configmaps", set()), ("leases", set()), ("roles", set()), ("clusterroles", set()),
])
def test_priority_one_columns_are_kubectls_wide_columns(resource: str, wide: set[str]) -> None:
    assert wide_names(resource) == wide


def test_column_types_are_kubernetes_types() -> None:
    types = {c.name: c.type for c in printers.columns(info("pods"))}
    assert types["Restarts"] == "string"  # "3 (5m ago)" since Kubernetes 1.22
    assert {c.name: c.type for c in printers.columns(info("roles"))}["Created At"] == "date"
    assert printers.columns(info("pods"))[0].header == "NAME"
    assert printers.columns(info("pods"))[7].header == "NOMINATED NODE"


def pod(name: str = "web", **status: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(minutes=5, seconds=10)},
            "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]},
            "status": status}


RUNNING = pod(phase="Running", podIP="10.1.2.3",
              conditions=[{"type": "Ready", "status": "True"}],
              containerStatuses=[{"name": "app", "ready": True, "restartCount": 0,
                                  "state": {"running": {"startedAt": ago(minutes=5)}}}])
RUNNING_CREATED = RUNNING["metadata"]["creationTimestamp"]


def test_a_running_pod() -> None:
    assert printers.cells(info("pods"), RUNNING) == ["web", "1/1", "Running", "0", printers.age(RUNNING_CREATED),
                                                     "10.1.2.3", "node-1", "<none>", "<none>"]
    assert printers.row_conditions(info("pods"), RUNNING) == []


def test_a_crash_looping_pod_shows_the_waiting_reason_and_the_last_restart() -> None:
    looping = pod(phase="Running", containerStatuses=[{
        "name": "app", "ready": False, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=2, seconds=5)}}}])
    assert printers.cells(info("pods"), looping)[:5] == ["web", "0/1", "CrashLoopBackOff", "3 (2m ago)", "5m"]
    no_finish = pod(phase="Running", containerStatuses=[{"name": "app", "restartCount": 2,
                                                         "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    assert printers.cells(info("pods"), no_finish)[3] == "2"


def test_a_terminating_pod_unless_it_already_finished() -> None:
    deleting = {**RUNNING, "metadata": {**RUNNING["metadata"], "deletionTimestamp": ago(seconds=3)}}
    assert printers.cells(info("pods"), deleting)[2] == "Terminating"
    done = pod(phase="Succeeded", containerStatuses=[{"name": "app", "restartCount": 0, "state": {
        "terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": ago(minutes=1)}}}])
    done["metadata"]["deletionTimestamp"] = ago(seconds=1)
    assert printers.cells(info("pods"), done)[1:3] == ["0/1", "Completed"]
    assert printers.row_conditions(info("pods"), done)[0]["type"] == "Completed"
    lost = {**deleting, "status": {**RUNNING["status"], "reason": "NodeLost"}}
    assert printers.cells(info("pods"), lost)[2] == "Unknown"


@pytest.mark.parametrize(("status", "expected"), [
    ({}, "Pending"),
    ({"phase": "Pending"}, "Pending"),
    ({"phase": "Failed", "reason": "Evicted"}, "Evicted"),
    ({"phase": "Running", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 137,
                                                                                      "signal": 9}}}]},
     "Signal:9"),
    ({"phase": "Failed", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 2}}}]},
     "ExitCode:2"),
    ({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {"running": {}}}]}, "Init:0/1"),
    ({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {
        "waiting": {"reason": "CrashLoopBackOff"}}}]}, "Init:CrashLoopBackOff"),
    ({"phase": "Pending", "initContainerStatuses": [{"name": "init", "state": {
        "terminated": {"exitCode": 1, "reason": "Error"}}}]}, "Init:Error"),
    ({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]},
     "SchedulingGated"),
])
def test_pod_status_reasons_as_kubectl_reasons_them(status: Obj, expected: str) -> None:
    subject = pod(**status)
    subject["spec"]["initContainers"] = [{"name": "init", "image": "busybox"}]
    assert printers.cells(info("pods"), subject)[2] == expected


def test_readiness_gates_and_nominated_node() -> None:
    gated = pod(phase="Pending", nominatedNodeName="node-2",
                conditions=[{"type": "example.com/lb", "status": "True"}, {"type": "example.com/dns",
                                                                          "status": "False"}])
    gated["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]
    assert printers.cells(info("pods"), gated)[5:] == ["<none>", "node-1", "node-2", "1/2"]


def node(**changes: Any) -> Obj:
    base: Obj = {"apiVersion": "v1", "kind": "Node",
                 "metadata": {"name": "n1", "creationTimestamp": ago(hours=3, minutes=1),
                              "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "edge"}},
                 "spec": {},
                 "status": {"conditions": [{"type": "Ready", "status": "True"}],
                            "addresses": [{"type": "Hostname", "address": "n1"},
                                          {"type": "InternalIP", "address": "10.0.0.1"}],
                            "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "Debian", "kernelVersion": "6.1"}}}
    for key, value in changes.items():
        base[key] = {**base[key], **value}
    return base


def test_nodes_ready_cordoned_and_not_ready() -> None:
    assert printers.cells(info("nodes"), node()) == ["n1", "Ready", "control-plane,edge", "3h", "v1.30.0",
                                                     "10.0.0.1", "<none>", "Debian", "6.1", "<unknown>"]
    down = node(spec={"unschedulable": True}, status={"conditions": [{"type": "Ready", "status": "Unknown"}]})
    assert printers.cells(info("nodes"), down)[1] == "NotReady,SchedulingDisabled"
    assert printers.cells(info("nodes"), node(status={"conditions": []}))[1] == "Unknown"
    assert printers.node_roles({"metadata": {}}) == "<none>"


def test_event_cells_include_the_wide_ones() -> None:
    event = {"metadata": {"name": "web.17a", "namespace": "default"}, "type": "Warning", "reason": "BackOff",
             "message": "Back-off restarting failed container\n", "count": 4,
             "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
             "source": {"component": "kubelet", "host": "node-1"},
             "firstTimestamp": ago(minutes=9), "lastTimestamp": ago(seconds=30)}
    assert printers.cells(info("events"), event) == [
        "30s", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, node-1",
        "Back-off restarting failed container", "9m", 4, "web.17a"]
    newer = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Node"}, "eventTime": ago(minutes=3),
             "reportingComponent": "scheduler"}
    assert printers.cells(info("events"), newer) == ["3m", "", "", "node", "", "scheduler", "", "3m", 1, "e"]


def test_other_kinds_cells() -> None:
    created = ago(days=3)
    meta = {"name": "x", "creationTimestamp": created}
    assert printers.cells(info("configmaps"), {"metadata": meta, "data": {"a": "1"}, "binaryData": {"b": ""}}) == [
        "x", 2, "3d"]
    assert printers.cells(info("namespaces"), {"metadata": meta}) == ["x", "Active", "3d"]
    assert printers.cells(info("leases"), {"metadata": meta, "spec": {"holderIdentity": "cm-1"}}) == [
        "x", "cm-1", "3d"]
    assert printers.cells(info("roles"), {"metadata": meta}) == ["x", created]
    binding = {"metadata": meta, "roleRef": {"kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "User", "name": "jane"}, {"kind": "User", "name": "joe"},
                            {"kind": "Group", "name": "devs"}, {"kind": "ServiceAccount", "name": "sa"}]}
    assert printers.cells(info("clusterrolebindings"), binding) == ["x", "ClusterRole/view", "3d", "jane, joe",
                                                                    "devs"]
    assert printers.cells(info("selfsubjectreviews"), {"metadata": {}}) == ["", "<unknown>"]


@pytest.mark.parametrize("resource", ["pods", "nodes", "namespaces", "events", "configmaps", "leases", "roles",
                                      "clusterroles", "rolebindings", "clusterrolebindings"])
def test_a_cell_per_column_even_for_a_bare_object(resource: str) -> None:
    assert len(printers.cells(info(resource), {"metadata": {"name": "bare"}})) == len(names(resource))


@pytest.mark.parametrize(("delta", "expected"), [
    (timedelta(seconds=5), "5s"), (timedelta(seconds=118), "118s"), (timedelta(minutes=5), "5m"),
    (timedelta(hours=2, minutes=59), "179m"), (timedelta(hours=5), "5h"), (timedelta(days=3), "3d"),
    (timedelta(seconds=-30), "0s"),
])
def test_age_reads_like_kubectl(delta: timedelta, expected: str) -> None:
    assert printers.age((datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")) == expected
    assert printers.age(None) == printers.age("") == "<unknown>"


def test_the_cli_prints_from_the_same_columns() -> None:
    header, rows = table_rows(info("pods"), [RUNNING], wide=False, all_ns=True, show_labels=True)
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert rows == [["default", "web", "1/1", "Running", "0", printers.age(RUNNING_CREATED), "<none>"]]
    header, _ = table_rows(info("events"), [], wide=True, all_ns=False)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN",
                      "COUNT", "NAME"]
    header, rows = table_rows(info("configmaps"), [{"metadata": {"name": "c"}, "data": {"k": "v"}}], False, True)
    assert header == ["NAMESPACE", "NAME", "DATA", "AGE"] and rows[0][2] == "1"
    header, _ = table_rows(info("nodes"), [], wide=False, all_ns=True)
    assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
