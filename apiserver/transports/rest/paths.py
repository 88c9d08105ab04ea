"""Kubernetes REST paths to what they name: `/api/v1/namespaces/default/pods/web/log`
is (core v1, pods, namespace "default", name "web", subresource "log").

The shapes are kube-apiserver's: `/api/<version>/...` for the core group,
`/apis/<group>/<version>/...` for named groups; then `<resource>[/<name>[/<sub>]]`
(cluster-scoped kinds, or all namespaces for a list), or
`namespaces/<ns>/<resource>[/<name>[/<sub>]]`. `namespaces/<name>[/status]` is
the Namespace itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite import api
from kubelite.errors import NotFound


@dataclass(frozen=True)
class ResourcePath:
    group: str
    version: str
    info: api.ResourceInfo | None  # None: the group-version itself (its APIResourceList)
    namespace: str = ""
    name: str = ""
    subresource: str = ""


def not_found() -> NotFound:
    return NotFound("the server could not find the requested resource")


def _resource(group: str, version: str, name: str) -> api.ResourceInfo:
    for info in api.ALL_RESOURCES:
        if info.group == group and info.version == version and info.resource == name:
            return info
    raise not_found()


def group_versions() -> list[tuple[str, str]]:
    """Every (group, version) served, core first, in registry order."""
    seen: list[tuple[str, str]] = []
    for info in api.ALL_RESOURCES:
        if (info.group, info.version) not in seen:
            seen.append((info.group, info.version))
    return seen


def parse(path: str) -> ResourcePath:
    """Raises NotFound (404 Status) for a path that names nothing we serve."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found()
    if (group, version) not in group_versions():
        raise not_found()
    if not rest:
        return ResourcePath(group, version, None)
    namespace = ""
    if rest[0] == "namespaces" and group == "" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
        if rest[0] in ("status", "finalize") and len(rest) == 1:
            # the Namespace object's own subresource
            return ResourcePath(group, version, _resource(group, version, "namespaces"), "", namespace, rest[0])
    elif rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise not_found()
    info = _resource(group, version, rest[0])
    if namespace and not info.namespaced:
        raise not_found()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if not info.namespaced and namespace:
        raise not_found()
    return ResourcePath(group, version, info, namespace, name, sub)
