"""The OpenAPI v3 documents of the REST transport: `/openapi/v3` (the index) and
one document per group-version (`/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`).

Generated once at start from the kind registry and the pydantic models, named
as Kubernetes names them (`io.k8s.api.core.v1.PodSpec`), so that kubectl
  * trusts server-side field validation: each kind has a `patch` operation that
    carries its group-version-kind and a `fieldValidation` query parameter;
  * prints our schemas and descriptions (`kubelite.api.descriptions`) in `explain`;
  * computes client-side apply patches from its own compiled-in types: no `patch`
    operation lists `application/strategic-merge-patch+json`.
List semantics (`x-kubernetes-list-type`, patch merge keys) follow kubernetes/api's
markers for the fields kubelite has (`LIST_EXTENSIONS`).
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field

from kubelite.api import ALL_RESOURCES, ResourceInfo, Strategy, core
from kubelite.api import meta as meta_api
from kubelite.api.descriptions import LIST_FIELDS, LIST_KIND, field_description, model_description
from kubelite.api.meta import Model, Opaque
from kubelite.api.options import Binding, DeleteOptions, Eviction, Preconditions
from kubelite.version import GIT_VERSION

Schema = dict[str, Any]
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
PATCH = f"{META}.Patch"
SCHEMAS = "#/components/schemas/"
PARAMETERS = "#/components/parameters/"
JSON = "application/json"
# Patch formats the server takes. Strategic merge patch is left out on purpose:
# listed, it would make kubectl compute its patches from these schemas.
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


# ---- kinds that only cross the wire: request and answer bodies, never stored ----

class ListMeta(Model):
    resourceVersion: str | None = None
    continue_: str | None = Field(default=None, alias="continue")
    remainingItemCount: int | None = None
    selfLink: str | None = None


class StatusCause(Model):
    reason: str | None = None
    message: str | None = None
    field: str | None = None


class StatusDetails(Model):
    name: str | None = None
    group: str | None = None
    kind: str | None = None
    uid: str | None = None
    causes: list[StatusCause] | None = None
    retryAfterSeconds: int | None = None


class Status(Model):
    apiVersion: str | None = None
    kind: str | None = None
    metadata: ListMeta | None = None
    status: str | None = None
    message: str | None = None
    reason: str | None = None
    details: StatusDetails | None = None
    code: int | None = None


class WatchEvent(Model):
    type: str
    object: Opaque


_WIRE_NAMES: dict[type[BaseModel], str] = {
    Preconditions: f"{META}.Preconditions", DeleteOptions: f"{META}.DeleteOptions", ListMeta: f"{META}.ListMeta",
    StatusCause: f"{META}.StatusCause", StatusDetails: f"{META}.StatusDetails", Status: f"{META}.Status",
    WatchEvent: f"{META}.WatchEvent", Binding: "io.k8s.api.core.v1.Binding", Eviction: "io.k8s.api.policy.v1.Eviction",
}
_WIRE_KINDS: dict[type[BaseModel], tuple[str, str, str]] = {
    Binding: ("", "v1", "Binding"), Eviction: ("policy", "v1", "Eviction")}

# ---- list semantics, from the +listType/+listMapKey/+patchStrategy markers of kubernetes/api ----


def _atomic() -> dict[str, Any]:
    return {"x-kubernetes-list-type": "atomic"}


def _map(*keys: str, merge: str = "merge") -> dict[str, Any]:
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys),
            "x-kubernetes-patch-merge-key": keys[0], "x-kubernetes-patch-strategy": merge}


LIST_EXTENSIONS: dict[str, dict[str, dict[str, Any]]] = {
    "ObjectMeta": {"ownerReferences": _map("uid"), "managedFields": _atomic(),
                   "finalizers": {"x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"}},
    "LabelSelector": {"matchExpressions": _atomic()},
    "LabelSelectorRequirement": {"values": _atomic()},
    "PodSpec": {"containers": _map("name"), "initContainers": _map("name"),
                "volumes": _map("name", merge="merge,retainKeys"), "imagePullSecrets": _map("name"),
                "tolerations": _atomic(), "topologySpreadConstraints": _map("topologyKey", "whenUnsatisfiable")},
    "Container": {"command": _atomic(), "args": _atomic(), "ports": _map("containerPort", "protocol"),
                  "env": _map("name"), "envFrom": _atomic(), "volumeMounts": _map("mountPath")},
    "ResourceRequirements": {"claims": {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}},
    "NodeSelector": {"nodeSelectorTerms": _atomic()},
    "NodeSelectorTerm": {"matchExpressions": _atomic(), "matchFields": _atomic()},
    "NodeSelectorRequirement": {"values": _atomic()},
    "NodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": _atomic()},
    "TopologySpreadConstraint": {"matchLabelKeys": _atomic()},
    "PodStatus": {"conditions": _map("type"), "podIPs": _map("ip"), "containerStatuses": _atomic(),
                  "initContainerStatuses": _atomic(),
                  "hostIPs": {"x-kubernetes-list-type": "atomic", "x-kubernetes-patch-merge-key": "ip",
                              "x-kubernetes-patch-strategy": "merge"}},
    "NodeSpec": {"taints": _atomic(),
                 "podCIDRs": {"x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"}},
    "NodeStatus": {"conditions": _map("type"), "addresses": _map("type"), "images": _atomic()},
    "NamespaceSpec": {"finalizers": _atomic()},
    "NamespaceStatus": {"conditions": _map("type")},
    "PolicyRule": {name: _atomic() for name in ("verbs", "apiGroups", "resources", "resourceNames",
                                                  "nonResourceURLs")},
    "Role": {"rules": _atomic()},
    "ClusterRole": {"rules": _atomic()},
    "AggregationRule": {"clusterRoleSelectors": _atomic()},
    "RoleBinding": {"subjects": _atomic()},
    "ClusterRoleBinding": {"subjects": _atomic()},
    "UserInfo": {"groups": _atomic()},
    "DeleteOptions": {"dryRun": _atomic()},
    "StatusDetails": {"causes": _atomic()},
}

# string fields that hold RFC 3339 times (Kubernetes' metav1.Time and MicroTime)
_DATE_TIME_FIELDS = frozenset({
    "creationTimestamp", "deletionTimestamp", "lastTransitionTime", "lastProbeTime", "lastHeartbeatTime",
    "startTime", "startedAt", "finishedAt", "timeAdded", "firstTimestamp", "lastTimestamp", "eventTime",
    "acquireTime", "renewTime"})

# ---- query and path parameters ----


def _query(name: str, kind: str, description: str) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": {"type": kind}}


PARAMETERS_COMPONENT: dict[str, Schema] = {
    "namespace": {"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "The namespace the objects are in."},
    "pretty": _query("pretty", "string", "Indent the answer for people to read."),
    "dryRun": _query("dryRun", "string", "All: check and answer the request, but store nothing."),
    "fieldManager": _query("fieldManager", "string", "The name of the actor making the change, recorded with "
                           "the fields it set. At most 128 printable characters."),
    "fieldValidation": _query("fieldValidation", "string", "What to do with fields the schema does not have "
                              "(and fields given twice): Ignore drops them, Warn accepts the object and reports "
                              "each in a Warning header, Strict refuses the request with 400."),
    "force": _query("force", "boolean", "Server-side apply only: take over fields that other managers own "
                    "instead of failing with a conflict."),
    "labelSelector": _query("labelSelector", "string", "Only objects whose labels match, e.g. app=web,tier!=db."),
    "fieldSelector": _query("fieldSelector", "string", "Only objects whose fields match, e.g. "
                            "metadata.name=web or spec.nodeName=node-1."),
    "limit": _query("limit", "integer", "Return at most this many objects; metadata.continue then tells how "
                    "to get the rest."),
    "continue": _query("continue", "string", "The metadata.continue value of the previous part of a list cut "
                       "short by limit."),
    "resourceVersion": _query("resourceVersion", "string", "Read at (or, for a watch, start after) this "
                              "version; empty reads the latest, \"0\" anything cached."),
    "resourceVersionMatch": _query("resourceVersionMatch", "string", "How resourceVersion is taken for a list: "
                                   "NotOlderThan or Exact."),
    "timeoutSeconds": _query("timeoutSeconds", "integer", "End a list or watch after this many seconds."),
    "watch": _query("watch", "boolean", "Instead of a list, stream the changes as they happen (ADDED, "
                    "MODIFIED, DELETED events)."),
    "allowWatchBookmarks": _query("allowWatchBookmarks", "boolean", "Let the watch send BOOKMARK events that "
                                  "only carry a newer resourceVersion."),
    "sendInitialEvents": _query("sendInitialEvents", "boolean", "Start the watch with an ADDED event for each "
                                "object that exists, then a BOOKMARK marking the end of them."),
    "gracePeriodSeconds": _query("gracePeriodSeconds", "integer", "Seconds the object gets before it is "
                                 "removed; 0 removes it at once."),
    "propagationPolicy": _query("propagationPolicy", "string", "What happens to objects this one owns: Orphan, "
                                "Background or Foreground."),
    "orphanDependents": _query("orphanDependents", "boolean", "Old switch for leaving dependents behind; use "
                               "propagationPolicy."),
}
_WRITE = ("dryRun", "fieldManager", "fieldValidation")
_LIST = ("labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch",
         "timeoutSeconds", "watch", "allowWatchBookmarks", "sendInitialEvents")
_DELETE = ("dryRun", "gracePeriodSeconds", "propagationPolicy", "orphanDependents")
_LOG_PARAMETERS = [
    _query("container", "string", "The container to read; may be left out when the pod has one."),
    _query("follow", "boolean", "Keep the stream open and send new lines as the container writes them."),
    _query("previous", "boolean", "Read the log of the container's previous, ended run."),
    _query("sinceSeconds", "integer", "Only lines written in the last this many seconds."),
    _query("tailLines", "integer", "Only this many lines from the end."),
    _query("timestamps", "boolean", "Begin each line with the time it was written (RFC 3339)."),
]


def _refs(*names: str) -> list[Schema]:
    """Path-level parameters, as `$ref`s into components.parameters."""
    return [{"$ref": PARAMETERS + name} for name in names]


def _inline(*names: str) -> list[Schema]:
    """Operation parameters, written out: kubectl's field-validation check follows
    only `#/parameters/...` refs (an OpenAPI v2 form), not `#/components/parameters/...`."""
    return [dict(PARAMETERS_COMPONENT[name]) for name in names]


def _name_parameter(kind: str) -> Schema:
    return {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
            "description": f"The name of the {kind}."}


# ---- schemas ----


def _group_id(group: str) -> str:
    """"rbac.authorization.k8s.io" -> "RbacAuthorization", "" -> "Core" (as in Kubernetes' operation ids)."""
    if not group:
        return "Core"
    return "".join(part.capitalize() for part in group.removesuffix(".k8s.io").split("."))


def _package(group: str, version: str) -> str:
    return f"io.k8s.api.{group.split('.')[0] if group else 'core'}.{version}"


class _Schemas:
    """The schemas one document needs, collected by walking the models it refers to."""

    def __init__(self, packages: dict[str, str], kinds: dict[type[BaseModel], list[dict[str, str]]]) -> None:
        self._packages = packages
        self._kinds = kinds
        self.schemas: dict[str, Schema] = {}
        self.models: dict[str, type[BaseModel]] = {}

    def name(self, model: type[BaseModel]) -> str:
        if model in _WIRE_NAMES:
            return _WIRE_NAMES[model]
        return f"{self._packages[model.__module__]}.{model.__name__}"

    def ref(self, model: type[BaseModel]) -> Schema:
        """A `$ref` to the model's schema, adding it (and what it refers to) to the document."""
        name = self.name(model)
        if name not in self.schemas:
            if self.models.setdefault(name, model) is not model:
                raise ValueError(f"two models would be named {name}")
            self.schemas[name] = {}  # a placeholder first: models may refer to themselves
            self.schemas[name] = self._model_schema(model)
        return {"$ref": SCHEMAS + name}

    def quantity(self) -> Schema:
        self.schemas.setdefault(QUANTITY, {"description": model_description("Quantity"),
                                           "oneOf": [{"type": "string"}, {"type": "number"}]})
        return {"$ref": SCHEMAS + QUANTITY}

    def patch(self) -> Schema:
        self.schemas.setdefault(PATCH, {"type": "object", "description": model_description("Patch")})
        return {"$ref": SCHEMAS + PATCH}

    def list_of(self, info: ResourceInfo) -> Schema:
        """`PodList`: the kind's list, as a list request answers."""
        name = f"{_package(info.group, info.version)}.{info.kind}List"
        if name not in self.schemas:
            items = {"type": "array", "items": self.ref(info.model), "description": LIST_FIELDS["items"]}
            self.schemas[name] = {
                "type": "object", "description": LIST_KIND.format(kind=info.kind), "required": ["items"],
                "properties": {
                    "apiVersion": {"type": "string", "description": LIST_FIELDS["apiVersion"]},
                    "kind": {"type": "string", "description": LIST_FIELDS["kind"]},
                    "metadata": {"allOf": [self.ref(ListMeta)], "description": LIST_FIELDS["metadata"]},
                    "items": items},
                "x-kubernetes-group-version-kind": [
                    {"group": info.group, "version": info.version, "kind": f"{info.kind}List"}]}
        return {"$ref": SCHEMAS + name}

    def _model_schema(self, model: type[BaseModel]) -> Schema:
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for attribute, info in model.model_fields.items():
            name = info.alias or attribute
            prop = self._type(info.annotation)
            if "$ref" in prop:  # OpenAPI 3.0 ignores siblings of a $ref: wrap it, as Kubernetes does
                prop = {"allOf": [prop]}
            if prop.get("type") == "string" and name in _DATE_TIME_FIELDS:
                prop["format"] = "date-time"
            prop["description"] = field_description(model, name) or ""
            prop.update(LIST_EXTENSIONS.get(model.__name__, {}).get(name, {}))
            properties[name] = prop
            if info.is_required():
                required.append(name)
        schema: Schema = {"type": "object", "description": model_description(model) or "",
                          "properties": properties}
        if required:
            schema["required"] = required
        if model in self._kinds:
            schema["x-kubernetes-group-version-kind"] = self._kinds[model]
        return schema

    def _type(self, annotation: Any) -> Schema:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (Union, types.UnionType):
            present = [a for a in args if a is not type(None)]
            if set(present) == {int, str}:  # IntOrString, as Kubernetes publishes it
                return {"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True}
            if len(present) != 1:
                raise TypeError(f"no OpenAPI type for the union {annotation!r}")
            return self._type(present[0])
        if annotation == core.Quantity:
            return self.quantity()
        if origin is Annotated:
            return self._type(args[0])
        if annotation is Any or annotation == Opaque:
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
        if annotation in simple:
            return {"type": simple[annotation]}
        if origin is list:
            return {"type": "array", "items": self._type(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self._type(args[1])}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.ref(annotation)
        raise TypeError(f"no OpenAPI type for {annotation!r}")


# ---- paths ----


def _content(ref: Schema, media_type: str = JSON) -> Schema:
    return {media_type: {"schema": ref}}


def _responses(ref: Schema, *codes: str, media_type: str = JSON) -> Schema:
    words = {"200": "OK", "201": "Created", "202": "Accepted"}
    out: Schema = {code: {"description": words[code], "content": _content(ref, media_type)} for code in codes}
    out["401"] = {"description": "Unauthorized"}
    return out


class _Paths:
    """The operations of one group-version's resources, named and tagged as Kubernetes does."""

    def __init__(self, schemas: _Schemas, group: str, version: str) -> None:
        self._schemas = schemas
        self._prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        self._gv_id = f"{_group_id(group)}{version.capitalize()}"
        self._tag = f"{_group_id(group)[0].lower()}{_group_id(group)[1:]}_{version}"
        self.paths: dict[str, Schema] = {}

    def add(self, info: ResourceInfo) -> None:
        ns = "Namespaced" if info.namespaced else ""
        gvk = {"group": info.group, "version": info.version, "kind": info.kind}
        obj = self._schemas.ref(info.model)
        collection = (f"{self._prefix}/namespaces/{{namespace}}/{info.resource}" if info.namespaced
                      else f"{self._prefix}/{info.resource}")
        scope = _refs("namespace") if info.namespaced else []
        if not info.stored:
            self._path(collection, [*scope, *_refs("pretty")], post=self._op(
                "post", f"create{self._gv_id}{ns}{info.kind}", gvk, f"Ask the server: create a {info.kind} "
                "and get the answer in its status; nothing is stored.", _inline(*_WRITE),
                _responses(obj, "200", "201", "202"), self._body(obj)))
            return
        list_ref = self._schemas.list_of(info)
        status_ref = self._schemas.ref(Status)
        delete_body = {"content": _content(self._schemas.ref(DeleteOptions), "*/*")}
        deleted = obj if type(info.strategy).grace_period is not Strategy.grace_period else status_ref
        self._path(collection, [*scope, *_refs("pretty")], get=self._op(
            "list", f"list{self._gv_id}{ns}{info.kind}", gvk, f"List the {info.kind} objects, or watch them "
            "change.", _inline(*_LIST), self._list_responses(list_ref)), post=self._op(
            "post", f"create{self._gv_id}{ns}{info.kind}", gvk, f"Create a {info.kind}.", _inline(*_WRITE),
            _responses(obj, "200", "201", "202"), self._body(obj)), delete=self._op(
            "deletecollection", f"delete{self._gv_id}Collection{ns}{info.kind}", gvk,
            f"Delete every {info.kind} the selectors match.", _inline(*_DELETE, *_LIST),
            _responses(status_ref, "200"), delete_body))
        item = f"{collection}/{{name}}"
        item_scope = [_name_parameter(info.kind), *scope, *_refs("pretty")]
        self._path(item, item_scope, **self._item_ops(info, gvk, obj, ""), delete=self._op(
            "delete", f"delete{self._gv_id}{ns}{info.kind}", gvk, f"Delete a {info.kind}.", _inline(*_DELETE),
            _responses(deleted, "200", "202"), delete_body))
        if info.namespaced:
            self._path(f"{self._prefix}/{info.resource}", _refs("pretty"), get=self._op(
                "list", f"list{self._gv_id}{info.kind}ForAllNamespaces", gvk, f"List the {info.kind} objects of "
                "every namespace, or watch them change.", _inline(*_LIST), self._list_responses(list_ref)))
        if info.subresource("status") is not None:
            self._path(f"{item}/status", item_scope, **self._item_ops(info, gvk, obj, "Status"))
        if info.subresource("binding") is not None:
            self._pod_subresources(item, item_scope, gvk)

    def _item_ops(self, info: ResourceInfo, gvk: dict[str, str], obj: Schema, sub: str) -> dict[str, Schema]:
        ns = "Namespaced" if info.namespaced else ""
        what = f"the status of a {info.kind}" if sub else f"a {info.kind}"
        return {
            "get": self._op("get", f"read{self._gv_id}{ns}{info.kind}{sub}", gvk, f"Read {what}.", [],
                            _responses(obj, "200")),
            "put": self._op("put", f"replace{self._gv_id}{ns}{info.kind}{sub}", gvk, f"Replace {what}.",
                            _inline(*_WRITE), _responses(obj, "200", "201"), self._body(obj)),
            "patch": self._op("patch", f"patch{self._gv_id}{ns}{info.kind}{sub}", gvk, f"Change part of {what}.",
                              _inline(*_WRITE, "force"), _responses(obj, "200", "201"),
                              {"required": True, "content": {t: {"schema": self._schemas.patch()}
                                                             for t in PATCH_TYPES}}),
        }

    def _pod_subresources(self, item: str, item_scope: list[Schema], pod_gvk: dict[str, str]) -> None:
        self._path(f"{item}/log", item_scope, get=self._op(
            "get", f"read{self._gv_id}NamespacedPodLog", pod_gvk, "Read the output of one of the pod's "
            "containers, from its node.", _LOG_PARAMETERS,
            _responses({"type": "string"}, "200", media_type="text/plain")))
        for model, description in ((Binding, "Assign the pod to a node (the scheduler's way of placing it)."),
                                   (Eviction, "Ask for the pod to be deleted (kubectl drain).")):
            group, version, kind = _WIRE_KINDS[model]
            ref = self._schemas.ref(model)
            self._path(f"{item}/{kind.lower()}", item_scope, post=self._op(
                "post", f"create{self._gv_id}NamespacedPod{kind}", {"group": group, "version": version, "kind": kind},
                description, _inline(*_WRITE), _responses(ref, "200", "201", "202"), self._body(ref)))

    def _path(self, path: str, parameters: list[Schema], **operations: Schema) -> None:
        self.paths[path] = {**operations, "parameters": parameters}

    def _op(self, action: str, operation_id: str, gvk: dict[str, str], description: str,
            parameters: list[Schema], responses: Schema, body: Schema | None = None) -> Schema:
        op: Schema = {"tags": [self._tag], "description": description, "operationId": operation_id,
                      "parameters": parameters, "responses": responses, "x-kubernetes-action": action,
                      "x-kubernetes-group-version-kind": dict(gvk)}
        if body is not None:
            op["requestBody"] = body
        return op

    @staticmethod
    def _body(ref: Schema) -> Schema:
        return {"required": True, "content": _content(ref, "*/*")}

    def _list_responses(self, list_ref: Schema) -> Schema:
        responses = _responses(list_ref, "200")
        responses["200"]["content"]["application/json;stream=watch"] = {"schema": self._schemas.ref(WatchEvent)}
        return responses


# ---- the documents ----


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _digest(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest().upper()


def _key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def build_document(resources: Iterable[ResourceInfo], group: str, version: str,
                   server_version: str = GIT_VERSION) -> dict[str, Any]:
    """The OpenAPI v3 document of one group-version, as a dict.
    `resources` is every kind served (kinds of other group-versions name the schema packages)."""
    resources = tuple(resources)
    packages = {meta_api.__name__: META}
    kinds: dict[type[BaseModel], list[dict[str, str]]] = {
        m: [{"group": g, "version": v, "kind": k}] for m, (g, v, k) in _WIRE_KINDS.items()}
    for info in resources:
        package = _package(info.group, info.version)
        if packages.setdefault(info.model.__module__, package) != package:
            raise ValueError(f"{info.model.__module__} holds kinds of two API groups")
        kinds.setdefault(info.model, []).append({"group": info.group, "version": info.version, "kind": info.kind})
    schemas = _Schemas(packages, kinds)
    paths = _Paths(schemas, group, version)
    for info in resources:
        if (info.group, info.version) == (group, version):
            paths.add(info)
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": server_version},
            "paths": paths.paths,
            "components": {"schemas": schemas.schemas, "parameters": PARAMETERS_COMPONENT}}


class OpenApiDocuments:
    """Every OpenAPI v3 document the server has, built and encoded once: serving one costs a dict lookup.

    `document("api/v1")` -> (JSON bytes, hash); `index()` is `/openapi/v3`, whose
    `serverRelativeURL`s carry each document's hash (clients cache by URL, so a
    changed document gets a new URL)."""

    def __init__(self, resources: Iterable[ResourceInfo] = ALL_RESOURCES, server_version: str = GIT_VERSION) -> None:
        resources = tuple(resources)
        self._documents: dict[str, tuple[bytes, str]] = {}
        for group, version in dict.fromkeys((r.group, r.version) for r in resources):
            body = _encode(build_document(resources, group, version, server_version))
            self._documents[_key(group, version)] = (body, _digest(body))
        self._index = _encode(self.index())

    def index(self) -> dict[str, Any]:
        """The `/openapi/v3` document: each group-version's path and its URL with the hash."""
        return {"paths": {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
                          for key, (_, digest) in self._documents.items()}}

    def index_bytes(self) -> bytes:
        """`index()` encoded as JSON, computed once."""
        return self._index

    def document(self, path: str) -> tuple[bytes, str] | None:
        """`path` like "api/v1" or "apis/coordination.k8s.io/v1" (a leading "/" is allowed):
        the document's JSON bytes and hash, or None for a group-version not served."""
        return self._documents.get(path.strip("/"))

    def keys(self) -> list[str]:
        """The document paths served ("api/v1", "apis/<group>/<version>", ...)."""
        return list(self._documents)
