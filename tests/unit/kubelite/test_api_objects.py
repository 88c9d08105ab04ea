"""Kubernetes objects: the docs' manifests decode unchanged; every field error
is reported at once with its path and Kubernetes' wording; defaults, update
rules and quantities follow Kubernetes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelite import api
from kubelite.api.quantity import format_bytes, format_millis
from kubelite.api.testing import make_node, make_pod

NGINX: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                                  "ports": [{"containerPort": 80}]}]}}


def pod_with(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def causes_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(api.InvalidObject) as caught:
        api.parse_object(doc)
    return [str(c) for c in caught.value.causes]


def test_the_docs_nginx_pod_decodes_and_round_trips() -> None:
    info, pod = api.parse_object(NGINX)
    assert info.resource == "pods" and api.to_json_dict(pod) == NGINX


@pytest.mark.parametrize(("doc", "expected"), [
    (pod_with(containers=[{"name": "c"}]), ["spec.containers[0].image: Required value"]),
    (pod_with(containers=[]), ["spec.containers: Required value"]),
    (pod_with(restartPolicy="Sometimes"),
     ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']),
    (pod_with(containers=[{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]),
     ['spec.containers[1].name: Duplicate value: "web"']),
    (pod_with(containers=[{"name": "c", "image": "a", "ports": [{"containerPort": 70000}]}]),
     ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]),
    (pod_with(containers=[{"name": "c", "image": "a", "ports": [{"containerPort": "80"}]}]),
     ['spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer']),
    (pod_with(colour="blue"), ['spec.colour: unknown field "spec.colour"']),
    (pod_with(containers=[{"name": "c", "image": "a", "resources": {"requests": {"cpu": "2"},
                                                                      "limits": {"cpu": "1"}}}]),
     ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']),
    (pod_with(containers=[{"name": "c", "image": "a", "resources": {"requests": {"memory": "lots"}}}]),
     ["spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match the regular "
      "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"]),
    (pod_with(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}]),
     ['spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is \'Exists\'']),
    (pod_with(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In"}]}]}}}),
     ["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
      ".matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]),
    ({**pod_with(), "metadata": {"name": "Bad_Name"}},
     ['metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
      "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
      "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
      "[a-z0-9])?)*')"]),
], ids=["image-required", "containers-required", "restart-policy", "duplicate-container", "port-range",
        "port-type", "unknown-field", "requests-over-limits", "bad-quantity", "exists-with-value",
        "in-without-values", "bad-name"])
def test_field_errors_have_paths_and_kubernetes_wording(doc: dict[str, Any], expected: list[str]) -> None:
    assert causes_of(doc) == expected


def test_all_errors_are_reported_at_once() -> None:
    doc = pod_with(restartPolicy="Sometimes", containers=[{"name": "a"}, {"name": "a", "image": "x"}])
    assert len(causes_of(doc)) == 3


@pytest.mark.parametrize(("doc", "message"), [
    ({"apiVersion": "v1", "kind": "Pdo"}, 'no matches for kind "Pdo" in version "v1"'),
    ({"apiVersion": "v2", "kind": "Pod"}, 'no matches for kind "Pod" in version "v2"'),
    ({"kind": "Pod"}, "Object 'apiVersion' is missing in the object"),
], ids=["unknown-kind", "wrong-version", "no-apiversion"])
def test_unknown_kinds_are_named(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(api.UnknownKind, match=message):
        api.parse_object(doc)


def test_defaults_follow_kubernetes() -> None:
    info, pod = api.parse_object(NGINX)
    obj = api.to_json_dict(api.apply_defaults(info, pod))
    assert obj["metadata"]["namespace"] == "default"
    assert obj["spec"]["restartPolicy"] == "Always" and obj["spec"]["terminationGracePeriodSeconds"] == 30
    container = obj["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent" and container["ports"][0]["protocol"] == "TCP"
    _, latest = api.parse_object(pod_with(containers=[{"name": "c", "image": "busybox:latest"}]))
    assert api.apply_defaults(info, latest).spec.containers[0].imagePullPolicy == "Always"


def test_pod_spec_is_immutable_except_images_and_metadata_names_never_change() -> None:
    info, old = api.parse_object(pod_with())
    _, image_change = api.parse_object(pod_with(containers=[{"name": "c", "image": "busybox:2"}]))
    assert api.validate_update(info, old, image_change) == []
    _, policy_change = api.parse_object(pod_with(restartPolicy="Never"))
    assert [c.type for c in api.validate_update(info, old, policy_change)] == ["FieldValueForbidden"]
    _, renamed = api.parse_object({**pod_with(), "metadata": {"name": "q"}})
    assert "field is immutable" in str(api.validate_update(info, old, renamed)[0])


@pytest.mark.parametrize(("text", "value"), [
    ("250m", Decimal("0.25")), ("1", Decimal(1)), ("0.5", Decimal("0.5")), ("128Mi", Decimal(128 * 2**20)),
    ("1Gi", Decimal(2**30)), ("1e3", Decimal(1000)), ("2k", Decimal(2000)), (3, Decimal(3)),
], ids=["milli", "one", "half", "mebi", "gibi", "exponent", "kilo", "number"])
def test_quantities_parse_exactly(text: Any, value: Decimal) -> None:
    assert api.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "5Zi", "--1"])
def test_malformed_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        api.parse_quantity(text)


def test_quantity_helpers_round_up_and_format() -> None:
    assert api.cpu_millis("250m") == 250 and api.cpu_millis("0.0001") == 1 and api.bytes_value("1Ki") == 1024
    assert format_millis(1500) == "1500m" and format_millis(2000) == "2" and format_bytes(2**31) == "2Gi"


def test_resource_names_resolve_like_kubectl() -> None:
    for name in ("pods", "pod", "po", "Pod"):
        assert api.resource_by_name(name).kind == "Pod"
    assert api.resource_by_name("leases").api_version == "coordination.k8s.io/v1"
    with pytest.raises(api.UnknownResource, match='doesn\'t have a resource type "widgets"'):
        api.resource_by_name("widgets")


def test_builders_make_valid_objects() -> None:
    pod = make_pod("web", cpu="500m", node_selector={"disk": "ssd"})
    node = make_node("n1", taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}])
    for obj in (pod, node):
        info, _ = api.parse_object(api.to_json_dict(obj))
        assert info.kind == obj.kind


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(spec=json_values, kind=st.sampled_from(["Pod", "Node", "Namespace", "Lease", "Role", "Event"]))
def test_garbage_documents_only_ever_decode_or_raise_invalid(spec: Any, kind: str) -> None:
    version = {"Lease": "coordination.k8s.io/v1", "Role": "rbac.authorization.k8s.io/v1"}.get(kind, "v1")
    for doc in ({"apiVersion": version, "kind": kind, "metadata": {"name": "x"}, "spec": spec}, spec):
        try:
            api.parse_object(doc)
        except (api.InvalidObject, api.UnknownKind):
            pass
