"""The OpenAPI v3 documents: what kubectl reads from them (a patch operation per
kind with its GVK and fieldValidation; no strategic merge patch), that they are
self-contained, that every field is described, and that the index's hashes name
the documents."""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from apiserver.transports.rest import openapi
from apiserver.transports.rest.openapi import OpenApiDocuments
from kubelite.api import ALL_RESOURCES, REVIEWS, ResourceInfo
from kubelite.api.descriptions import DESCRIPTIONS, MODEL, field_description, model_description
from kubelite.api.meta import KubeObject

DOCS = OpenApiDocuments()
VERBS = ("get", "put", "post", "patch", "delete")
STORED = [r for r in ALL_RESOURCES if r.resource not in REVIEWS]


def _doc(key: str) -> dict[str, Any]:
    found = DOCS.document(key)
    assert found is not None, key
    return typing.cast(dict[str, Any], json.loads(found[0]))


def _key(info: ResourceInfo) -> str:
    return f"apis/{info.group}/{info.version}" if info.group else f"api/{info.version}"


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for verb in VERBS:
            if verb in item:
                yield path, verb, item[verb]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _gvk(info: ResourceInfo) -> dict[str, str]:
    return {"group": info.group, "version": info.version, "kind": info.kind}


# ---- what kubectl checks before it trusts server-side validation ----


@pytest.mark.parametrize("info", STORED, ids=lambda r: r.kind)
def test_every_stored_kind_has_a_patch_operation_with_its_gvk_and_field_validation(info: ResourceInfo) -> None:
    # kubectl (cli-runtime supportsQueryParamV3) takes the first patch operation with
    # the object's GVK and looks only at its own parameters, written out or as a
    # "#/parameters/" ref: so every such operation must list fieldValidation inline.
    patches = [op for _, verb, op in _operations(_doc(_key(info)))
               if verb == "patch" and op["x-kubernetes-group-version-kind"] == _gvk(info)]
    assert patches, f"no patch operation for {info.kind}"
    for op in patches:
        assert {"name": "fieldValidation", "in": "query"}.items() <= next(
            p for p in op["parameters"] if p.get("name") == "fieldValidation").items()


@pytest.mark.parametrize("info", [r for r in ALL_RESOURCES if r.resource in REVIEWS], ids=lambda r: r.kind)
def test_reviews_are_create_only_as_in_kubernetes(info: ResourceInfo) -> None:
    ops = [(path, verb) for path, verb, op in _operations(_doc(_key(info)))
           if op["x-kubernetes-group-version-kind"] == _gvk(info)]
    assert ops == [(f"/apis/{info.group}/{info.version}/{info.resource}", "post")]


@pytest.mark.parametrize("key", DOCS.keys())
def test_no_patch_operation_offers_strategic_merge_patch(key: str) -> None:
    # listed, kubectl would compute client-side apply patches from our schemas
    # instead of its compiled-in types
    for path, verb, op in _operations(_doc(key)):
        if verb == "patch":
            content = op["requestBody"]["content"]
            assert "application/strategic-merge-patch+json" not in content, path
            assert set(content) == {"application/json-patch+json", "application/merge-patch+json",
                                    "application/apply-patch+yaml"}


@pytest.mark.parametrize("key", DOCS.keys())
def test_every_operation_names_its_action_kind_and_id(key: str) -> None:
    ids = []
    for path, verb, op in _operations(_doc(key)):
        assert op["x-kubernetes-action"] in ("get", "list", "post", "put", "patch", "delete", "deletecollection")
        assert set(op["x-kubernetes-group-version-kind"]) == {"group", "version", "kind"}, path
        assert op["description"], (path, verb)
        assert "200" in op["responses"], (path, verb)
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))


