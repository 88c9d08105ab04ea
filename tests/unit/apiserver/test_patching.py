"""The API server's patch library: RFC 6902 JSON patch, RFC 7386 merge patch
and Kubernetes' strategic merge patch with every directive, under the per-kind
schema table; the content-type dispatch and its errors (400, 413, 415, 422).

Expected results of list ordering are Kubernetes' own (apimachinery's
strategicpatch test vectors where one exists): elements the patch names keep
the patch's order and are interleaved with the live ones, so an element new to
a list lands before the live elements, unless `$setElementOrder` says where."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiserver.patching import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    accepted_patch_types,
    apply_json_patch,
    apply_patch,
    field_schema,
    kind_schema,
    list_keys,
    merge_patch,
    parse_pointer,
    patch_type_of,
    strategic_merge_patch,
)
from apiserver.patching.schema import ATOMIC, DEFAULT, MERGE, SET, FieldSchema, KindSchema
from kubelite.api.registry import ALL_RESOURCES, resource_for_kind
from kubelite.errors import BadRequest, Invalid, RequestEntityTooLarge, StatusError, UnsupportedMediaType

POD_KIND = ("v1", "Pod")
NODE_KIND = ("v1", "Node")
POD_SCHEMA = kind_schema(*POD_KIND)
assert POD_SCHEMA is not None
ALLOWED_ERRORS = (BadRequest, Invalid, UnsupportedMediaType, RequestEntityTooLarge)

POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "default", "uid": "u-1", "resourceVersion": "7",
                 "labels": {"app": "web"}, "finalizers": ["a"],
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "o-1"}]},
    "spec": {
        "containers": [
            {"name": "main", "image": "python:3.11", "env": [{"name": "A", "value": "1"}],
             "ports": [{"containerPort": 80, "protocol": "TCP"}],
             "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
            {"name": "side", "image": "busybox"},
        ],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "tolerations": [{"key": "a", "operator": "Exists"}],
        "nodeName": "n1",
    },
    "status": {"phase": "Running",
               "conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}],
               "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0},
                                     {"name": "side", "ready": True, "restartCount": 1}]},
}

NODE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
    "spec": {"podCIDRs": ["10.0.0.0/24"], "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]},
    "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.1"}, {"type": "Hostname", "address": "n1"}],
               "conditions": [{"type": "Ready", "status": "True"}]},
}


def merged_by(key: str) -> FieldSchema:
    return FieldSchema(patch_strategy=(MERGE,), merge_key=key, list_type="map", list_map_keys=(key,))


def smp(current: dict[str, Any], patch: dict[str, Any], kind: tuple[str, str] = POD_KIND) -> dict[str, Any]:
    """Strategic merge patch through the content-type entry point, as the handlers call it."""
    return apply_patch(STRATEGIC_MERGE_PATCH, current, json.dumps(patch).encode(), kind)


def jp(current: Any, ops: Any) -> Any:
    return apply_patch(JSON_PATCH, current, json.dumps(ops).encode(), POD_KIND)


def with_(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `base` with the dotted `path` set to `value` (None deletes)."""
    out = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = out
    for name in parents:
        node = node[name]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return out


def names(items: list[dict[str, Any]], key: str = "name") -> list[Any]:
    return [item[key] for item in items]


# ---------------------------------------------------------------------------------------------
# RFC 6902 JSON patch

