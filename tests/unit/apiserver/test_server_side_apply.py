"""Server-side apply and field ownership (apiserver/patching/apply.py and
fieldset.py), rule by rule as kubernetes.io "Server-Side Apply" states them:
an applier owns exactly what it last applied, stops owning (and removes) what
it no longer applies unless someone else owns it, conflicts on changing what
others own unless forced, shares what it sets to the same value; every other
write takes over the fields it changes. Plus the `fieldsV1` encoding and a
property: applying twice is applying once."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiserver.patching.apply import ANCIENT_CHANGES, BEFORE_FIRST_APPLY, apply, parse_applied, record_update
from apiserver.patching.fieldset import (
    from_fields_v1,
    kubernetes_list_type,
    list_schema_from_keys,
    object_field_set,
    path_string,
    to_fields_v1,
)
from kubelite.errors import BadRequest, Conflict

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z"


def make_pod(image: str = "nginx:1.25", labels: dict[str, str] | None = None,
             containers: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    """A Pod configuration: one container "main" unless `containers` says otherwise."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"} if labels is None else labels},
            "spec": {"containers": [{"name": "main", "image": image}] if containers is None else containers,
                     **spec}}


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """As the API server stores it: namespace, uid, resourceVersion, creationTimestamp filled in."""
    out = copy.deepcopy(obj)
    out["metadata"].update(namespace="default", uid="u-1", resourceVersion="7", creationTimestamp=T0)
    return out


def entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """managedFields by (manager, operation)."""
    return {(e["manager"], e["operation"]): e for e in obj["metadata"].get("managedFields", [])}


def owned(obj: dict[str, Any], manager: str, operation: str = "Apply") -> set[str]:
    """The paths a manager owns, printed as Kubernetes prints them."""
    entry = entries(obj).get((manager, operation))
    return {path_string(path) for path in from_fields_v1(entry["fieldsV1"])} if entry else set()


def client_side_applied(pod: dict[str, Any]) -> dict[str, Any]:
    """A pod created by `kubectl apply` (client-side): its fields owned by an Update entry."""
    return record_update(None, stored(pod), "kubectl-client-side-apply", T0)


# --- the fieldsV1 encoding ---------------------------------------------------------------------------------------

def test_fields_v1_of_a_pod_has_the_kubernetes_shape() -> None:
    pod = make_pod(containers=[{
        "name": "main", "image": "nginx",
        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
        "env": [{"name": "MODE", "value": "prod"}],
    }], labels={"app": "web", "tier": "front"})
    pod["metadata"]["finalizers"] = ["example.com/keep"]
    created = apply(None, pod, "kubectl", False, T0)
    (entry,) = created["metadata"]["managedFields"]
    assert entry == {
        "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T0, "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:finalizers": {'v:"example.com/keep"': {}}, "f:labels": {"f:app": {}, "f:tier": {}}},
            "f:spec": {"f:containers": {'k:{"name":"main"}': {
                ".": {}, "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
                "f:image": {}, "f:name": {},
                "f:ports": {
                    'k:{"containerPort":53,"protocol":"UDP"}': {".": {}, "f:containerPort": {}, "f:protocol": {}},
                    # the port's protocol defaults to TCP in its key, as the OpenAPI default does
                    'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
                }}}},
        },
    }
    # the brief's example, byte for byte as the API server serializes it
    small = apply(None, make_pod(image="nginx"), "kubectl", False, T0)
    assert json.dumps(small["metadata"]["managedFields"][0]["fieldsV1"], separators=(",", ":")) == (
        '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
        '{"k:{\\"name\\":\\"main\\"}":{".":{},"f:image":{},"f:name":{}}}}}')


