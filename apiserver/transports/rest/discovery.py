"""API discovery: which groups, versions and resources this server has, in
the two forms clients ask for.

Aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1, same shape) is
one document for `/api` and one for `/apis`, chosen by the Accept header;
legacy discovery is `APIVersions` (`/api`), `APIGroupList` (`/apis`) and one
`APIResourceList` per group-version. All of it is computed once from the kind
registry: serving discovery costs no work per request.
"""

from __future__ import annotations

import json
from typing import Any

from apiserver.transports.rest.paths import group_versions
from kubelite import api

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
DISCOVERY_GROUP = "apidiscovery.k8s.io"
DISCOVERY_VERSIONS = ("v2", "v2beta1")


def subresources(info: api.ResourceInfo) -> list[api.Subresource]:
    return list(info.subresources)


def verbs(info: api.ResourceInfo) -> list[str]:
    return ALL_VERBS if info.stored else ["create"]


def _response_kind(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(info: api.ResourceInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": info.resource, "responseKind": _response_kind(info.group, info.version, info.kind),
        "scope": "Namespaced" if info.namespaced else "Cluster", "singularResource": info.singular,
        "verbs": verbs(info)}
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    subs = subresources(info)
    if subs:
        entry["subresources"] = [{"subresource": s.name, "responseKind": _response_kind(
            info.group if s.group is None else s.group, s.version or info.version, s.kind or info.kind),
            "verbs": list(s.verbs)}
            for s in subs]
    return entry


def _aggregated(groups: list[str], discovery_version: str) -> dict[str, Any]:
    items = []
    for group in groups:
        versions = [v for g, v in group_versions() if g == group]
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": [
            {"version": version, "freshness": "Current", "resources": [
                _aggregated_resource(i) for i in api.ALL_RESOURCES if i.group == group and i.version == version]}
            for version in versions]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"{DISCOVERY_GROUP}/{discovery_version}",
            "metadata": {}, "items": items}


def _resource_list(group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for info in api.ALL_RESOURCES:
        if info.group != group or info.version != version:
            continue
        entry: dict[str, Any] = {"name": info.resource, "singularName": info.singular,
                                 "namespaced": info.namespaced, "kind": info.kind, "verbs": verbs(info)}
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        resources.append(entry)
        for sub in subresources(info):
            entry = {"name": f"{info.resource}/{sub.name}", "singularName": "", "namespaced": info.namespaced,
                     "kind": sub.kind or info.kind, "verbs": list(sub.verbs)}
            if sub.group is not None:
                entry.update(group=sub.group, version=sub.version)
            resources.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def _group_list() -> dict[str, Any]:
    groups = []
    for group in dict.fromkeys(g for g, _ in group_versions() if g):
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for g, v in group_versions() if g == group]
        groups.append({"name": group, "versions": versions, "preferredVersion": versions[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


class Discovery:
    """Every discovery document, encoded once."""

    def __init__(self, server_address: str) -> None:
        named = list(dict.fromkeys(g for g, _ in group_versions() if g))
        self.aggregated = {(root, v): _encode(_aggregated([""] if root == "api" else named, v))
                           for root in ("api", "apis") for v in DISCOVERY_VERSIONS}
        self.legacy_api = _encode({"kind": "APIVersions", "versions": [v for g, v in group_versions() if not g],
                                   "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                                   "serverAddress": server_address}]})
        self.legacy_apis = _encode(_group_list())
        self.resource_lists = {gv: _encode(_resource_list(*gv)) for gv in group_versions()}
        self.groups = {g: _encode(doc) for doc in _group_list()["groups"] for g in [doc["name"]]}

    def group(self, name: str) -> bytes | None:
        """`/apis/<group>`: the APIGroup document."""
        doc = self.groups.get(name)
        if doc is None:
            return None
        return _encode({"kind": "APIGroup", "apiVersion": "v1", **json.loads(doc)})


def aggregated_version(accept: str) -> str | None:
    """The apidiscovery version the Accept header asks for first ("v2" or
    "v2beta1"), or None when the client wants legacy discovery. Media ranges
    are parsed, not string-matched: parameters come in any order and extra
    ones (profile=...) are ignored."""
    for media_range in accept.split(","):
        kind, *params = [p.strip() for p in media_range.split(";")]
        values = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in params)}
        if kind in ("application/json", "application/*", "*/*") and values.get("g") == DISCOVERY_GROUP:
            if values.get("as") == "APIGroupDiscoveryList" and values.get("v") in DISCOVERY_VERSIONS:
                return values["v"]
            continue
        if kind in ("application/json", "application/*", "*/*"):
            return None
    return None