JSON_PATCH_CASES = [
    ("add-object-member", [{"op": "add", "path": "/metadata/labels/tier", "value": "front"}],
     with_(POD, "metadata.labels", {"app": "web", "tier": "front"})),
    ("add-replaces-an-existing-member", [{"op": "add", "path": "/metadata/labels/app", "value": "db"}],
     with_(POD, "metadata.labels", {"app": "db"})),
    ("add-creates-a-member-holding-an-object", [{"op": "add", "path": "/metadata/annotations", "value": {"a": "1"}}],
     with_(POD, "metadata.annotations", {"a": "1"})),
    ("add-inserts-into-an-array-at-an-index", [{"op": "add", "path": "/metadata/finalizers/0", "value": "z"}],
     with_(POD, "metadata.finalizers", ["z", "a"])),
    ("add-at-the-array-length-appends", [{"op": "add", "path": "/metadata/finalizers/1", "value": "z"}],
     with_(POD, "metadata.finalizers", ["a", "z"])),
    ("add-dash-appends", [{"op": "add", "path": "/metadata/finalizers/-", "value": "z"}],
     with_(POD, "metadata.finalizers", ["a", "z"])),
    ("add-null-value", [{"op": "add", "path": "/metadata/labels/x", "value": None}],
     with_(POD, "metadata.labels", {"app": "web", "x": None})),
    ("add-escaped-slash-and-tilde", [{"op": "add", "path": "/metadata/labels/a~1b", "value": "1"},
                                     {"op": "add", "path": "/metadata/labels/c~0d", "value": "2"},
                                     {"op": "add", "path": "/metadata/labels/~01", "value": "3"}],
     with_(POD, "metadata.labels", {"app": "web", "a/b": "1", "c~d": "2", "~1": "3"})),
    ("add-empty-key", [{"op": "add", "path": "/metadata/labels/", "value": "e"}],
     with_(POD, "metadata.labels", {"app": "web", "": "e"})),
    ("add-root-replaces-the-document", [{"op": "add", "path": "", "value": {"kind": "Pod"}}], {"kind": "Pod"}),
    ("remove-object-member", [{"op": "remove", "path": "/metadata/labels/app"}], with_(POD, "metadata.labels", {})),
    ("remove-array-element", [{"op": "remove", "path": "/spec/containers/1"}],
     with_(POD, "spec.containers", POD["spec"]["containers"][:1])),
    ("replace-object-member", [{"op": "replace", "path": "/spec/containers/0/image", "value": "python:3.12"}],
     with_(POD, "spec.containers", [{**POD["spec"]["containers"][0], "image": "python:3.12"},
                                    POD["spec"]["containers"][1]])),
    ("replace-array-element", [{"op": "replace", "path": "/metadata/finalizers/0", "value": "b"}],
     with_(POD, "metadata.finalizers", ["b"])),
    ("replace-root", [{"op": "replace", "path": "", "value": {"kind": "Pod"}}], {"kind": "Pod"}),
    ("move-object-member", [{"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/was"}],
     with_(POD, "metadata.labels", {"was": "web"})),
    ("move-array-element", [{"op": "move", "from": "/spec/containers/1", "path": "/spec/containers/0"}],
     with_(POD, "spec.containers", POD["spec"]["containers"][::-1])),
    ("move-to-itself-is-a-no-op", [{"op": "move", "from": "/metadata/name", "path": "/metadata/name"}], POD),
    ("copy-object-member", [{"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"}],
     with_(POD, "metadata.labels", {"app": "web", "name": "web"})),
    ("copy-array-element-to-the-end",
     [{"op": "copy", "from": "/metadata/finalizers/0", "path": "/metadata/finalizers/-"}],
     with_(POD, "metadata.finalizers", ["a", "a"])),
    ("test-passes-on-equal-objects-in-any-member-order",
     [{"op": "test", "path": "/spec/containers/1", "value": {"image": "busybox", "name": "side"}}], POD),
    ("test-numbers-compare-by-value", [{"op": "test", "path": "/spec/containers/0/ports/0/containerPort",
                                        "value": 80.0}], POD),
    ("test-root", [{"op": "test", "path": "", "value": POD}], POD),
    ("test-then-change", [{"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
                          {"op": "replace", "path": "/spec/nodeName", "value": "n2"}],
     with_(POD, "spec.nodeName", "n2")),
    ("extra-members-are-ignored", [{"op": "remove", "path": "/spec/nodeName", "value": 1, "comment": "x"}],
     with_(POD, "spec.nodeName", None)),
    ("empty-patch", [], POD),
]


@pytest.mark.parametrize(("ops", "expected"), [case[1:] for case in JSON_PATCH_CASES],
                         ids=[case[0] for case in JSON_PATCH_CASES])
def test_json_patch_operations(ops: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(POD)
    assert jp(POD, ops) == expected
    assert POD == before  # the stored object is never changed


def test_json_patch_the_cli_sequence() -> None:
    """The operations the CLI's own JSON patch test ran, now on the server."""
    ops = [{"op": "add", "path": "/metadata/labels/a~1b", "value": "1"},
           {"op": "replace", "path": "/spec/containers/0/image", "value": "python:3.12"},
           {"op": "add", "path": "/metadata/finalizers/-", "value": "z"},
           {"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"},
           {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/was"},
           {"op": "remove", "path": "/spec/containers/1"},
           {"op": "test", "path": "/metadata/labels/was", "value": "web"}]
    patched = jp(POD, ops)
    assert patched["metadata"]["labels"] == {"a/b": "1", "name": "web", "was": "web"}
    assert patched["metadata"]["finalizers"] == ["a", "z"]
    assert [c["image"] for c in patched["spec"]["containers"]] == ["python:3.12"]


JSON_PATCH_ERRORS: list[tuple[str, Any, type[StatusError], str]] = [
    ("body-not-an-array", {"op": "add"}, BadRequest,
     "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ("operation-not-an-object", ["x"], BadRequest,
     "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
    ("unknown-op", [{"op": "frobnicate", "path": "/a"}], BadRequest,
     'invalid operation {"op":"frobnicate","path":"/a"}: Unexpected kind: frobnicate'),
    ("missing-op", [{"path": "/a"}], BadRequest, 'invalid operation {"path":"/a"}: Unexpected kind: unknown'),
    ("missing-path", [{"op": "remove"}], BadRequest,
     "invalid operation {\"op\":\"remove\"}: failed to decode 'path': operation missing path field: missing value"),
    ("path-not-a-string", [{"op": "remove", "path": 3}], BadRequest,
     "invalid operation {\"op\":\"remove\",\"path\":3}: failed to decode 'path': json: cannot unmarshal number "
     "into Go value of type string"),
    ("move-without-from", [{"op": "move", "path": "/a"}], BadRequest,
     "invalid operation {\"op\":\"move\",\"path\":\"/a\"}: failed to decode 'from': operation, missing from field: "
     "missing value"),
    ("add-without-value", [{"op": "add", "path": "/a"}], BadRequest,
     "invalid operation {\"op\":\"add\",\"path\":\"/a\"}: failed to decode 'value': operation, missing value field: "
     "missing value"),
    ("test-without-value", [{"op": "test", "path": "/a"}], BadRequest, "failed to decode 'value'"),
    ("too-many-operations", [{"op": "test", "path": "", "value": 1}] * 10_001, RequestEntityTooLarge,
     "The allowed maximum operations in a JSON patch is 10000, got 10001"),
    ("remove-a-missing-key", [{"op": "remove", "path": "/nope"}], Invalid,
     "error in remove for path: '/nope': unable to remove nonexistent key: nope: missing value"),
    ("remove-under-a-missing-parent", [{"op": "remove", "path": "/spec/foo/bar"}], Invalid,
     'remove operation does not apply: doc is missing path: "/spec/foo/bar": missing value'),
    ("remove-the-root", [{"op": "remove", "path": ""}], Invalid,
     'remove operation does not apply: doc is missing path: "": missing value'),
    ("remove-array-index-out-of-range", [{"op": "remove", "path": "/spec/containers/2"}], Invalid,
     "error in remove for path: '/spec/containers/2': Unable to access invalid index: 2: invalid index referenced"),
    ("remove-dash", [{"op": "remove", "path": "/spec/containers/-"}], Invalid,
     "error in remove for path: '/spec/containers/-': Unable to access invalid index: -: invalid index referenced"),
    ("replace-a-missing-key", [{"op": "replace", "path": "/spec/foo", "value": 1}], Invalid,
     "replace operation does not apply: doc is missing key: /spec/foo: missing value"),
    ("replace-under-a-missing-parent", [{"op": "replace", "path": "/spec/foo/bar", "value": 1}], Invalid,
     "replace operation does not apply: doc is missing path: /spec/foo/bar: missing value"),
    ("add-under-a-missing-parent", [{"op": "add", "path": "/spec/foo/bar", "value": 1}], Invalid,
     'add operation does not apply: doc is missing path: "/spec/foo/bar": missing value'),
    ("add-under-a-string", [{"op": "add", "path": "/metadata/name/x", "value": 1}], Invalid,
     'add operation does not apply: doc is missing path: "/metadata/name/x": missing value'),
    ("add-past-the-array-end", [{"op": "add", "path": "/metadata/finalizers/2", "value": "z"}], Invalid,
     "error in add for path: '/metadata/finalizers/2': Unable to access invalid index: 2: invalid index referenced"),
    ("add-index-with-a-leading-zero", [{"op": "add", "path": "/metadata/finalizers/01", "value": "z"}], Invalid,
     "error in add for path: '/metadata/finalizers/01': value was not a proper array index: '01'"),
    ("add-negative-index", [{"op": "add", "path": "/metadata/finalizers/-1", "value": "z"}], Invalid,
     "value was not a proper array index: '-1'"),
    ("add-pointer-without-a-slash", [{"op": "add", "path": "metadata", "value": 1}], Invalid,
     'add operation does not apply: doc is missing path: "metadata": missing value'),
    ("add-pointer-with-a-bad-escape", [{"op": "add", "path": "/metadata/a~2", "value": 1}], Invalid,
     "doc is missing path"),
    ("test-fails-on-another-value", [{"op": "test", "path": "/metadata/name", "value": "db"}], Invalid,
     "testing value /metadata/name failed: test failed"),
    ("test-true-is-not-1", [{"op": "test", "path": "/status/containerStatuses/0/ready", "value": 1}], Invalid,
     "testing value /status/containerStatuses/0/ready failed: test failed"),
    ("test-a-missing-member-is-not-null", [{"op": "test", "path": "/metadata/nope", "value": None}], Invalid,
     "testing value /metadata/nope failed: test failed"),
    ("test-under-a-missing-parent", [{"op": "test", "path": "/spec/foo/bar", "value": 1}], Invalid,
     "test operation does not apply: is missing path: /spec/foo/bar: missing value"),
    ("move-from-a-missing-path", [{"op": "move", "from": "/spec/foo", "path": "/spec/bar"}], Invalid,
     "move operation does not apply: doc is missing from path: /spec/foo: missing value"),
    ("move-into-its-own-child", [{"op": "move", "from": "/spec", "path": "/spec/inner"}], Invalid,
     "move operation does not apply: from path /spec is a parent of path /spec/inner"),
    ("move-the-root", [{"op": "move", "from": "", "path": "/x"}], Invalid,
     "unable to move entire document to another path: invalid state detected"),
    ("move-to-a-missing-destination", [{"op": "move", "from": "/spec/nodeName", "path": "/x/y"}], Invalid,
     "move operation does not apply: doc is missing destination path: /x/y: missing value"),
    ("copy-from-a-missing-path", [{"op": "copy", "from": "/spec/foo", "path": "/spec/bar"}], Invalid,
     'copy operation does not apply: doc is missing from path: "/spec/foo": missing value'),
    ("copy-to-a-missing-destination", [{"op": "copy", "from": "/spec/nodeName", "path": "/x/y"}], Invalid,
     "copy operation does not apply: doc is missing destination path: /x/y: missing value"),
    ("copy-amplification-is-bounded", [{"op": "add", "path": "/x", "value": "y" * 1000}]
     + [{"op": "copy", "from": "", "path": f"/c{i}"} for i in range(12)], Invalid,
     "Unable to complete the copy, the accumulated size increase of"),
    ("root-turned-into-an-array", [{"op": "replace", "path": "", "value": [1]}], Invalid,
     "the patched document is a JSON array, not an object"),
]


@pytest.mark.parametrize(("ops", "error", "message"), [case[1:] for case in JSON_PATCH_ERRORS],
                         ids=[case[0] for case in JSON_PATCH_ERRORS])
def test_json_patch_errors(ops: Any, error: type[StatusError], message: str) -> None:
    before = copy.deepcopy(POD)
    with pytest.raises(error) as caught:
        jp(POD, ops)
    assert type(caught.value) is error
    assert message in caught.value.message
    assert POD == before


def test_json_patch_is_all_or_nothing_and_its_errors_travel_as_kubernetes_statuses() -> None:
    ops = [{"op": "replace", "path": "/spec/nodeName", "value": "n2"}, {"op": "remove", "path": "/nope"}]
    with pytest.raises(Invalid) as caught:
        apply_json_patch(POD, ops)
    assert POD["spec"]["nodeName"] == "n1"
    assert caught.value.status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Invalid", "code": 422,
        "message": "error in remove for path: '/nope': unable to remove nonexistent key: nope: missing value"}


@pytest.mark.parametrize(("pointer", "tokens"), [
    ("", []), ("/", [""]), ("/a/b", ["a", "b"]), ("/a~1b", ["a/b"]), ("/m~0n", ["m~n"]), ("/~01", ["~1"]),
    ("/a//b", ["a", "", "b"]), ("a", None), ("/a~", None), ("/a~2", None),
], ids=["root", "empty-token", "two-tokens", "escaped-slash", "escaped-tilde", "tilde-then-one", "empty-middle",
        "no-leading-slash", "dangling-tilde", "bad-escape"])
def test_json_pointers(pointer: str, tokens: list[str] | None) -> None:
    assert parse_pointer(pointer) == tokens


# ---------------------------------------------------------------------------------------------
# RFC 7386 merge patch


@pytest.mark.parametrize(("patch", "expected"), [
    ({"metadata": {"labels": {"color": "blue"}}}, with_(POD, "metadata.labels", {"app": "web", "color": "blue"})),
    ({"metadata": {"labels": None}}, with_(POD, "metadata.labels", None)),
    ({"spec": {"containers": [{"name": "main", "image": "x"}]}}, with_(POD, "spec.containers",
                                                                       [{"name": "main", "image": "x"}])),
    ({"spec": {"nodeName": None, "hostname": {"a": None, "b": 1}}},
     with_(with_(POD, "spec.nodeName", None), "spec.hostname", {"b": 1})),
    ({}, POD),
], ids=["label-added", "labels-null-removes-labels", "lists-are-replaced", "nulls-delete-and-are-dropped", "empty"])
def test_merge_patch(patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert apply_patch(MERGE_PATCH, POD, json.dumps(patch).encode(), POD_KIND) == expected


def test_scale_merge_patch() -> None:
    """`kubectl scale` patches the /scale subresource with a merge patch."""
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "web"}, "spec": {"replicas": 1}}
    patched = apply_patch(MERGE_PATCH, scale, b'{"spec":{"replicas":3}}', ("autoscaling/v1", "Scale"))
    assert patched["spec"] == {"replicas": 3}


# ---------------------------------------------------------------------------------------------
# strategic merge patch: what kubectl sends

LAST_APPLIED = ('{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"labels":{"tier":"b"},"name":"app",'
                '"namespace":"default"},"spec":{"containers":[{"env":[{"name":"A","value":"2"}],"image":"nginx:1.26",'
                '"name":"main"}]}}\n')
APP_POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "app", "namespace": "default", "uid": "u-9", "resourceVersion": "12",
                 "labels": {"tier": "a"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...old manifest...}\n"}},
    "spec": {"containers": [{"name": "main", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}],
                             "resources": {}, "terminationMessagePath": "/dev/termination-log"}],
             "restartPolicy": "Always", "nodeName": "n1"},
    "status": {"phase": "Running"},
}