@pytest.mark.parametrize(("path", "printed"), [
    (("f:spec", "f:containers", 'k:{"name":"main"}', "f:image"), '.spec.containers[name="main"].image'),
    (("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'), '.spec.ports[port=80,protocol="TCP"]'),
    (("f:metadata", "f:finalizers", 'v:"a/b"'), '.metadata.finalizers[="a/b"]'),
    (("f:data", "f:a.b"), ".data.a.b"),
    (("f:spec", "f:args", "i:0"), ".spec.args[0]"),
], ids=["list-map", "two-keys", "set", "dotted-key", "index"])
def test_paths_print_as_kubernetes_prints_them(path: tuple[str, ...], printed: str) -> None:
    assert path_string(path) == printed


@pytest.mark.parametrize("fields_v1", [
    {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
    {"f:spec": {"f:containers": {'k:{"name":"a"}': {".": {}, "f:image": {}}, 'k:{"name":"b"}': {}}}},
    {"f:metadata": {"f:finalizers": {".": {}, 'v:"x"': {}, "v:3": {}}}},
], ids=["map", "list-map", "set"])
def test_fields_v1_round_trips(fields_v1: dict[str, Any]) -> None:
    assert to_fields_v1(from_fields_v1(fields_v1)) == fields_v1


@pytest.mark.parametrize("fields_v1", [[], {"x:y": {}}, {"f:a": 1}, {".": {}}, {"k:nope": {}}, {"i:x": {}}],
                         ids=["not-object", "bad-prefix", "leaf-not-object", "dot-at-root", "key-not-json",
                              "index-not-number"])
def test_malformed_fields_v1_is_refused(fields_v1: Any) -> None:
    with pytest.raises(ValueError):
        from_fields_v1(fields_v1)


# --- apply ---------------------------------------------------------------------------------------------------------

def test_apply_creates_the_object_owning_what_it_applied() -> None:
    pod = make_pod()
    pod["status"] = {"phase": "Running"}  # ignored on the main resource
    pod["metadata"]["uid"] = "client-made-up"  # the server's, never the applier's
    created = apply(None, pod, "kubectl", False, T0)
    assert created == {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": "web", "labels": {"app": "web"}, "managedFields": [{
                           "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T0,
                           "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(
                               object_field_set({"metadata": {"labels": {"app": "web"}},
                                                 "spec": make_pod()["spec"]},
                                                lambda names: kubernetes_list_type("v1", "Pod", names)))}]},
                       "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}


def test_reapplying_the_same_configuration_changes_nothing() -> None:
    live = stored(apply(None, make_pod(), "kubectl", False, T0))
    again = apply(live, make_pod(), "kubectl", False, T1)
    assert again == live  # not even the entry's time
    assert again is not live


def test_changing_an_owned_field_updates_it_and_the_entry_time() -> None:
    live = stored(apply(None, make_pod(), "kubectl", False, T0))
    changed = apply(live, make_pod(image="nginx:1.26"), "kubectl", False, T1)
    assert changed["spec"]["containers"] == [{"name": "main", "image": "nginx:1.26"}]
    assert entries(changed)["kubectl", "Apply"]["time"] == T1
    assert changed["metadata"]["uid"] == "u-1" and changed["metadata"]["resourceVersion"] == "7"


@pytest.mark.parametrize(("first", "second", "gone"), [
    (make_pod(labels={"app": "web", "tier": "front"}), make_pod(), lambda o: "tier" not in o["metadata"]["labels"]),
    (make_pod(labels={"app": "web"}), {**make_pod(), "metadata": {"name": "web"}},
     lambda o: "labels" not in o["metadata"]),
    (make_pod(labels={"app": "web"}), make_pod(labels={}), lambda o: o["metadata"]["labels"] == {}),
    (make_pod(containers=[{"name": "main", "image": "a"}, {"name": "side", "image": "b"}]), make_pod(image="a"),
     lambda o: [c["name"] for c in o["spec"]["containers"]] == ["main"]),
    (make_pod(containers=[{"name": "main", "image": "a", "env": [{"name": "X", "value": "1"}]}]), make_pod(image="a"),
     lambda o: "env" not in o["spec"]["containers"][0]),
    (make_pod(restartPolicy="Never"), make_pod(), lambda o: "restartPolicy" not in o["spec"]),
], ids=["label", "last-label-and-its-map", "label-but-an-empty-map-applied", "container", "env-entry",
        "spec-field"])
def test_a_field_the_applier_stops_applying_is_removed(first: dict[str, Any], second: dict[str, Any],
                                                       gone: Any) -> None:
    live = stored(apply(None, first, "kubectl", False, T0))
    after = apply(live, second, "kubectl", False, T1)
    assert gone(after)
    assert owned(after, "kubectl") == owned(apply(None, second, "kubectl", False, T0), "kubectl")