def test_pods_have_kubernetes_paths_operation_ids_and_parameters() -> None:
    doc = _doc("api/v1")
    ns = "/api/v1/namespaces/{namespace}/pods"
    assert {p for p in doc["paths"] if "/pods" in p} == {
        "/api/v1/pods", ns, f"{ns}/{{name}}", f"{ns}/{{name}}/status", f"{ns}/{{name}}/log",
        f"{ns}/{{name}}/binding", f"{ns}/{{name}}/eviction"}
    ops = {(path, verb): op for path, verb, op in _operations(doc)}
    assert {(verb, op["operationId"], op["x-kubernetes-action"]) for (path, verb), op in ops.items()
            if path == ns} == {("get", "listCoreV1NamespacedPod", "list"),
                               ("post", "createCoreV1NamespacedPod", "post"),
                               ("delete", "deleteCoreV1CollectionNamespacedPod", "deletecollection")}
    assert ops[("/api/v1/pods", "get")]["operationId"] == "listCoreV1PodForAllNamespaces"
    assert ops[(f"{ns}/{{name}}/status", "patch")]["operationId"] == "patchCoreV1NamespacedPodStatus"
    names = {(path, verb): {p["name"] for p in op["parameters"]} for (path, verb), op in ops.items()}
    assert names[(ns, "get")] == {"labelSelector", "fieldSelector", "limit", "continue", "resourceVersion",
                                  "resourceVersionMatch", "timeoutSeconds", "watch", "allowWatchBookmarks",
                                  "sendInitialEvents"}
    assert names[(ns, "post")] == {"dryRun", "fieldManager", "fieldValidation"}
    assert names[(f"{ns}/{{name}}", "patch")] == {"dryRun", "fieldManager", "fieldValidation", "force"}
    assert {"container", "follow", "tailLines"} <= names[(f"{ns}/{{name}}/log", "get")]
    assert ops[(f"{ns}/{{name}}/binding", "post")]["x-kubernetes-group-version-kind"] == {
        "group": "", "version": "v1", "kind": "Binding"}
    assert ops[(f"{ns}/{{name}}/eviction", "post")]["x-kubernetes-group-version-kind"] == {
        "group": "policy", "version": "v1", "kind": "Eviction"}
    assert ops[(ns, "get")]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.api.core.v1.PodList"}


def test_cluster_scoped_kinds_have_no_namespace_in_their_paths() -> None:
    paths = _doc("apis/rbac.authorization.k8s.io/v1")["paths"]
    assert "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}" in paths
    assert not any("namespaces" in p for p in paths if "clusterrole" in p)
    assert "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}" in paths
    assert "/api/v1/nodes/{name}/status" in _doc("api/v1")["paths"]


# ---- the documents stand alone ----


@pytest.mark.parametrize("key", DOCS.keys())
def test_every_ref_resolves_within_its_document(key: str) -> None:
    doc = _doc(key)
    refs = [node["$ref"] for node in _walk(doc) if "$ref" in node]
    assert refs
    for ref in refs:
        section, _, name = ref.removeprefix("#/components/").partition("/")
        assert ref.startswith("#/components/") and name in doc["components"][section], ref


