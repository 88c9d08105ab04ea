"""Which kinds exist: apiVersion/kind, plural resource, scope, short names and
model of each, and the lookups kubectl-style names need ("po", "pods", "Pod")."""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.api import authentication, authorization, coordination, core, rbac
from kubelite.api.errors import UnknownResource
from kubelite.api.meta import KubeObject


@dataclass(frozen=True)
class ResourceInfo:
    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    short_names: tuple[str, ...]
    model: type[KubeObject]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


RBAC = "rbac.authorization.k8s.io"
ALL_RESOURCES: tuple[ResourceInfo, ...] = (
    ResourceInfo("", "v1", "Namespace", "namespaces", False, ("ns",), core.Namespace),
    ResourceInfo("", "v1", "Pod", "pods", True, ("po",), core.Pod),
    ResourceInfo("", "v1", "Node", "nodes", False, ("no",), core.Node),
    ResourceInfo("", "v1", "Event", "events", True, ("ev",), core.Event),
    ResourceInfo("", "v1", "ConfigMap", "configmaps", True, ("cm",), core.ConfigMap),
    ResourceInfo("coordination.k8s.io", "v1", "Lease", "leases", True, (), coordination.Lease),
    ResourceInfo(RBAC, "v1", "Role", "roles", True, (), rbac.Role),
    ResourceInfo(RBAC, "v1", "ClusterRole", "clusterroles", False, (), rbac.ClusterRole),
    ResourceInfo(RBAC, "v1", "RoleBinding", "rolebindings", True, (), rbac.RoleBinding),
    ResourceInfo(RBAC, "v1", "ClusterRoleBinding", "clusterrolebindings", False, (), rbac.ClusterRoleBinding),
    ResourceInfo("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, (),
                 authorization.SelfSubjectAccessReview),
    ResourceInfo("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False, (),
                 authorization.SelfSubjectRulesReview),
    ResourceInfo("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, (),
                 authentication.SelfSubjectReview),
)

# Kinds the API server answers and never stores (create only, no name needed).
REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})

_BY_KIND = {(r.api_version, r.kind): r for r in ALL_RESOURCES}
_BY_NAME: dict[str, ResourceInfo] = {}
for _info in ALL_RESOURCES:
    for _name in (_info.resource, _info.singular, _info.kind, *_info.short_names,
                  f"{_info.resource}.{_info.group}" if _info.group else _info.resource):
        _BY_NAME.setdefault(_name.lower(), _info)


def resource_for_kind(api_version: str, kind: str) -> ResourceInfo | None:
    return _BY_KIND.get((api_version, kind))


def resource_by_name(name: str) -> ResourceInfo:
    """"pods", "pod", "po", "Pod", "leases.coordination.k8s.io" -> the resource.
    Raises UnknownResource (kubectl's wording) for an unknown name."""
    info = _BY_NAME.get(name.lower())
    if info is None:
        raise UnknownResource(name)
    return info