def test_the_patch_kubectl_apply_sends() -> None:
    """KUBECTL-WIRE.md §1: `kubectl apply -f app2.yaml` (image, a label and an env value changed), byte for byte."""
    body = ('{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":' + json.dumps(LAST_APPLIED)
            + '},"labels":{"tier":"b"}},"spec":{"$setElementOrder/containers":[{"name":"main"}],"containers":'
            '[{"$setElementOrder/env":[{"name":"A"}],"env":[{"name":"A","value":"2"}],"image":"nginx:1.26",'
            '"name":"main"}]}}').encode()
    patched = apply_patch("application/strategic-merge-patch+json", APP_POD, body, POD_KIND)
    expected = copy.deepcopy(APP_POD)
    expected["metadata"]["labels"] = {"tier": "b"}
    expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = LAST_APPLIED
    expected["spec"]["containers"][0].update(image="nginx:1.26", env=[{"name": "A", "value": "2"}])
    assert patched == expected


def test_kubectl_apply_removing_every_label_sends_labels_null() -> None:
    patched = smp(APP_POD, {"metadata": {"labels": None}})
    assert "labels" not in patched["metadata"]
    assert patched["metadata"]["annotations"] == APP_POD["metadata"]["annotations"]


def test_kubectl_apply_adding_a_container_and_an_env_var_in_order() -> None:
    """What client-side apply sends when the manifest gains a sidecar and an env var before A."""
    patched = smp(APP_POD, {"spec": {
        "$setElementOrder/containers": [{"name": "main"}, {"name": "side"}],
        "containers": [{"$setElementOrder/env": [{"name": "Z"}, {"name": "A"}], "env": [{"name": "Z", "value": "0"}],
                        "name": "main"},
                       {"image": "busybox", "name": "side"}]}})
    assert names(patched["spec"]["containers"]) == ["main", "side"]
    assert patched["spec"]["containers"][0]["env"] == [{"name": "Z", "value": "0"}, {"name": "A", "value": "1"}]
    assert patched["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_cordon_and_uncordon() -> None:
    cordoned = smp(NODE, {"spec": {"unschedulable": True}}, NODE_KIND)
    assert cordoned["spec"] == {**NODE["spec"], "unschedulable": True}
    assert cordoned["status"] == NODE["status"]
    assert smp(cordoned, {"spec": {"unschedulable": None}}, NODE_KIND) == NODE


def test_taint_add_the_way_kubectl_taint_sends_it() -> None:
    """Node spec.taints has no patch strategy in Kubernetes (`+listType=atomic`):
    `kubectl taint` diffs the whole list, so the patch carries all of it."""
    taints = [*NODE["spec"]["taints"], {"key": "gpu", "value": "true", "effect": "NoExecute"}]
    patched = smp(NODE, {"spec": {"taints": taints}}, NODE_KIND)
    assert patched["spec"]["taints"] == taints
    # a patch naming only the new taint replaces the list: taints do not merge by key
    only_new = smp(NODE, {"spec": {"taints": taints[1:]}}, NODE_KIND)
    assert only_new["spec"]["taints"] == taints[1:]


def test_taint_add_with_set_element_order_is_refused_for_want_of_a_merge_key() -> None:
    """A client that believes taints merge by key sends `$setElementOrder/taints`; Kubernetes crashes on it
    (500), merging it as a replace would drop the live taints silently; the server refuses it instead."""
    patch = {"spec": {"$setElementOrder/taints": [{"key": "dedicated"}, {"key": "gpu"}],
                      "taints": [{"key": "gpu", "value": "true", "effect": "NoExecute"}]}}
    with pytest.raises(BadRequest, match=r"\$setElementOrder/taints: spec\.taints is not a list merged by key"):
        smp(NODE, patch, NODE_KIND)


def test_taints_merge_by_key_where_a_schema_says_so() -> None:
    """The same patch under a schema whose taints merge by key (as the brief assumed) orders as asked."""
    keyed = KindSchema("v1", "Node", {("spec", "taints"): merged_by("key")})
    patch = {"spec": {"$setElementOrder/taints": [{"key": "dedicated"}, {"key": "gpu"}],
                      "taints": [{"key": "gpu", "value": "true", "effect": "NoExecute"}]}}
    patched = strategic_merge_patch(NODE, patch, keyed)
    assert names(patched["spec"]["taints"], "key") == ["dedicated", "gpu"]


def test_rollout_restart_and_set_image_on_a_deployment_template() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                      "containers": [{"name": "web", "image": "nginx:1.25"}, {"name": "log", "image": "busybox"}]}}}}
    restarted = smp(deployment, {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}, ("apps/v1", "Deployment"))
    assert restarted["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}
    set_image = {"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.26", "name": "web"}]}}}}
    updated = smp(deployment, set_image, ("apps/v1", "Deployment"))
    assert updated["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "nginx:1.26"},
                                                                 {"name": "log", "image": "busybox"}]


# ---------------------------------------------------------------------------------------------
# strategic merge patch: every list strategy and directive

CONTAINERS = POD["spec"]["containers"]
MAIN, SIDE = CONTAINERS