def test_a_field_an_update_manager_also_owns_is_kept() -> None:
    live = client_side_applied(make_pod(restartPolicy="Never"))
    shared = stored(apply(live, make_pod(restartPolicy="Never"), "kubectl", False, T1))  # same values: co-owned
    assert ".spec.restartPolicy" in owned(shared, "kubectl")
    after = apply(shared, make_pod(), "kubectl", False, T2)  # kubectl no longer applies restartPolicy
    assert after["spec"]["restartPolicy"] == "Never"
    assert ".spec.restartPolicy" not in owned(after, "kubectl")
    assert ".spec.restartPolicy" in owned(after, "kubectl-client-side-apply", "Update")


def test_an_element_goes_whole_unless_another_manager_owns_the_element_itself() -> None:
    """Kubernetes' rule for list items: the item's own ownership decides, not its fields'."""
    two = make_pod(containers=[{"name": "main", "image": "a"}, {"name": "side", "image": "b", "tty": True}])
    live = stored(apply(None, two, "kubectl", False, T0))
    edited = copy.deepcopy(live)
    edited["spec"]["containers"][1]["image"] = "b2"
    image_only = record_update(live, edited, "kubectl-edit", T1)  # owns side's image, not side
    after = apply(image_only, make_pod(image="a"), "kubectl", False, T2)
    assert after["spec"]["containers"] == [{"name": "main", "image": "a"}]
    assert ("kubectl-edit", "Update") not in entries(after)  # what it owned is gone
    # a manager that owns the element keeps it, with its key, and what else it owns
    co_owned = stored(apply(image_only, make_pod(containers=[{"name": "main", "image": "a"}, {"name": "side"}]),
                            "ci", False, T1))
    after = apply(co_owned, make_pod(image="a"), "kubectl", False, T2)
    assert after["spec"]["containers"] == [{"name": "main", "image": "a"}, {"name": "side", "image": "b2"}]


CSA_MESSAGE = ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: '
               '.spec.containers[name="main"].image')


def test_changing_a_field_a_client_side_apply_owns_is_a_conflict() -> None:
    live = client_side_applied(make_pod(image="nginx:1.25"))
    with pytest.raises(Conflict) as caught:
        apply(live, make_pod(image="nginx:1.26"), "kubectl", False, T1)
    err = caught.value
    assert err.message == CSA_MESSAGE
    assert err.causes == [{"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-client-side-apply" '
                           "using v1", "field": '.spec.containers[name="main"].image'}]
    assert (err.kind, err.name, err.http_code) == ("Pod", "web", 409)
    status = err.status()
    assert status["reason"] == "Conflict" and status["message"] == CSA_MESSAGE


@pytest.mark.parametrize(("others", "message"), [
    ([("kubectl-client-side-apply", "Update")],
     'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n'
     '- .spec.restartPolicy\n- .spec.containers[name="main"].image'),
    ([("ci", "Apply")],
     'Apply failed with 2 conflicts: conflicts with "ci":\n- .spec.restartPolicy\n'
     '- .spec.containers[name="main"].image'),
], ids=["update-manager", "apply-manager"])
def test_several_conflicts_are_listed_per_manager(others: list[tuple[str, str]], message: str) -> None:
    ((manager, operation),) = others
    first = make_pod(restartPolicy="Always")
    live = (record_update(None, stored(first), manager, T0) if operation == "Update"
            else stored(apply(None, first, manager, False, T0)))
    with pytest.raises(Conflict) as caught:
        apply(live, make_pod(image="nginx:2", restartPolicy="Never"), "kubectl", False, T1)
    assert caught.value.message == message
    assert [c["field"] for c in caught.value.causes] == ['.spec.restartPolicy', '.spec.containers[name="main"].image']


def test_conflicts_with_two_managers_are_grouped_in_manager_order() -> None:
    live = stored(apply(None, make_pod(image="a"), "zeta", False, T0))
    live = stored(apply(live, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                               "spec": {"restartPolicy": "Always"}}, "alpha", False, T0))
    with pytest.raises(Conflict) as caught:
        apply(live, make_pod(image="b", restartPolicy="Never"), "kubectl", False, T1)
    assert caught.value.message == ('Apply failed with 2 conflicts: conflicts with "alpha":\n- .spec.restartPolicy\n'
                                    'conflicts with "zeta":\n- .spec.containers[name="main"].image')


