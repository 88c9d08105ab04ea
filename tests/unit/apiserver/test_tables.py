"""The REST transport's server-side printing: the meta.k8s.io Table kubectl gets for `get` and `get -o wide`
(shape, includeObject, watch rows without column definitions) and the Accept negotiation that asks for it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apiserver.transports.rest.tables import parse_accept, table, table_content_type, wants_table
from kubelite import api
from kubelite.api import printers
from kubelite.errors import BadRequest

Obj = dict[str, Any]
PODS = api.resource_by_name("pods")
CREATED = (datetime.now(UTC) - timedelta(minutes=5, seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
POD: Obj = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "hello", "namespace": "default", "labels": {"app": "hello"}, "uid": "u-1",
                 "resourceVersion": "104", "creationTimestamp": CREATED},
    "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]},
    "status": {"phase": "Running", "podIP": "10.1.2.3",
               "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}]},
}
KUBECTL_1_37 = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                "application/json")


def test_a_table_as_kube_apiserver_sends_it() -> None:
    doc = table(PODS, [POD], "108")
    assert (doc["kind"], doc["apiVersion"], doc["metadata"]) == ("Table", "meta.k8s.io/v1", {"resourceVersion": "108"})
    assert [c["name"] for c in doc["columnDefinitions"]] == [c.name for c in printers.columns(PODS)]
    assert doc["columnDefinitions"][0] == {"name": "Name", "type": "string", "format": "name",
                                           "description": printers.columns(PODS)[0].description, "priority": 0}
    assert [c["priority"] for c in doc["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    (row,) = doc["rows"]
    assert row["cells"] == ["hello", "1/1", "Running", "0", printers.age(CREATED), "10.1.2.3", "node-1", "<none>",
                            "<none>"]
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": POD["metadata"]}
    assert "conditions" not in row
    json.dumps(doc)  # all of it is JSON


def test_include_object_variants() -> None:
    assert table(PODS, [POD], "1", include_object="")["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table(PODS, [POD], "1", include_object="Object")["rows"][0]["object"] == POD
    bare = {k: v for k, v in POD.items() if k not in ("kind", "apiVersion")}
    full = table(PODS, [bare], "1", include_object="Object")["rows"][0]["object"]
    assert (full["apiVersion"], full["kind"]) == ("v1", "Pod")
    assert table(PODS, [POD], "1", include_object="None")["rows"][0]["object"] is None


@pytest.mark.parametrize("value", ["metadata", "Everything", "object "])
def test_an_unknown_include_object_is_a_bad_request(value: str) -> None:
    with pytest.raises(BadRequest) as refused:
        table(PODS, [POD], "1", include_object=value)
    assert refused.value.message == f'unrecognized includeObject value: "{value}"'
    assert refused.value.status()["code"] == 400 and refused.value.status()["reason"] == "BadRequest"


def test_watch_rows_continue_tokens_and_v1beta1() -> None:
    event = table(PODS, [POD], "109", with_columns=False)
    assert event["columnDefinitions"] is None and len(event["rows"][0]["cells"]) == 9
    page = table(PODS, [], "110", continue_token="abc")
    assert page["metadata"] == {"resourceVersion": "110", "continue": "abc"} and page["rows"] == []
    old = table(PODS, [POD], "111", version="v1beta1")
    assert old["apiVersion"] == old["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table_content_type("v1beta1") == "application/json;as=Table;v=v1beta1;g=meta.k8s.io"


def test_finished_pods_rows_carry_the_completed_condition() -> None:
    done = {**POD, "status": {"phase": "Succeeded"}}
    (row,) = table(PODS, [done], "1")["rows"]
    assert row["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                  "message": "The pod has completed successfully."}]
    assert list(row) == ["cells", "conditions", "object"]


def test_kinds_without_a_printer_get_name_and_age() -> None:
    doc = table(api.resource_by_name("selfsubjectreviews"), [{"metadata": {"name": "me"}}], "1")
    assert [c["name"] for c in doc["columnDefinitions"]] == ["Name", "Age"]
    assert doc["rows"][0]["cells"] == ["me", "<unknown>"]


@pytest.mark.parametrize(("accept", "expected"), [
    (KUBECTL_1_37, "v1"),
    ("application/json", None),
    ("*/*", None),
    ("", None),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", "v1beta1"),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1beta1"),
    ("application/json; g=meta.k8s.io ; v=v1 ;as=Table", "v1"),
    ('Application/JSON;AS="Table";v="v1";g=meta.k8s.io', "v1"),
    ("application/json;as=Table;v=v1;g=meta.k8s.io;profile=https://example.com/x;pretty=1", "v1"),
    ("*/*;as=Table;v=v1;g=meta.k8s.io", "v1"),
    ("application/*;as=Table;v=v1;g=meta.k8s.io", "v1"),
    ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", None),
    ("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io", "v1"),
    ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0, application/json", None),
    ("*/*, application/json;as=Table;v=v1;g=meta.k8s.io", "v1"),
    ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io", "v1beta1"),
    ("application/json;as=Table;g=meta.k8s.io", None),
    ("application/json;as=Table;v=v1;g=example.com,application/json", None),
    ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;"
     "g=meta.k8s.io", "v1"),
    ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", None),
    ("application/yaml;as=Table;v=v1;g=meta.k8s.io", None),
    ("text/html, not-a-type, application/json;as=Table;v=v1beta1;g=meta.k8s.io", "v1beta1"),
])
def test_wants_table_negotiates_like_kube_apiserver(accept: str, expected: str | None) -> None:
    assert wants_table(accept) == expected


def test_wants_table_for_the_types_the_server_produces() -> None:
    assert wants_table("application/yaml;as=Table;v=v1;g=meta.k8s.io",
                       produces=("application/json", "application/yaml")) == "v1"


def test_accept_parsing_keeps_quoted_commas_and_orders_by_preference() -> None:
    ranges = parse_accept('text/plain;q=0.2, application/json;profile="a,b";q=0.9, */*;q=0.9, application/yaml')
    assert [(r.type, r.subtype) for r in ranges] == [("application", "yaml"), ("application", "json"), ("*", "*"),
                                                     ("text", "plain")]
    assert ranges[1].params == {"profile": "a,b"} and ranges[1].q == 0.9
