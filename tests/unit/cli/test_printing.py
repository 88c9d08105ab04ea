"""How the kubelite CLI prints and parses, without a cluster: kubectl's
JSONPath templates, durations, `create role` rules, describe's layout."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli import jsonpath
from cli.base import unreachable_line
from cli.describe import describe
from cli.output import custom_columns, render, sort_items
from kubelite import api

POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "app.kubernetes.io/name": "w"},
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"nodeName": "node-1", "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "busybox"}]},
    "status": {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"},
                                                 {"type": "Ready", "status": "False"}]},
}
LIST = {"apiVersion": "v1", "kind": "List", "items": [POD, {**POD, "metadata": {**POD["metadata"], "name": "db"}}]}


@pytest.mark.parametrize(("template", "data", "expected"), [
    ("{.metadata.name}", POD, "web"),
    ("name={.metadata.name}!", POD, "name=web!"),
    ("{.items[*].metadata.name}", LIST, "web db"),
    ("{.items[0].metadata.name}", LIST, "web"),
    ("{.items[-1].metadata.name}", LIST, "db"),
    ("{.spec.containers[0:2].image}", POD, "nginx busybox"),
    ('{.status.conditions[?(@.type=="Ready")].status}', POD, "False"),
    ("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", LIST, "web\ndb\n"),
    ("{range .spec.containers[*]}{.name}={.image};{end}", POD, "a=nginx;b=busybox;"),
    ("{.metadata.labels.app\\.kubernetes\\.io/name}", POD, "w"),
    ("{..image}", POD, "nginx busybox"),
    ("{.metadata.missing}", POD, ""),
    ("{.metadata.labels}", POD, '{"app": "web", "app.kubernetes.io/name": "w"}'),
    ("{@.kind}", POD, "Pod"),
])
def test_jsonpath_renders_like_kubectl(template: str, data: dict, expected: str) -> None:
    assert jsonpath.render(template, data) == expected


@pytest.mark.parametrize("template", ["{.a", "{range .items[*]}{.x}", "{end}", "{.a[x]}", "{.a[?(bad)]}"])
def test_jsonpath_refuses_bad_templates_with_its_error(template: str) -> None:
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.render(template, {"a": [1], "items": [{}]})


@given(st.text(max_size=40))
def test_jsonpath_never_fails_other_than_with_its_error(template: str) -> None:
    try:
        jsonpath.render(template, LIST)
    except jsonpath.JSONPathError:
        pass


def test_single_object_prints_itself_and_a_listing_prints_a_list() -> None:
    pods = api.resource_by_name("pods")
    assert render(pods, [POD], "jsonpath={.kind}", False, single=True) == "Pod"
    assert render(pods, [POD], "jsonpath={.kind}", False) == "List"
    assert render(pods, [POD], "name", False) == "pod/web"
    role = api.resource_by_name("roles")
    assert render(role, [{"metadata": {"name": "r"}}], "name", False) == "role.rbac.authorization.k8s.io/r"


def test_show_labels_adds_the_last_column() -> None:
    lines = render(api.resource_by_name("pods"), [POD], None, False, show_labels=True).splitlines()
    assert lines[0].split()[-1] == "LABELS"
    assert lines[1].split()[-1] == "app=web,app.kubernetes.io/name=w"


def test_wide_tables_have_kubectls_columns_roles_and_readiness_gates() -> None:
    gated = {**POD, "spec": {**POD["spec"], "readinessGates": [{"conditionType": "example.com/lb"},
                                                                {"conditionType": "example.com/dns"}]},
             "status": {**POD["status"], "nominatedNodeName": "node-2",
                        "conditions": [{"type": "example.com/lb", "status": "True"}]}}
    lines = render(api.resource_by_name("pods"), [POD, gated], "wide", False).splitlines()
    assert lines[0].split()[-4:] == ["NOMINATED", "NODE", "READINESS", "GATES"]
    assert lines[1].split()[-2:] == ["<none>", "<none>"] and lines[2].split()[-2:] == ["node-2", "1/2"]
    node = {"metadata": {"name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z",
                         "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": ""}},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
                       "nodeInfo": {"osImage": "Debian", "kernelVersion": "6.1", "containerRuntimeVersion": "process://x",
                                    "kubeletVersion": "v1.30.0"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}
    row = render(api.resource_by_name("nodes"), [node], "wide", False).splitlines()[1].split()
    assert row[:3] == ["n1", "Ready", "control-plane,worker"]
    assert row[4:] == ["v1.30.0", "10.0.0.1", "<none>", "Debian", "6.1", "process://x"]
    described = describe("nodes", node, [], False, pods=[])
    assert "Roles:" in described and "control-plane,worker" in described.split("Roles:")[1].splitlines()[0]
    assert "OS Image:" in described


def test_custom_columns_and_sort_by() -> None:
    pods = api.resource_by_name("pods")
    db = {**POD, "metadata": {**POD["metadata"], "name": "db"}, "spec": {"containers": [{"name": "x", "image": "pg"}]}}
    lines = render(pods, [POD, db], "custom-columns=NAME:.metadata.name,NODE:{.spec.nodeName},"
                   "IMAGES:.spec.containers[*].image", False).splitlines()
    assert [line.split() for line in lines] == [["NAME", "NODE", "IMAGES"], ["web", "node-1", "nginx,busybox"],
                                                ["db", "<none>", "pg"]]
    with pytest.raises(jsonpath.JSONPathError, match="expected <header>:<json-path-expr>"):
        custom_columns("NAME")
    assert [p["metadata"]["name"] for p in sort_items([POD, db], ".metadata.name")] == ["db", "web"]
    assert [p["metadata"]["name"] for p in sort_items([POD, db], "{.spec.nodeName}")] == ["db", "web"]
    numbered = [{"n": 10}, {"n": 9}, {"n": 100}]
    assert sort_items(numbered, "n") == [{"n": 9}, {"n": 10}, {"n": 100}]
    with pytest.raises(jsonpath.JSONPathError) as refused:
        sort_items([POD, db], ".nope")
    assert str(refused.value) == 'couldn\'t find any field with path "{.nope}" in the list of objects'


@given(st.text(max_size=40))
def test_field_paths_are_refused_only_with_the_jsonpath_error(path: str) -> None:
    try:
        jsonpath.evaluate(jsonpath.field_path(path), LIST)
        custom_columns(f"A:{path}")
    except jsonpath.JSONPathError:
        pass


@pytest.mark.parametrize(("details", "line"), [
    ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote host: "
     "Connection refused",
     "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"),
    ("last error: UNKNOWN: ipv4:127.0.0.1:1: Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: "
     "error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED: unable to get local issuer "
     "certificate: OK", "Unable to connect to the server: x509: certificate signed by unknown authority"),
    ("Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: error:100000f7:SSL routines:OPENSSL_internal:"
     "WRONG_VERSION_NUMBER: Invalid certificate verification context: OK",
     "Unable to connect to the server: tls: first record does not look like a TLS handshake (127.0.0.1:1)"),
    ("Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: error:1000006b:SSL routines:OPENSSL_internal:"
     "BAD_ECC_CERT: OK", "Unable to connect to the server: tls: bad ecc cert (127.0.0.1:1)"),
])
def test_unreachable_servers_get_kubectls_line(details: str, line: str) -> None:
    assert unreachable_line("https://127.0.0.1:1", details) == line


def test_durations_read_like_kubectl() -> None:
    from cli.base import parse_duration
    assert parse_duration("30s") == 30
    assert parse_duration("1m30s") == 90
    assert parse_duration("2") == 2
    assert parse_duration("0s") == 0
    with pytest.raises(SystemExit):
        parse_duration("soon")


def test_create_role_groups_rules_by_api_group() -> None:
    from cli.verbs_write import policy_rules
    rules = policy_rules(("get,list",), ("pods", "pods/log", "leases"), ())
    assert rules == [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"]},
                     {"verbs": ["get", "list"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]}]
    with pytest.raises(SystemExit):
        policy_rules(("get",), ("widgets",), ())


def test_describe_pod_shows_containers_conditions_and_events_in_order() -> None:
    events = [
        {"metadata": {"resourceVersion": "9"}, "type": "Normal", "reason": "Started", "message": "Started container a",
         "source": {"component": "kubelet"}, "lastTimestamp": "2026-01-01T00:00:01Z"},
        {"metadata": {"resourceVersion": "7"}, "type": "Normal", "reason": "Scheduled",
         "message": "Successfully assigned default/web to node-1", "source": {"component": "default-scheduler"},
         "lastTimestamp": "2026-01-01T00:00:01Z"},
    ]
    text = describe("pods", POD, events, True)
    assert text.splitlines()[0].split() == ["Name:", "web"]
    assert "Node:             node-1/" in text
    assert "  a:" in text and "    Image:" in text
    reasons = [line.split()[1] for line in text.split("Events:")[1].splitlines()[3:]]
    assert reasons == ["Scheduled", "Started"]
    assert describe("configmaps", {"metadata": {"name": "c", "namespace": "d"}, "data": {"k": "v"}}, [], True
                    ).splitlines()[-1] == "Events:           <none>"