def test_force_takes_ownership_from_the_other_manager() -> None:
    live = client_side_applied(make_pod(image="nginx:1.25"))
    forced = apply(live, make_pod(image="nginx:1.26"), "kubectl", True, T1)
    assert forced["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert '.spec.containers[name="main"].image' in owned(forced, "kubectl")
    assert '.spec.containers[name="main"].image' not in owned(forced, "kubectl-client-side-apply", "Update")
    assert '.spec.containers[name="main"].name' in owned(forced, "kubectl-client-side-apply", "Update")
    # and the next apply of the same image is no conflict
    assert apply(stored(forced), make_pod(image="nginx:1.26"), "kubectl", False, T2) == stored(forced)


def test_two_appliers_setting_the_same_value_share_the_field() -> None:
    live = stored(apply(None, make_pod(image="nginx:1"), "alice", False, T0))
    shared = stored(apply(live, make_pod(image="nginx:1"), "bob", False, T1))  # same value: no conflict
    image = '.spec.containers[name="main"].image'
    assert image in owned(shared, "alice") and image in owned(shared, "bob")
    assert shared["spec"] == live["spec"]
    with pytest.raises(Conflict, match=r'conflict with "alice": \.spec\.containers\[name="main"\]\.image'):
        apply(shared, make_pod(image="nginx:2"), "bob", False, T2)
    # alice gives the field up (applies without the container): bob still owns it, so it stays
    released = apply(shared, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}}, "alice", False, T2)
    assert released["spec"]["containers"] == [{"name": "main", "image": "nginx:1"}]
    assert ("alice", "Apply") not in entries(released)


def test_the_first_apply_to_an_untracked_object_leaves_its_fields_to_before_first_apply() -> None:
    live = stored(make_pod(restartPolicy="Always"))  # written before anything tracked ownership
    after = apply(live, make_pod(image="nginx:2"), "kubectl", True, T1)
    assert after["spec"]["restartPolicy"] == "Always"  # not the applier's to remove
    assert ".spec.restartPolicy" in owned(after, BEFORE_FIRST_APPLY, "Update")
    assert '.spec.containers[name="main"].image' not in owned(after, BEFORE_FIRST_APPLY, "Update")
    with pytest.raises(Conflict, match=f'"{BEFORE_FIRST_APPLY}" using v1'):
        apply(live, make_pod(image="nginx:2"), "kubectl", False, T1)


def test_list_maps_merge_by_key_keeping_other_managers_elements_in_place() -> None:
    three = [{"name": n, "image": n} for n in ("a", "b", "c")]
    live = client_side_applied(make_pod(containers=three))
    after = apply(live, make_pod(containers=[{"name": "c", "image": "c"}, {"name": "a", "image": "a"},
                                             {"name": "d", "image": "d"}]), "kubectl", False, T1)
    assert [c["name"] for c in after["spec"]["containers"]] == ["b", "c", "a", "d"]


def test_server_defaults_do_not_split_a_list_map_element() -> None:
    """The API server defaults a port's protocol after the apply: the key it is
    owned by already said TCP, so re-applying finds the same element."""
    pod = make_pod(containers=[{"name": "main", "image": "x", "ports": [{"containerPort": 80}]}])
    live = stored(apply(None, pod, "kubectl", False, T0))
    live["spec"]["containers"][0].update(imagePullPolicy="IfNotPresent")
    live["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP"
    assert apply(live, pod, "kubectl", False, T1) == live


def test_kubectl_last_applied_patch_only_adds_its_annotation() -> None:
    """kubectl's second PATCH when it converts a client-side-applied object."""
    live = stored(apply(None, make_pod(), "kubectl", False, T0))
    annotation = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    after = apply(live, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "annotations": annotation}},
                  "kubectl-last-applied", False, T1)
    assert after["metadata"]["annotations"] == annotation and after["spec"] == live["spec"]
    assert owned(after, "kubectl-last-applied") == {".metadata.annotations.kubectl.kubernetes.io/last-applied-"
                                                    "configuration"}


def test_sets_and_atomic_lists() -> None:
    pod = make_pod(containers=[{"name": "main", "image": "x", "args": ["a", "b"]}])
    pod["metadata"]["finalizers"] = ["x/one"]
    live = client_side_applied(pod)
    live["metadata"]["finalizers"] = ["x/zero", "x/one"]
    mine = make_pod(containers=[{"name": "main", "image": "x", "args": ["c"]}])
    mine["metadata"]["finalizers"] = ["x/one", "x/two"]
    with pytest.raises(Conflict, match=r'\.spec\.containers\[name="main"\]\.args$'):
        apply(live, mine, "kubectl", False, T1)  # an atomic list is one field
    after = apply(live, mine, "kubectl", True, T1)
    assert after["metadata"]["finalizers"] == ["x/zero", "x/one", "x/two"]
    assert after["spec"]["containers"][0]["args"] == ["c"]
    assert {'.metadata.finalizers[="x/one"]', '.metadata.finalizers[="x/two"]'} <= owned(after, "kubectl")


