"""rbac.authorization.k8s.io/v1: Role, ClusterRole and their bindings."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.meta import KubeObject, LabelSelector, Model


class PolicyRule(Model):
    verbs: list[str] = Field(default_factory=list)
    apiGroups: list[str] | None = None
    resources: list[str] | None = None
    resourceNames: list[str] | None = None
    nonResourceURLs: list[str] | None = None


class AggregationRule(Model):
    clusterRoleSelectors: list[LabelSelector] | None = None


class Role(KubeObject):
    rules: list[PolicyRule] | None = None


class ClusterRole(KubeObject):
    rules: list[PolicyRule] | None = None
    aggregationRule: AggregationRule | None = None


class RoleRef(Model):
    apiGroup: str
    kind: str
    name: str


class Subject(Model):
    kind: str
    name: str
    namespace: str | None = None
    apiGroup: str | None = None


class RoleBinding(KubeObject):
    roleRef: RoleRef
    subjects: list[Subject] | None = None


class ClusterRoleBinding(KubeObject):
    roleRef: RoleRef
    subjects: list[Subject] | None = None