SMP_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("maps-merge-recursively", POD, {"metadata": {"labels": {"tier": "front"}}, "spec": {"dnsConfig": {"x": 1}}},
     with_(with_(POD, "metadata.labels", {"app": "web", "tier": "front"}), "spec.dnsConfig", {"x": 1})),
    ("null-deletes-a-key", POD, {"spec": {"nodeName": None, "absent": None}}, with_(POD, "spec.nodeName", None)),
    ("labels-null-removes-labels", POD, {"metadata": {"labels": None}}, with_(POD, "metadata.labels", None)),
    ("a-value-of-another-type-replaces", POD, {"spec": {"tolerations": {"key": "x"}, "nodeName": {"a": None}}},
     with_(with_(POD, "spec.tolerations", {"key": "x"}), "spec.nodeName", {})),
    ("a-new-object-has-its-nulls-dropped", POD, {"spec": {"dnsConfig": {"a": None, "b": {"c": None, "d": 1}}}},
     with_(POD, "spec.dnsConfig", {"b": {"d": 1}})),
    ("containers-merge-by-name", POD, {"spec": {"containers": [{"name": "main", "image": "python:3.12"}]}},
     with_(POD, "spec.containers", [{**MAIN, "image": "python:3.12"}, SIDE])),
    ("a-new-container-goes-before-the-live-ones", POD, {"spec": {"containers": [{"name": "new", "image": "x"}]}},
     with_(POD, "spec.containers", [{"name": "new", "image": "x"}, MAIN, SIDE])),
    ("containers-keep-the-patch-order", POD, {"spec": {"containers": [{"name": "side"}, {"name": "main"}]}},
     with_(POD, "spec.containers", [SIDE, MAIN])),
    ("patch-delete-removes-a-container", POD, {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
     with_(POD, "spec.containers", [MAIN])),
    ("patch-delete-of-an-absent-container-is-a-no-op", POD,
     {"spec": {"containers": [{"name": "gone", "$patch": "delete"}]}}, POD),
    ("patch-delete-removes-every-duplicate",
     with_(POD, "spec.containers", [{"name": "a", "image": "1"}, {"name": "a", "image": "2"}, SIDE]),
     {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}, with_(POD, "spec.containers", [SIDE])),
    ("patch-replace-in-a-list-replaces-the-list", POD,
     {"spec": {"containers": [{"name": "only", "image": "x", "env": [{"name": "B", "value": None}]},
                              {"$patch": "replace"}]}},
     with_(POD, "spec.containers", [{"name": "only", "image": "x", "env": [{"name": "B"}]}])),
    ("patch-replace-alone-empties-a-list", POD, {"spec": {"containers": [{"$patch": "replace"}]}},
     with_(POD, "spec.containers", [])),
    ("patch-replace-on-a-map-replaces-it", POD, {"metadata": {"labels": {"$patch": "replace", "only": "this"}}},
     with_(POD, "metadata.labels", {"only": "this"})),
    ("patch-replace-on-a-map-alone-empties-it", POD, {"spec": {"$patch": "replace"}}, with_(POD, "spec", {})),
    ("patch-delete-on-a-map-deletes-it", POD, {"spec": {"containers": [{"name": "main", "ports": [
        {"containerPort": 80, "protocol": "TCP"}], "volumeMounts": {"$patch": "delete"}}]}, "status": {
        "$patch": "delete"}},
     with_(with_(POD, "spec.containers", [{k: v for k, v in MAIN.items() if k != "volumeMounts"}, SIDE]), "status",
           None)),
    ("patch-delete-on-an-absent-map-is-a-no-op", POD, {"spec": {"securityContext": {"$patch": "delete"}}}, POD),
    ("patch-merge-is-the-default", POD, {"metadata": {"$patch": "merge", "labels": {"$patch": "merge", "b": "2"}},
                                          "spec": {"containers": [{"$patch": "merge", "name": "side", "tty": True}]}},
     with_(with_(POD, "metadata.labels", {"app": "web", "b": "2"}), "spec.containers", [MAIN, {**SIDE, "tty": True}])),
    ("env-merges-by-name-inside-a-container", POD,
     {"spec": {"containers": [{"name": "main", "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]}]}},
     with_(POD, "spec.containers", [{**MAIN, "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
                                    SIDE])),
    ("a-new-env-var-goes-first-without-an-order", POD,
     {"spec": {"containers": [{"name": "main", "env": [{"name": "B", "value": "2"}]}]}},
     with_(POD, "spec.containers", [{**MAIN, "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
                                    SIDE])),
    ("ports-merge-by-container-port", POD,
     {"spec": {"containers": [{"name": "main", "ports": [{"containerPort": 80, "name": "http"},
                                                         {"containerPort": 443}]}]}},
     with_(POD, "spec.containers", [{**MAIN, "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"},
                                                       {"containerPort": 443}]}, SIDE])),
    ("volume-mounts-merge-by-mount-path", POD,
     {"spec": {"containers": [{"name": "main", "volumeMounts": [{"mountPath": "/data", "readOnly": True}]}]}},
     with_(POD, "spec.containers", [{**MAIN, "volumeMounts": [{"name": "data", "mountPath": "/data",
                                                               "readOnly": True}]}, SIDE])),
    ("volumes-merge-by-name-and-retain-keys-switches-the-source", POD,
     {"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}, "name": "data"}]}},
     with_(POD, "spec.volumes", [{"name": "data", "configMap": {"name": "cfg"}}])),
    ("retain-keys-with-a-null-for-an-unlisted-key", POD,
     {"spec": {"volumes": [{"$retainKeys": ["name", "emptyDir"], "name": "data", "hostPath": None,
                            "emptyDir": {"medium": "Memory"}}]}},
     with_(POD, "spec.volumes", [{"name": "data", "emptyDir": {"medium": "Memory"}}])),
    ("image-pull-secrets-merge-by-name", with_(POD, "spec.imagePullSecrets", [{"name": "a"}]),
     {"spec": {"imagePullSecrets": [{"name": "a"}, {"name": "b"}]}},
     with_(POD, "spec.imagePullSecrets", [{"name": "a"}, {"name": "b"}])),
    ("init-containers-merge-by-name", with_(POD, "spec.initContainers", [{"name": "init", "image": "a"}]),
     {"spec": {"initContainers": [{"name": "init", "image": "b"}]}},
     with_(POD, "spec.initContainers", [{"name": "init", "image": "b"}])),
    ("ephemeral-containers-merge-by-name", with_(POD, "spec.ephemeralContainers", [{"name": "dbg", "image": "a"}]),
     {"spec": {"ephemeralContainers": [{"name": "dbg2", "image": "b"}]}},
     with_(POD, "spec.ephemeralContainers", [{"name": "dbg2", "image": "b"}, {"name": "dbg", "image": "a"}])),
    ("host-aliases-merge-by-ip", with_(POD, "spec.hostAliases", [{"ip": "10.0.0.1", "hostnames": ["a"]}]),
     {"spec": {"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["b"]}]}},
     with_(POD, "spec.hostAliases", [{"ip": "10.0.0.1", "hostnames": ["b"]}])),
    ("topology-spread-constraints-merge-by-topology-key",
     with_(POD, "spec.topologySpreadConstraints", [{"topologyKey": "zone", "maxSkew": 1}]),
     {"spec": {"topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}]}},
     with_(POD, "spec.topologySpreadConstraints", [{"topologyKey": "zone", "maxSkew": 2}])),
    ("tolerations-are-replaced", POD, {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}},
     with_(POD, "spec.tolerations", [{"key": "b", "operator": "Exists"}])),
    ("readiness-gates-are-replaced", with_(POD, "spec.readinessGates", [{"conditionType": "a"}]),
     {"spec": {"readinessGates": [{"conditionType": "b"}]}},
     with_(POD, "spec.readinessGates", [{"conditionType": "b"}])),
    ("container-args-are-replaced", with_(POD, "spec.containers", [{**MAIN, "args": ["a", "b"]}, SIDE]),
     {"spec": {"containers": [{"name": "main", "args": ["c"]}]}},
     with_(POD, "spec.containers", [{**MAIN, "args": ["c"]}, SIDE])),
    ("pod-conditions-merge-by-type", POD, {"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
     with_(POD, "status.conditions", [{"type": "Ready", "status": "False"},
                                      {"type": "Initialized", "status": "True"}])),
    ("container-statuses-are-replaced-they-have-no-merge-key", POD,
     {"status": {"containerStatuses": [{"name": "main", "ready": False, "restartCount": 1}]}},
     with_(POD, "status.containerStatuses", [{"name": "main", "ready": False, "restartCount": 1}])),
    ("owner-references-merge-by-uid", POD,
     {"metadata": {"ownerReferences": [{"uid": "o-1", "controller": True}]}},
     with_(POD, "metadata.ownerReferences", [{**POD["metadata"]["ownerReferences"][0], "controller": True}])),
    ("finalizers-merge-as-a-set", POD, {"metadata": {"finalizers": ["b", "a", "b"]}},
     with_(POD, "metadata.finalizers", ["b", "a"])),
    ("finalizers-union-keeps-live-ones-before-later-patch-ones", with_(POD, "metadata.finalizers", [1, 2]),
     {"metadata": {"finalizers": [2, 3]}}, with_(POD, "metadata.finalizers", [1, 2, 3])),
    ("delete-from-primitive-list", with_(POD, "metadata.finalizers", ["a", "b", "c", "b"]),
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "c", "zz"]}}, with_(POD, "metadata.finalizers", ["a"])),
    ("delete-from-an-absent-primitive-list-is-a-no-op", with_(POD, "metadata.finalizers", None),
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, with_(POD, "metadata.finalizers", None)),
    ("set-element-order-reorders-containers", POD, {"spec": {"$setElementOrder/containers": [{"name": "side"},
                                                                                              {"name": "main"}]}},
     with_(POD, "spec.containers", [SIDE, MAIN])),
    ("set-element-order-places-a-new-container", POD,
     {"spec": {"$setElementOrder/containers": [{"name": "main"}, {"name": "side"}, {"name": "new"}],
               "containers": [{"name": "new", "image": "x"}]}},
     with_(POD, "spec.containers", [MAIN, SIDE, {"name": "new", "image": "x"}])),
    ("set-element-order-with-a-delete", POD,
     {"spec": {"$setElementOrder/containers": [{"name": "new"}, {"name": "main"}],
               "containers": [{"name": "new"}, {"name": "side", "$patch": "delete"}]}},
     with_(POD, "spec.containers", [{"name": "new"}, MAIN])),
    ("set-element-order-ignores-names-not-in-the-list", POD,
     {"spec": {"$setElementOrder/containers": [{"name": "ghost"}, {"name": "side"}, {"name": "main"}]}},
     with_(POD, "spec.containers", [SIDE, MAIN])),
    ("set-element-order-of-a-primitive-list", with_(POD, "metadata.finalizers", ["a", "b", "c"]),
     {"metadata": {"$setElementOrder/finalizers": ["c", "a", "b"]}},
     with_(POD, "metadata.finalizers", ["c", "a", "b"])),
    ("set-element-order-add-and-delete-in-a-primitive-list", with_(POD, "metadata.finalizers", [1, 2, 3]),
     {"metadata": {"$setElementOrder/finalizers": [4, 2, 1], "finalizers": [4],
                   "$deleteFromPrimitiveList/finalizers": [3]}}, with_(POD, "metadata.finalizers", [4, 2, 1])),
    ("set-element-order-for-a-list-the-object-lacks", with_(POD, "spec.containers", [{"name": "main"}]),
     {"spec": {"containers": [{"name": "main", "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
                               "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]}},
     with_(POD, "spec.containers", [{"name": "main", "env": [{"name": "B", "value": "2"},
                                                             {"name": "A", "value": "1"}]}])),
    ("a-new-value-is-merged-into-nothing", POD,
     {"spec": {"initContainers": [{"name": "i", "env": [{"name": "X", "value": None}]}, {"name": "gone", "$patch":
                                  "delete"}, {"name": "i", "image": "a"}],
               "securityContext": {"$patch": "replace", "runAsUser": 1}, "affinity": {"$patch": "delete"}}},
     with_(with_(POD, "spec.initContainers", [{"name": "i", "env": [{"name": "X"}], "image": "a"}]),
           "spec.securityContext", {"runAsUser": 1})),
    ("root-patch-replace", POD, {"$patch": "replace", "kind": "Pod", "metadata": {"name": "x"}},
     {"kind": "Pod", "metadata": {"name": "x"}}),
    ("root-patch-delete", POD, {"$patch": "delete"}, {}),
    ("empty-patch", POD, {}, POD),
]


@pytest.mark.parametrize(("current", "patch", "expected"), [case[1:] for case in SMP_CASES],
                         ids=[case[0] for case in SMP_CASES])
def test_strategic_merge_patch(current: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    before, patch_before = copy.deepcopy(current), copy.deepcopy(patch)
    assert smp(current, patch) == expected
    assert strategic_merge_patch(current, patch, POD_SCHEMA) == expected
    assert current == before and patch == patch_before


# apimachinery's own vectors (strategicpatch/patch_test.go), on a schema with the names they use
TEST_SCHEMA = KindSchema("test/v1", "MergeItem", {("mergingList",): merged_by("name"), ("mergingIntList",): SET,
                                                  ("retainKeysMap",): FieldSchema(patch_strategy=("retainKeys",))})


def _items(*specs: Any) -> list[dict[str, Any]]:
    return [spec if isinstance(spec, dict) else {"name": spec} for spec in specs]


KUBERNETES_VECTORS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("set-elements-order-with-server-only-items",
     {"mergingList": _items({"name": 1, "other": "a"}, {"name": 3, "value": 3}, {"name": 4, "value": 4},
                            {"name": 2, "value": 2}, 9)},
     {"$setElementOrder/mergingList": _items(4, 2, 3, 1)},
     {"mergingList": _items({"name": 4, "value": 4}, {"name": 2, "value": 2}, {"name": 3, "value": 3},
                            {"name": 1, "other": "a"}, 9)}),
    ("set-elements-order-with-server-only-items-2",
     {"mergingList": _items({"name": 1, "other": "a"}, {"name": 2, "value": 2}, 9, {"name": 3, "value": 3},
                            {"name": 4, "value": 4})},
     {"$setElementOrder/mergingList": _items(2, 1, 4, 3)},
     {"mergingList": _items({"name": 2, "value": 2}, {"name": 1, "other": "a"}, 9, {"name": 4, "value": 4},
                            {"name": 3, "value": 3})}),
    ("set-elements-order-with-server-only-items-3",
     {"mergingList": _items({"name": 1, "other": "a"}, {"name": 2, "value": 2}, 7, 9, 8, {"name": 3, "value": 3},
                            {"name": 4, "value": 4})},
     {"$setElementOrder/mergingList": _items(2, 1, 4, 3)},
     {"mergingList": _items({"name": 2, "value": 2}, {"name": 1, "other": "a"}, 7, 9, 8, {"name": 4, "value": 4},
                            {"name": 3, "value": 3})}),
    ("set-elements-order-in-an-int-list-with-server-only-items-3", {"mergingIntList": [1, 2, 7, 9, 8, 3, 4]},
     {"$setElementOrder/mergingIntList": [2, 1, 4, 3]}, {"mergingIntList": [2, 1, 7, 9, 8, 4, 3]}),
    ("add-and-delete-an-item-and-preserve-order",
     {"mergingList": _items({"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"},
                            {"name": 3, "value": 3})},
     {"$setElementOrder/mergingList": _items(4, 2, 1),
      "mergingList": [{"name": 4, "value": 4}, {"name": 3, "$patch": "delete"}]},
     {"mergingList": _items({"name": 4, "value": 4}, {"name": 2, "value": 2, "other": "b"},
                            {"name": 1, "other": "a"})}),
    ("set-element-order-with-duplicates",
     {"mergingList": _items(1, {"name": 2, "value": "dup1"}, 3, {"name": 2, "value": "dup2"}, 4)},
     {"$setElementOrder/mergingList": _items(2, 1, 4, 3, 2)},
     {"mergingList": _items({"name": 2, "value": "dup1"}, {"name": 2, "value": "dup2"}, 1, 4, 3)}),
    ("set-element-order-in-an-int-list-with-duplicates", {"mergingIntList": [1, 2, 3, 2, 4]},
     {"$setElementOrder/mergingIntList": [2, 1, 4, 3, 2]}, {"mergingIntList": [2, 2, 1, 4, 3]}),
    ("set-element-order-names-an-item-the-list-lacks", {"mergingList": _items(1, 3)},
     {"$setElementOrder/mergingList": _items(3, 2, 1), "mergingList": [{"name": 3, "value": 3},
                                                                       {"name": 1, "value": 1}]},
     {"mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]}),
    ("preserve-the-order-from-the-patch", {"mergingList": _items(1, {"name": 2, "value": "b"}, 3)},
     {"mergingList": [{"name": 3, "value": "c"}, {"name": 1, "value": "a"}, {"name": 2, "other": "x"}]},
     {"mergingList": [{"name": 3, "value": "c"}, {"name": 1, "value": "a"}, {"name": 2, "value": "b", "other": "x"}]}),
    ("preserve-the-order-from-the-patch-2", {"mergingList": _items(1, {"name": 2, "value": "b"}, 3)},
     {"mergingList": [{"name": 3, "value": "c"}, {"name": 1, "value": "a"}]},
     {"mergingList": [{"name": 2, "value": "b"}, {"name": 3, "value": "c"}, {"name": 1, "value": "a"}]}),
    ("preserve-the-order-from-the-patch-in-an-int-list", {"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1]},
     {"mergingIntList": [2, 3, 1]}),
    ("unique-scalars-when-merging-lists", {"mergingIntList": [1, 2]}, {"mergingIntList": [2, 3]},
     {"mergingIntList": [1, 2, 3]}),
    ("delete-all-duplicate-entries", {"mergingList": _items(1, 1, {"name": 2, "value": "a"}, 3, 3)},
     {"mergingList": [{"name": 1, "$patch": "delete"}, {"name": 3, "$patch": "delete"}]},
     {"mergingList": [{"name": 2, "value": "a"}]}),
    ("delete-all-items-from-a-merging-list", {"mergingList": _items(1, 2)}, {"mergingList": [{"$patch": "replace"}]},
     {"mergingList": []}),
    ("delete-and-reorder-in-one-list", {"mergingList": [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}]},
     {"$setElementOrder/mergingList": [{"name": "b"}], "mergingList": [{"$patch": "delete", "name": "a"}]},
     {"mergingList": [{"name": "b", "value": "b"}]}),
    ("add-key-and-delete-all-keys-from-a-map", {"name": 1, "value": 1}, {"other": "a", "$patch": "replace"},
     {"other": "a"}),
    ("retain-keys-map-merges-an-empty-map", {"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {}},
     {"retainKeysMap": {"name": "foo", "value": "a"}}),
    ("retain-keys-clears-the-unlisted-keys", {"retainKeysMap": {"name": "foo", "value": "a", "other": "b"}},
     {"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "c"}},
     {"retainKeysMap": {"name": "foo", "other": "c"}}),
]


@pytest.mark.parametrize(("current", "patch", "expected"), [case[1:] for case in KUBERNETES_VECTORS],
                         ids=[case[0] for case in KUBERNETES_VECTORS])
def test_kubernetes_strategic_merge_patch_vectors(current: dict[str, Any], patch: dict[str, Any],
                                                  expected: dict[str, Any]) -> None:
    assert strategic_merge_patch(current, patch, TEST_SCHEMA) == expected


def test_the_design_proposal_example_orders_finalizers_as_the_implementation_does() -> None:
    """preserve-order-in-strategic-merge-patch.md's finalizers example: the live list was reordered and grown
    by the server; the user's apply adds f and drops c. (The proposal draws [e d a b f]; Kubernetes' code,
    followed here, keeps d after the patch items since it followed them in the live list.)"""
    live = with_(POD, "metadata.finalizers", ["b", "e", "a", "c", "d"])
    patched = smp(live, {"metadata": {"$setElementOrder/finalizers": ["a", "b", "f"],
                                      "$deleteFromPrimitiveList/finalizers": ["c"], "finalizers": ["f"]}})
    assert patched["metadata"]["finalizers"] == ["e", "a", "b", "f", "d"]


def test_a_deployment_strategy_switch_with_retain_keys() -> None:
    """kubectl sends `$retainKeys` for `patchStrategy: retainKeys` fields such as a deployment's strategy."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    patched = smp(deployment, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
                  ("apps/v1", "Deployment"))
    assert patched["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize(("kind", "current", "patch", "path", "expected"), [
    (("v1", "Namespace"), {"metadata": {"finalizers": ["a"]}, "spec": {"finalizers": ["kubernetes"]}},
     {"metadata": {"finalizers": ["b"]}, "spec": {"finalizers": ["other"]}}, None,
     {"metadata": {"finalizers": ["b", "a"]}, "spec": {"finalizers": ["other"]}}),
    (("v1", "ServiceAccount"), {"secrets": [{"name": "a"}], "imagePullSecrets": [{"name": "a"}]},
     {"secrets": [{"name": "b"}], "imagePullSecrets": [{"name": "b"}]}, None,
     {"secrets": [{"name": "b"}, {"name": "a"}], "imagePullSecrets": [{"name": "b"}]}),
    (("v1", "Service"), {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
     {"spec": {"ports": [{"port": 80, "name": "http"}]}}, None,
     {"spec": {"ports": [{"port": 80, "targetPort": 8080, "name": "http"}]}}),
    (NODE_KIND, NODE, {"status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.2"}],
                                  "conditions": [{"type": "MemoryPressure", "status": "False"}]}}, "status",
     {"addresses": [{"type": "InternalIP", "address": "10.1.0.2"}, {"type": "Hostname", "address": "n1"}],
      "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]}),
    (NODE_KIND, NODE, {"spec": {"podCIDRs": ["fd00::/64"]}}, "spec",
     {**NODE["spec"], "podCIDRs": ["fd00::/64", "10.0.0.0/24"]}),
    (("rbac.authorization.k8s.io/v1", "RoleBinding"), {"subjects": [{"kind": "User", "name": "alice"}]},
     {"subjects": [{"kind": "User", "name": "bob"}]}, None, {"subjects": [{"kind": "User", "name": "bob"}]}),
    (("rbac.authorization.k8s.io/v1", "Role"), {"rules": [{"verbs": ["get"], "resources": ["pods"]}]},
     {"rules": [{"verbs": ["list"], "resources": ["pods"]}]}, None, {"rules": [{"verbs": ["list"],
                                                                                "resources": ["pods"]}]}),
], ids=["namespace-spec-finalizers-are-atomic-metadata-ones-a-set",
        "service-account-image-pull-secrets-are-atomic-its-secrets-merge", "service-ports-merge-by-port",
        "node-addresses-and-conditions-merge-by-type", "node-pod-cidrs-are-a-set", "role-binding-subjects-are-replaced",
        "role-rules-are-replaced"])
def test_merge_strategies_come_from_the_kind_and_path(kind: tuple[str, str], current: dict[str, Any],
                                                      patch: dict[str, Any], path: str | None,
                                                      expected: dict[str, Any]) -> None:
    patched = smp(current, patch, kind)
    assert (patched[path] if path else patched) == expected


SMP_ERRORS: list[tuple[str, dict[str, Any], type[StatusError], str]] = [
    ("element-without-its-merge-key", {"spec": {"containers": [{"image": "x"}]}}, BadRequest,
     "map: map[image:x] does not contain declared merge key: name"),
    ("delete-directive-without-the-merge-key", {"spec": {"containers": [{"$patch": "delete"}]}}, BadRequest,
     "map: map[$patch:delete] does not contain declared merge key: name"),
    ("unknown-patch-directive-on-a-map", {"metadata": {"labels": {"$patch": "frob"}}}, BadRequest,
     "unknown patch type: frob in map: map[$patch:frob]"),
    ("unknown-patch-directive-in-a-list", {"spec": {"containers": [{"name": "main", "$patch": 7}]}}, BadRequest,
     "unknown patch type: 7 in map: map[$patch:7 name:main]"),
    ("retain-keys-not-a-list", {"spec": {"$retainKeys": "containers"}}, BadRequest,
     "invalid patch format of retainKeys"),
    ("retain-keys-missing-a-patched-key", {"spec": {"$retainKeys": ["nodeName"], "hostname": "h"}}, BadRequest,
     "invalid patch format of retainKeys"),
    ("delete-from-primitive-list-not-a-list", {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, BadRequest,
     "invalid patch format of primitive list"),
    ("delete-from-primitive-list-without-a-list-name", {"metadata": {"$deleteFromPrimitiveList": ["a"]}}, BadRequest,
     "invalid patch format of primitive list"),
    ("delete-from-primitive-list-of-objects", {"spec": {"$deleteFromPrimitiveList/containers": [{"name": "main"}]}},
     BadRequest, "invalid patch format of primitive list"),
    ("set-element-order-not-a-list", {"spec": {"$setElementOrder/containers": {"name": "main"}}}, BadRequest,
     "expected a []interface {}, but received a map[string]interface {}"),
    ("set-element-order-without-a-list-name", {"spec": {"$setElementOrder": []}}, BadRequest,
     "invalid patch format of setElementOrder list"),
    ("set-element-order-entry-without-the-merge-key", {"spec": {"$setElementOrder/containers": [{"image": "x"}]}},
     BadRequest, "map: map[image:x] does not contain declared merge key: name"),
    ("set-element-order-contradicts-the-patch-list",
     {"spec": {"$setElementOrder/containers": [{"name": "main"}, {"name": "side"}],
               "containers": [{"name": "side", "tty": True}, {"name": "main", "tty": True}]}}, BadRequest,
     "The order in patch list:\n[map[name:side tty:true] map[name:main tty:true]]\n doesn't match $setElementOrder "
     "list:\n[map[name:main] map[name:side]]\n"),
    ("set-element-order-with-a-list-value-of-null",
     {"spec": {"$setElementOrder/containers": [{"name": "main"}], "containers": None}}, BadRequest,
     "expected a []interface {}, but received a <nil>"),
    ("set-element-order-on-a-replaced-list-of-objects", {"spec": {"$setElementOrder/tolerations": [{"key": "a"}]}},
     BadRequest, "$setElementOrder/tolerations: spec.tolerations is not a list merged by key"),
    ("merge-list-of-lists", {"spec": {"imagePullSecrets": [["a"]]}}, Invalid, "lists of lists are not supported"),
    ("merge-list-element-types-differ", {"metadata": {"finalizers": [1]}}, BadRequest,
     "list element types are not identical: [[a] [1]]"),
    ("keyed-list-given-scalars-and-objects", {"spec": {"containers": ["main"]}}, BadRequest,
     "list element types are not identical"),
]


@pytest.mark.parametrize(("patch", "error", "message"), [case[1:] for case in SMP_ERRORS],
                         ids=[case[0] for case in SMP_ERRORS])
def test_strategic_merge_patch_errors(patch: dict[str, Any], error: type[StatusError], message: str) -> None:
    with pytest.raises(error) as caught:
        smp(POD, patch)
    assert type(caught.value) is error
    assert message in caught.value.message


def test_set_element_order_also_orders_a_replaced_list_of_scalars() -> None:
    """Container args are replaced, not merged; `$setElementOrder/args` alone still reorders them, and a
    patch list must agree with it."""
    current = with_(POD, "spec.containers", [{**MAIN, "args": ["a", "b"]}, SIDE])
    patched = smp(current, {"spec": {"containers": [{"name": "main", "$setElementOrder/args": ["b", "a"]}]}})
    assert patched["spec"]["containers"][0]["args"] == ["b", "a"]
    replaced = smp(current, {"spec": {"containers": [{"name": "main", "args": ["y", "x"],
                                                      "$setElementOrder/args": ["y", "x"]}]}})
    assert replaced["spec"]["containers"][0]["args"] == ["y", "x"]
    with pytest.raises(BadRequest, match="doesn't match"):
        smp(current, {"spec": {"containers": [{"name": "main", "args": ["x", "y"],
                                               "$setElementOrder/args": ["y", "x"]}]}})


# ---------------------------------------------------------------------------------------------
# the CLI's patch behaviours, now the server's (tests/unit/cli/test_patching.py)


def test_cli_behaviour_lists_merge_by_key_and_delete_with_the_directive() -> None:
    patched = smp(POD, {"metadata": {"labels": {"tier": "front"}, "finalizers": ["b"]},
                        "spec": {"containers": [
                            {"name": "main", "image": "python:3.12", "env": [{"name": "B", "value": "2"}]},
                            {"name": "side", "$patch": "delete"}]}})
    assert patched["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert sorted(patched["metadata"]["finalizers"]) == ["a", "b"]   # a set: the new one goes first (Kubernetes)
    container = patched["spec"]["containers"]
    assert names(container) == ["main"] and container[0]["image"] == "python:3.12"
    assert {e["name"]: e["value"] for e in container[0]["env"]} == {"A": "1", "B": "2"}
    assert POD["spec"]["containers"][0]["image"] == "python:3.11"  # the input is not changed
    merged = apply_patch(MERGE_PATCH, POD, b'{"spec":{"containers":[{"name":"main","image":"x"}]}}', POD_KIND)
    assert merged["spec"]["containers"] == [{"name": "main", "image": "x"}]


@pytest.mark.parametrize(("patch_type", "body", "error", "message"), [
    (JSON_PATCH, [{"op": "remove", "path": "/nope"}], Invalid, "unable to remove nonexistent key: nope"),
    (JSON_PATCH, [{"op": "test", "path": "/metadata/name", "value": "db"}], Invalid,
     "testing value /metadata/name failed"),
    (JSON_PATCH, {"op": "add"}, BadRequest, "cannot unmarshal object into Go value of type jsonpatch.Patch"),
    (MERGE_PATCH, ["x"], BadRequest, "cannot unmarshal array into Go value of type map[string]interface {}"),
    (STRATEGIC_MERGE_PATCH, {"spec": {"containers": [{"image": "x"}]}}, BadRequest,
     "does not contain declared merge key: name"),
], ids=["json-remove-missing", "json-test-fails", "json-not-a-list", "merge-not-an-object", "smp-missing-merge-key"])
def test_cli_behaviour_bad_patches_say_why(patch_type: str, body: Any, error: type[StatusError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        apply_patch(patch_type, POD, json.dumps(body).encode(), POD_KIND)


def test_cli_behaviour_patch_replace_is_now_supported() -> None:
    """The CLI refused `$patch: replace`; the server applies it (here at the root: the object is replaced)."""
    assert smp(POD, {"$patch": "replace", "metadata": {"name": "web"}}) == {"metadata": {"name": "web"}}


# ---------------------------------------------------------------------------------------------
# content types and bodies

UNKNOWN_TYPE = ("the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
                "application/apply-patch+yaml")


@pytest.mark.parametrize(("content_type", "expected"), [
    ("application/json-patch+json", JSON_PATCH), ("application/merge-patch+json; charset=utf-8", MERGE_PATCH),
    ("application/strategic-merge-patch+json", STRATEGIC_MERGE_PATCH), ("application/apply-patch+yaml", APPLY_PATCH),
], ids=["json-patch", "merge-patch-with-charset", "strategic", "apply"])
def test_accepted_content_types(content_type: str, expected: str) -> None:
    assert patch_type_of(content_type, POD_KIND) == expected


@pytest.mark.parametrize("content_type", ["application/json", "application/yaml", "text/plain", "", None,
                                          "Application/JSON-Patch+json", "application/apply-patch+cbor"],
                         ids=["json", "yaml", "text", "empty", "none", "wrong-case", "cbor-apply"])
def test_unknown_content_types_are_415_naming_the_accepted_ones(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        patch_type_of(content_type, POD_KIND)
    assert caught.value.message == UNKNOWN_TYPE
    assert caught.value.status()["code"] == 415 and caught.value.status()["reason"] == "UnsupportedMediaType"
    with pytest.raises(UnsupportedMediaType, match="unknown format"):
        apply_patch(content_type or "", POD, b"{}", POD_KIND)


def test_apply_patches_are_for_server_side_apply() -> None:
    with pytest.raises(UnsupportedMediaType):
        apply_patch(APPLY_PATCH, POD, b"{}", POD_KIND)


def test_a_kind_without_a_schema_refuses_strategic_merge_patch_like_a_custom_resource() -> None:
    widget = ("example.com/v1", "Widget")
    assert accepted_patch_types(widget) == (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)
    with pytest.raises(UnsupportedMediaType) as caught:
        apply_patch(STRATEGIC_MERGE_PATCH, {"spec": {}}, b'{"spec":{"a":1}}', widget)
    assert caught.value.message == ("the body of the request was in an unknown format - accepted media types include: "
                                    "application/json-patch+json, application/merge-patch+json, "
                                    "application/apply-patch+yaml")
    assert apply_patch(MERGE_PATCH, {"spec": {}}, b'{"spec":{"a":1}}', widget) == {"spec": {"a": 1}}


def test_every_registered_kind_has_a_schema_and_registry_entries_work_as_kinds() -> None:
    for info in ALL_RESOURCES:
        # a kind registered without a row in apiserver/patching/schema.py would answer kubectl apply with 415
        assert kind_schema(info.api_version, info.kind) is not None, f"no patch schema for {info.kind}"
    pod = resource_for_kind("v1", "Pod")
    assert pod is not None
    assert patch_type_of(STRATEGIC_MERGE_PATCH, pod) == STRATEGIC_MERGE_PATCH
    assert smp(POD, {"spec": {"nodeName": "n2"}}) == apply_patch(STRATEGIC_MERGE_PATCH, POD,
                                                                  b'{"spec":{"nodeName":"n2"}}', pod)


@pytest.mark.parametrize(("patch_type", "body", "message"), [
    (STRATEGIC_MERGE_PATCH, b"", "error decoding patch: Expecting value"),
    (MERGE_PATCH, b"{not json", "error decoding patch:"),
    (JSON_PATCH, b"[{]", "error decoding patch:"),
    (STRATEGIC_MERGE_PATCH, b'{"a": NaN}', "error decoding patch: invalid character 'N'"),
    (MERGE_PATCH, b'{"a": 1e400}', "error decoding patch: number 1e400 out of range"),
    (STRATEGIC_MERGE_PATCH, b'{"a": "\xff"}', "error decoding patch:"),
    (STRATEGIC_MERGE_PATCH, b"[]", "error decoding patch: json: cannot unmarshal array into Go value of type "
                                   "map[string]interface {}"),
    (MERGE_PATCH, b"null", "cannot unmarshal null"),
    (MERGE_PATCH, b'"x"', "cannot unmarshal string"),
    (JSON_PATCH, b"{}", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    (JSON_PATCH, b"null", "json: cannot unmarshal null"),
    (STRATEGIC_MERGE_PATCH, b"[" * 100_000, "error decoding patch"),
    (MERGE_PATCH, b'{"a":' * 5000 + b"1" + b"}" * 5000, "exceeded max depth"),
], ids=["empty", "syntax", "syntax-json-patch", "nan", "huge-number", "bad-utf8", "smp-array", "merge-null",
        "merge-string", "json-patch-object", "json-patch-null", "deep-brackets", "deep-objects"])
def test_malformed_bodies_are_400(patch_type: str, body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        apply_patch(patch_type, POD, body, POD_KIND)
    assert message in caught.value.message
    assert caught.value.status()["code"] == 400


def test_a_patch_leaving_something_other_than_an_object_is_422() -> None:
    with pytest.raises(Invalid, match="the patched document is a JSON string, not an object"):
        jp(POD, [{"op": "replace", "path": "", "value": "x"}])


def test_bodies_may_be_str_or_bytearray() -> None:
    assert apply_patch(MERGE_PATCH, POD, '{"spec":{"nodeName":"n2"}}', POD_KIND)["spec"]["nodeName"] == "n2"
    assert apply_patch(MERGE_PATCH, POD, bytearray(b'{"spec":{"nodeName":"n2"}}'), POD_KIND)["spec"]["nodeName"] == "n2"


# ---------------------------------------------------------------------------------------------
# the schema table

SCHEMA_ROWS: list[tuple[tuple[str, str], tuple[str, ...], str, str, str, tuple[str, ...] | None]] = [
    # kind, path, patch strategy, merge key, list type, list_keys (SSA)
    (POD_KIND, ("spec", "containers"), "merge", "name", "map", ("name",)),
    (POD_KIND, ("spec", "initContainers"), "merge", "name", "map", ("name",)),
    (POD_KIND, ("spec", "ephemeralContainers"), "merge", "name", "map", ("name",)),
    (POD_KIND, ("spec", "containers", "ports"), "merge", "containerPort", "map", ("containerPort", "protocol")),
    (POD_KIND, ("spec", "initContainers", "env"), "merge", "name", "map", ("name",)),
    (POD_KIND, ("spec", "containers", "volumeMounts"), "merge", "mountPath", "map", ("mountPath",)),
    (POD_KIND, ("spec", "containers", "args"), "", "", "atomic", None),
    (POD_KIND, ("spec", "volumes"), "merge,retainKeys", "name", "map", ("name",)),
    (POD_KIND, ("spec", "imagePullSecrets"), "merge", "name", "map", ("name",)),
    (POD_KIND, ("spec", "hostAliases"), "merge", "ip", "map", ("ip",)),
    (POD_KIND, ("spec", "topologySpreadConstraints"), "merge", "topologyKey", "map",
     ("topologyKey", "whenUnsatisfiable")),
    (POD_KIND, ("spec", "tolerations"), "", "", "atomic", None),
    (POD_KIND, ("spec", "readinessGates"), "", "", "atomic", None),
    (POD_KIND, ("status", "conditions"), "merge", "type", "map", ("type",)),
    (POD_KIND, ("status", "containerStatuses"), "", "", "atomic", None),
    (POD_KIND, ("status", "hostIPs"), "merge", "ip", "atomic", None),
    (POD_KIND, ("status", "podIPs"), "merge", "ip", "map", ("ip",)),
    (POD_KIND, ("metadata", "ownerReferences"), "merge", "uid", "map", ("uid",)),
    (POD_KIND, ("metadata", "finalizers"), "merge", "", "set", ()),
    (POD_KIND, ("metadata", "managedFields"), "", "", "atomic", None),
    (POD_KIND, ("spec", "somethingElse"), "", "", "", None),
    (NODE_KIND, ("spec", "taints"), "", "", "atomic", None),
    (NODE_KIND, ("spec", "podCIDRs"), "merge", "", "set", ()),
    (NODE_KIND, ("status", "addresses"), "merge", "type", "map", ("type",)),
    (NODE_KIND, ("status", "conditions"), "merge", "type", "map", ("type",)),
    (("v1", "Namespace"), ("spec", "finalizers"), "", "", "atomic", None),
    (("v1", "Namespace"), ("metadata", "finalizers"), "merge", "", "set", ()),
    (("rbac.authorization.k8s.io/v1", "RoleBinding"), ("subjects",), "", "", "atomic", None),
    (("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("subjects",), "", "", "atomic", None),
    (("v1", "ServiceAccount"), ("imagePullSecrets",), "", "", "atomic", None),
    (("v1", "Service"), ("spec", "ports"), "merge", "port", "map", ("port", "protocol")),
    (("apps/v1", "Deployment"), ("spec", "template", "spec", "containers", "env"), "merge", "name", "map", ("name",)),
    (("apps/v1", "Deployment"), ("spec", "strategy"), "retainKeys", "", "", None),
]


@pytest.mark.parametrize(("kind", "path", "strategy", "merge_key", "list_type", "keys"), SCHEMA_ROWS,
                         ids=[f"{row[0][1]}.{'.'.join(row[1])}" for row in SCHEMA_ROWS])
def test_schema_table(kind: tuple[str, str], path: tuple[str, ...], strategy: str, merge_key: str, list_type: str,
                      keys: tuple[str, ...] | None) -> None:
    found = field_schema(*kind, path)
    assert ",".join(found.patch_strategy) == strategy
    assert found.merge_key == merge_key
    assert found.list_type == list_type
    assert list_keys(*kind, path) == keys


def test_schema_lookups_for_unknown_kinds_and_defaults() -> None:
    assert kind_schema("example.com/v1", "Widget") is None
    assert field_schema("example.com/v1", "Widget", ("spec", "containers")) == DEFAULT
    assert list_keys("example.com/v1", "Widget", ("spec", "containers")) is None
    ports = field_schema(*POD_KIND, ("spec", "containers", "ports"))
    assert ports.key_defaults == (("protocol", "TCP"),) and ports.merges and not ports.retains_keys
    assert field_schema(*POD_KIND, ("spec", "volumes")).retains_keys
    assert field_schema(*POD_KIND, ("spec", "nodeSelector")).map_type == "atomic"
    assert field_schema(*POD_KIND, ("spec", "tolerations")) == ATOMIC


# ---------------------------------------------------------------------------------------------
# properties

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=False,
                                                                              width=16), st.text(max_size=3))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                           max_leaves=10)
# keys that reach the directives and keyed lists
smp_keys = st.sampled_from(["$patch", "$retainKeys", "$setElementOrder/containers", "$setElementOrder/finalizers",
                            "$deleteFromPrimitiveList/finalizers", "$setElementOrder", "containers", "finalizers",
                            "env", "name", "image", "metadata", "spec", "labels", "delete", "replace", "merge",
                            "tolerations", "ports", "containerPort"])
smp_values = st.recursive(st.one_of(scalars, st.sampled_from(["delete", "replace", "merge", "main", "side", "a"])),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(smp_keys, inner, max_size=4)), max_leaves=14)
pointers = st.sampled_from(["", "/", "/metadata", "/metadata/name", "/metadata/labels/app", "/metadata/finalizers/-",
                            "/metadata/finalizers/0", "/spec/containers/0", "/spec/containers/1/image",
                            "/spec/containers/9", "/spec/x/y", "x", "/a~2", "/spec/containers/01"])
operations = st.lists(st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "nope"]), "path": pointers},
    optional={"from": pointers, "value": json_values}), max_size=5)


def _only_status_errors(patch_type: str, body: bytes, current: dict[str, Any] = POD) -> None:
    before = copy.deepcopy(current)
    try:
        result = apply_patch(patch_type, current, body, POD_KIND)
    except StatusError as err:
        assert isinstance(err, ALLOWED_ERRORS), err
        assert err.message
    else:
        assert isinstance(result, dict)
        json.dumps(result, allow_nan=False)  # still JSON
    assert current == before


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH]), st.binary(max_size=40))
def test_any_bytes_apply_or_raise_a_status_error(patch_type: str, body: bytes) -> None:
    _only_status_errors(patch_type, body)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH]), json_values)
def test_any_json_body_applies_or_raises_a_status_error(patch_type: str, body: Any) -> None:
    _only_status_errors(patch_type, json.dumps(body).encode())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_any_json_patch_operations_apply_or_raise_a_status_error(ops: list[dict[str, Any]]) -> None:
    _only_status_errors(JSON_PATCH, json.dumps(ops).encode())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(smp_keys, smp_values, max_size=4))
def test_any_strategic_patch_with_directives_applies_or_raises_a_status_error(patch: dict[str, Any]) -> None:
    _only_status_errors(STRATEGIC_MERGE_PATCH, json.dumps({"spec": patch, "metadata": patch}).encode())


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(smp_keys, smp_values, max_size=4), st.dictionaries(smp_keys, smp_values, max_size=4))
def test_any_strategic_patch_on_any_document_applies_or_raises_a_status_error(current: dict[str, Any],
                                                                             patch: dict[str, Any]) -> None:
    document = {"metadata": current, "spec": current, "status": current}
    _only_status_errors(STRATEGIC_MERGE_PATCH, json.dumps({"spec": patch, "metadata": patch}).encode(), document)


# documents whose objects hold no nulls (a null in a merge patch deletes); lists may hold anything
null_free = st.recursive(st.one_of(st.booleans(), st.integers(), st.text(max_size=3)),
                         lambda inner: st.one_of(st.lists(json_values, max_size=3),
                                                 st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                         max_leaves=12)


@given(st.dictionaries(st.text(max_size=3), null_free, max_size=4))
def test_merge_patch_of_a_document_onto_itself_is_identity(document: dict[str, Any]) -> None:
    assert apply_patch(MERGE_PATCH, document, json.dumps(document).encode(), POD_KIND) == document


map_keys = st.text(max_size=4).filter(lambda key: not key.startswith("$"))
maps_only = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
                         lambda inner: st.dictionaries(st.one_of(map_keys, st.sampled_from(
                             ["metadata", "spec", "labels", "containers", "finalizers", "status"])), inner, max_size=3),
                         max_leaves=15)


@given(st.dictionaries(map_keys, maps_only, max_size=4), st.dictionaries(map_keys, maps_only, max_size=4))
def test_strategic_merge_patch_of_maps_without_directives_is_a_merge_patch(current: dict[str, Any],
                                                                          patch: dict[str, Any]) -> None:
    current = {key: value for key, value in current.items() if value is not None}
    assert strategic_merge_patch(current, patch, POD_SCHEMA) == merge_patch(current, patch)


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=5, unique=True),
       st.lists(st.sampled_from(["a", "b", "c", "e"]), max_size=5, unique=True))
def test_set_element_order_yields_exactly_the_listed_order_for_the_listed_items(live: list[str],
                                                                                 wanted: list[str]) -> None:
    """kubectl's apply of a finalizers list `wanted` (added items in the patch, removed ones deleted)."""
    patch = {"metadata": {"$setElementOrder/finalizers": wanted, "finalizers": [f for f in wanted if f not in live],
                          "$deleteFromPrimitiveList/finalizers": [f for f in live if f not in wanted]}}
    assert smp(with_(POD, "metadata.finalizers", live), patch)["metadata"]["finalizers"] == wanted