def test_a_null_owns_the_field_and_removes_it() -> None:
    live = client_side_applied(make_pod(restartPolicy="Always"))
    pod = make_pod()
    pod["spec"]["restartPolicy"] = None
    after = apply(live, pod, "kubectl", True, T1)
    assert "restartPolicy" not in after["spec"] and ".spec.restartPolicy" in owned(after, "kubectl")


def test_status_is_neither_applied_nor_owned_on_the_main_resource() -> None:
    live = stored(apply(None, make_pod(), "kubectl", False, T0))
    live["status"] = {"phase": "Running"}
    pod = make_pod()
    pod["status"] = {"phase": "Failed"}
    assert apply(live, pod, "kubectl", False, T1) == live


def test_applying_to_the_status_subresource_owns_status_only() -> None:
    live = stored(apply(None, make_pod(), "kubectl", False, T0))
    status = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"nodeName": "n1"},
              "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    after = apply(live, status, "kubelet", False, T1, subresource="status")
    assert after["status"] == status["status"] and "nodeName" not in after["spec"]
    (entry,) = [e for e in after["metadata"]["managedFields"] if e["manager"] == "kubelet"]
    assert entry["subresource"] == "status"
    assert set(entry["fieldsV1"]) == {"f:status"}


def test_a_plain_list_keys_lookup_plugs_in() -> None:
    """The ListKeys shape (keys, () for a set, None for atomic), with a table of our own."""
    table = {("spec", "items"): ("id",), ("spec", "tags"): ()}
    lists = list_schema_from_keys(lambda api_version, kind, names: table.get(names))
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"items": [{"id": 1, "size": 2}], "tags": ["a"], "other": [1, 2]}}
    live = stored(apply(None, widget, "mgr", False, T0, lists=lists))
    assert owned(live, "mgr") == {".spec.items[id=1]", ".spec.items[id=1].id", ".spec.items[id=1].size",
                                  '.spec.tags[="a"]', ".spec.other"}
    more = copy.deepcopy(widget)
    more["spec"].update(items=[{"id": 2}], tags=["b"])
    after = apply(live, more, "mgr", False, T1, lists=lists)  # the old element and tag are no longer applied
    assert after["spec"]["items"] == [{"id": 2}] and after["spec"]["tags"] == ["b"]