def test_schemas_are_named_and_shaped_like_kubernetes() -> None:
    schemas = _doc("api/v1")["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "version": "v1", "kind": "Pod"}]
    assert pod["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    spec = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]
    assert spec["containers"]["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert spec["containers"]["x-kubernetes-list-map-keys"] == ["name"]
    assert spec["containers"]["x-kubernetes-patch-merge-key"] == "name"
    assert spec["nodeSelector"]["additionalProperties"] == {"type": "string"}
    assert spec["volumes"]["items"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    container = schemas["io.k8s.api.core.v1.Container"]
    assert container["required"] == ["name"]
    assert container["properties"]["ports"]["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    requests = schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["requests"]
    assert requests["additionalProperties"] == {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api."
                                                        "resource.Quantity"}
    assert schemas["io.k8s.api.core.v1.PodList"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}
    assert schemas["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"][0]["kind"] == "PodList"
    meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    assert meta["creationTimestamp"] == {"type": "string", "format": "date-time",
                                         "description": meta["creationTimestamp"]["description"]}
    assert "continue" in schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"]["properties"]
    rbac = _doc("apis/rbac.authorization.k8s.io/v1")["components"]["schemas"]
    assert rbac["io.k8s.api.rbac.v1.RoleBinding"]["required"] == ["apiVersion", "kind", "roleRef"]


def test_list_extensions_name_real_list_fields() -> None:
    models = {m.__name__: m for m in _served_models()}
    for model_name, fields in openapi.LIST_EXTENSIONS.items():
        for field, extensions in fields.items():
            info = models[model_name].model_fields[_attribute(models[model_name], field)]
            assert "list[" in str(info.annotation), (model_name, field)
            assert extensions["x-kubernetes-list-type"] in ("atomic", "map", "set")


# ---- descriptions ----


def _served_models() -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen[annotation] = None
                for info in annotation.model_fields.values():
                    visit(info.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    for info in ALL_RESOURCES:
        visit(info.model)
    for model in (openapi.Binding, openapi.Eviction, openapi.Status, openapi.DeleteOptions, openapi.WatchEvent):
        visit(model)
    return list(seen)


def _attribute(model: type[BaseModel], json_name: str) -> str:
    return next(a for a, info in model.model_fields.items() if (info.alias or a) == json_name)


def test_every_model_and_field_served_has_a_description() -> None:
    missing = [model.__name__ for model in _served_models() if not model_description(model)]
    missing += [f"{model.__name__}.{info.alias or name}" for model in _served_models()
                for name, info in model.model_fields.items() if not field_description(model, info.alias or name)]
    assert missing == [], "describe these in kubelite/api/descriptions.py"


def test_model_names_are_unique_so_descriptions_are_unambiguous() -> None:
    names = [m.__name__ for m in _served_models()]
    assert len(names) == len(set(names))


def test_descriptions_name_only_models_and_fields_that_exist() -> None:
    models = {m.__name__: m for m in _served_models()} | {"KubeObject": KubeObject}
    for model_name, fields in DESCRIPTIONS.items():
        if model_name in ("Quantity", "Patch"):
            assert set(fields) == {MODEL}
            continue
        known = {info.alias or a for a, info in models[model_name].model_fields.items()}
        assert set(fields) - {MODEL} <= known, model_name


@pytest.mark.parametrize("key", DOCS.keys())
def test_every_schema_and_property_in_the_documents_carries_a_description(key: str) -> None:
    for name, schema in _doc(key)["components"]["schemas"].items():
        assert schema.get("description"), name
        for prop, value in schema.get("properties", {}).items():
            assert value.get("description"), f"{name}.{prop}"


# ---- the index ----


def test_index_hashes_are_the_documents_digests() -> None:
    paths = DOCS.index()["paths"]
    assert set(paths) == {"api/v1", "apis/coordination.k8s.io/v1", "apis/rbac.authorization.k8s.io/v1",
                          "apis/authorization.k8s.io/v1", "apis/authentication.k8s.io/v1", "apis/apps/v1",
                          "apis/batch/v1", "apis/policy/v1"}
    for key, entry in paths.items():
        body, digest = DOCS.document(key)  # type: ignore[misc]
        assert entry["serverRelativeURL"] == f"/openapi/v3/{key}?hash={digest}"
        assert digest == hashlib.sha512(body).hexdigest().upper()
    assert json.loads(DOCS.index_bytes()) == DOCS.index()


def test_hashes_are_stable_across_builds_and_change_with_the_document() -> None:
    assert OpenApiDocuments().index() == DOCS.index()
    other = OpenApiDocuments(server_version="v9.9.9-test").index()["paths"]
    for key, entry in DOCS.index()["paths"].items():
        assert other[key]["serverRelativeURL"] != entry["serverRelativeURL"]


def test_document_header_and_unknown_paths() -> None:
    doc = _doc("apis/coordination.k8s.io/v1")
    assert doc["openapi"] == "3.0.0"
    assert doc["info"]["title"] == "Kubernetes"
    assert DOCS.document("/api/v1") == DOCS.document("api/v1")
    assert DOCS.document("apis/apps/v2") is None
    assert DOCS.document("api/v2") is None