@pytest.mark.parametrize(("current", "applied", "message"), [
    (None, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "managedFields": []}},
     "metadata.managedFields must be nil"),
    (None, make_pod(containers=[{"name": "a"}, {"name": "a"}]),
     'failed to create typed patch object (/v1, Kind=Pod): .spec.containers: duplicate entries for key [name="a"]'),
    (None, make_pod(containers=[{"image": "x"}]),
     'failed to create typed patch object (/v1, Kind=Pod): .spec.containers[0]: associative list with keys has an '
     'element that omits key field "name" (and doesn\'t have default value)'),
    (None, {"apiVersion": "v1", "kind": "Pod"}, "metadata.name is required in an apply patch"),
    (stored(make_pod()), {**make_pod(), "apiVersion": "v2"},
     "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1"),
    (stored(make_pod()), {**make_pod(), "metadata": {"name": "other"}},
     "the name of the object (other) does not match the name on the URL (web)"),
], ids=["managed-fields", "duplicate-key", "missing-key", "no-name", "version", "name"])
def test_bad_configurations_are_bad_requests(current: dict[str, Any] | None, applied: dict[str, Any],
                                             message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        apply(current, applied, "kubectl", False, T0)
    assert caught.value.message == message


@pytest.mark.parametrize(("body", "message"), [
    (b"a: [1, 2", "error decoding YAML"),
    (b"[1, 2]", "an apply patch must be an object, not array"),
    (b'{"kind": "Pod", "metadata": {"name": "x"}}', "Object 'apiVersion' is missing in the apply patch"),
    (b'{"apiVersion": "v1", "metadata": {"name": "x"}}', "Object 'Kind' is missing in the apply patch"),
    (b"\xff\xfe", "error decoding YAML: the body is not UTF-8"),
    (b"a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" + b"".join(
        b"%s: &%s [%s]\n" % (bytes([99 + i]), bytes([99 + i]), b", ".join([b"*" + bytes([98 + i])] * 10))
        for i in range(8)), "excessive aliasing"),
    (b"[" * 5000 + b"]" * 5000, "error decoding YAML"),
], ids=["bad-yaml", "list", "no-apiVersion", "no-kind", "not-utf8", "alias-bomb", "too-deep"])
def test_bad_bodies_are_one_line_bad_requests(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_applied(body)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_bodies_are_yaml_or_json() -> None:
    as_json = json.dumps(make_pod()).encode()
    as_yaml = b"apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\n" \
              b"spec:\n  containers:\n  - {name: main, image: 'nginx:1.25'}\n"
    assert parse_applied(as_json) == parse_applied(as_yaml) == make_pod()


# --- record_update -------------------------------------------------------------------------------------------------

def test_an_update_takes_over_the_fields_it_changes() -> None:
    live = stored(apply(None, make_pod(labels={"app": "web", "tier": "front"}), "kubectl", False, T0))
    edited = copy.deepcopy(live)
    edited["spec"]["containers"][0]["image"] = "nginx:9"  # changed: the editor's now
    del edited["metadata"]["labels"]["tier"]  # removed: nobody's
    edited["spec"]["nodeName"] = "n1"  # added: the editor's
    after = record_update(live, edited, "kubectl-edit", T1)
    assert owned(after, "kubectl-edit", "Update") == {'.spec.containers[name="main"].image', ".spec.nodeName"}
    assert owned(after, "kubectl") == {".metadata.labels.app", '.spec.containers[name="main"]',
                                       '.spec.containers[name="main"].name'}
    assert entries(after)["kubectl-edit", "Update"]["time"] == T1
    assert entries(after)["kubectl", "Apply"]["time"] == T0
    # the applier now conflicts with the editor on the image
    with pytest.raises(Conflict, match='conflict with "kubectl-edit" using v1'):
        apply(after, make_pod(image="nginx:1.26"), "kubectl", False, T2)


def test_a_create_owns_its_fields_with_kubernetes_dots() -> None:
    created = record_update(None, stored(make_pod()), "kubectl-create", T0)
    (entry,) = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["time"]) == ("kubectl-create", "Update", T0)
    assert entry["fieldsV1"]["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    assert entry["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"main"}'] == {".": {}, "f:image": {},
                                                                                 "f:name": {}}


def test_updates_of_the_same_manager_accumulate_and_noops_keep_the_time() -> None:
    live = record_update(None, stored(make_pod()), "ctl", T0)
    edited = copy.deepcopy(live)
    edited["spec"]["restartPolicy"] = "Never"
    after = record_update(live, edited, "ctl", T1)
    assert ".spec.restartPolicy" in owned(after, "ctl", "Update") and ".metadata.labels.app" in owned(
        after, "ctl", "Update")
    assert record_update(after, after, "ctl", T2) == after


def test_status_writes_are_owned_through_the_status_subresource_only() -> None:
    live = record_update(None, stored(make_pod()), "ctl", T0)
    running = copy.deepcopy(live)
    running["status"] = {"phase": "Running"}
    assert record_update(live, running, "ctl", T1)["metadata"]["managedFields"] == live["metadata"]["managedFields"]
    after = record_update(live, running, "kubelet", T1, subresource="status")
    assert owned(after, "kubelet", "Update") == {".status.phase"}
    assert entries(after)["kubelet", "Update"]["subresource"] == "status"


@pytest.mark.parametrize(("sent", "expect"), [
    ([{}], None),
    ("garbage", "ctl"),
    ([], "ctl"),
], ids=["single-empty-entry-clears", "undecodable-falls-back-to-stored", "empty-falls-back-to-stored"])
def test_managed_fields_sent_with_an_update(sent: Any, expect: str | None) -> None:
    live = record_update(None, stored(make_pod()), "ctl", T0)
    edited = copy.deepcopy(live)
    edited["metadata"]["managedFields"] = sent
    after = record_update(live, edited, "other", T1)
    assert [e["manager"] for e in after["metadata"].get("managedFields", [])] == ([expect] if expect else [])


def test_an_untracked_object_stays_untracked_by_updates() -> None:
    live = stored(make_pod())
    edited = copy.deepcopy(live)
    edited["spec"]["restartPolicy"] = "Never"
    assert "managedFields" not in record_update(live, edited, "ctl", T1)["metadata"]


def test_more_than_ten_update_managers_fold_into_ancient_changes() -> None:
    obj = record_update(None, stored(make_pod()), "m00", "2024-05-01T00:00:00Z")
    for i in range(1, 12):
        edited = copy.deepcopy(obj)
        edited["metadata"]["labels"][f"l{i}"] = "x"
        obj = record_update(obj, edited, f"m{i:02}", f"2024-05-01T00:{i:02}:00Z")
    managers = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(managers) == 10 and managers[0] == ANCIENT_CHANGES and "m00" not in managers
    assert ".spec.containers[name=\"main\"].image" in owned(obj, ANCIENT_CHANGES, "Update")
    assert ".metadata.labels.l2" in owned(obj, ANCIENT_CHANGES, "Update")


# --- property: applying twice is applying once ---------------------------------------------------------------------

_names = st.sampled_from(["main", "side", "init", ""])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False,
                                                                              width=16), st.sampled_from(["a", "b"]))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["x", "y", "name", "image", "f:z", "."]), inner,
                                                 max_size=3)), max_leaves=8)
_container = st.fixed_dictionaries({"name": _names}, optional={
    "image": st.sampled_from(["a", "b"]), "args": st.lists(st.sampled_from(["-v", "-q"]), max_size=2),
    "ports": st.lists(st.fixed_dictionaries({"containerPort": st.sampled_from([80, 443])},
                                            optional={"protocol": st.sampled_from(["TCP", "UDP"])}), max_size=2),
    "env": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["A", "B"])}, optional={"value": _json}),
                    max_size=2),
    "extra": _json})
_pods = st.builds(
    lambda labels, finalizers, containers, spec: {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": labels, "finalizers": finalizers},
        "spec": {"containers": containers, **spec}},
    st.dictionaries(st.sampled_from(["app", "tier", "x/y"]), st.sampled_from(["a", "b"]), max_size=2),
    st.lists(st.sampled_from(["f/1", "f/2"]), max_size=2),
    st.lists(_container, max_size=3),
    st.dictionaries(st.sampled_from(["restartPolicy", "nodeName", "volumes", "extra"]), _json, max_size=2))


def _apply_or_refuse(current: dict[str, Any] | None, pod: dict[str, Any], manager: str, force: bool,
                     now: str) -> dict[str, Any] | None:
    try:
        return apply(current, pod, manager, force, now)
    except (BadRequest, Conflict):
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_pods, second=_pods, force=st.booleans())
def test_applying_twice_is_applying_once(first: dict[str, Any], second: dict[str, Any], force: bool) -> None:
    created = _apply_or_refuse(None, first, "alice", False, T0)
    if created is None:
        return
    live = stored(created)
    assert apply(live, first, "alice", False, T1) == live
    # another applier, then an update, then the first again: nothing but BadRequest or Conflict, ever
    shared = _apply_or_refuse(live, second, "bob", force, T1)
    if shared is None:
        return
    assert apply(stored(shared), second, "bob", False, T2) == stored(shared)
    edited = copy.deepcopy(second)
    edited["metadata"] = {**stored(shared)["metadata"], "labels": {"edited": "yes"}}
    updated = record_update(stored(shared), edited, "editor", T2)
    again = _apply_or_refuse(updated, first, "alice", True, T2)
    assert again is not None  # forced, a valid configuration always applies
    assert apply(again, first, "alice", False, T2) == again
    alice = {e["manager"]: e for e in again["metadata"]["managedFields"]}.get("alice")
    expected = owned(apply(None, first, "alice", False, T0), "alice")
    assert (set() if alice is None else {path_string(p) for p in from_fields_v1(alice["fieldsV1"])}) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_pods, second=_pods)
def test_updates_never_fail_and_a_repeated_update_is_a_noop(first: dict[str, Any], second: dict[str, Any]) -> None:
    created = record_update(None, stored(first), "creator", T0)
    edited = {**second, "metadata": {**created["metadata"], "labels": second["metadata"]["labels"]}}
    updated = record_update(created, edited, "editor", T1)
    assert record_update(updated, updated, "editor", T2) == updated
    for entry in updated["metadata"].get("managedFields", []):
        assert from_fields_v1(entry["fieldsV1"])  # no empty entries are kept
