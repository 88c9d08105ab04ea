"""RBAC: Roles, ClusterRoles and their bindings decide who may do what.

Pure logic over the objects as stored (Kubernetes JSON dicts), read through a
provider so the API server can feed it from its watch-fed caches. It also
holds the bootstrap policy (cluster-admin, admin, edit, view and the system
components' roles) and kube-apiserver's wording for a denial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
MASTERS = "system:masters"
RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Attributes:
    """One request, as the authorizers see it."""

    user: str
    groups: tuple[str, ...]
    verb: str
    api_group: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    name: str = ""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def forbidden_message(a: Attributes) -> str:
    """kube-apiserver's sentence for a denied request."""
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    subject = f'{a.resource} "{a.name}"' if a.name else a.resource
    scope = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    return (f'{subject} is forbidden: User "{a.user}" cannot {a.verb} resource "{resource}" in API group '
            f'"{a.api_group}" {scope}')


def _rule_allows(rule: Obj, a: Attributes) -> bool:
    verbs = rule.get("verbs") or []
    if "*" not in verbs and a.verb not in verbs:
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and a.api_group not in groups:
        return False
    wanted = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    resources = rule.get("resources") or []
    if "*" not in resources and wanted not in resources and not (a.subresource and f"*/{a.subresource}" in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or (bool(a.name) and a.name in names)


def _subject_matches(subject: Obj, a: Attributes, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == a.user
    if kind == "Group":
        return name in a.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return a.user == f"system:serviceaccount:{namespace}:{name}"
    return False


class RBACAuthorizer:
    """`objects(kind)` returns the stored objects of "roles", "clusterroles",
    "rolebindings" or "clusterrolebindings"."""

    def __init__(self, objects: Callable[[str], list[Obj]]) -> None:
        self._objects = objects

    def _role(self, kind: str, namespace: str, name: str) -> Obj | None:
        plural = "clusterroles" if kind == "ClusterRole" else "roles"
        for role in self._objects(plural):
            meta = role.get("metadata") or {}
            if meta.get("name") == name and (plural == "clusterroles" or meta.get("namespace") == namespace):
                return role
        return None

    def authorize(self, a: Attributes) -> Decision:
        if MASTERS in a.groups:
            return Decision(True, f'RBAC: allowed because user "{a.user}" is in group "{MASTERS}"')
        for plural in ("clusterrolebindings", "rolebindings"):
            for binding in self._objects(plural):
                meta = binding.get("metadata") or {}
                namespace = meta.get("namespace", "") if plural == "rolebindings" else ""
                if plural == "rolebindings" and namespace != a.namespace:
                    continue
                subject = next((s for s in binding.get("subjects") or []
                                if _subject_matches(s, a, namespace)), None)
                if subject is None:
                    continue
                ref = binding.get("roleRef") or {}
                role = self._role(ref.get("kind", ""), namespace, ref.get("name", ""))
                if role is None:
                    continue
                if any(_rule_allows(rule, a) for rule in role.get("rules") or []):
                    kind = "ClusterRoleBinding" if plural == "clusterrolebindings" else "RoleBinding"
                    where = f' in namespace "{namespace}"' if namespace else ""
                    return Decision(True, f'RBAC: allowed by {kind} "{meta.get("name")}"{where} of '
                                          f'{ref.get("kind")} "{ref.get("name")}" to {subject.get("kind")} '
                                          f'"{subject.get("name")}"')
        return Decision(False, "")

    def rules(self, user: str, groups: tuple[str, ...], namespace: str) -> tuple[list[Obj], list[Obj]]:
        """What `user` may do in `namespace` (kubectl auth can-i --list): the
        resource rules and the non-resource rules of every role bound to them
        there or cluster-wide."""
        if MASTERS in groups:
            return ([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                    [{"verbs": ["*"], "nonResourceURLs": ["*"]}])
        who = Attributes(user=user, groups=groups, verb="", api_group="", resource="", namespace=namespace)
        resource_rules: list[Obj] = []
        non_resource: list[Obj] = []
        for plural in ("clusterrolebindings", "rolebindings"):
            for binding in self._objects(plural):
                meta = binding.get("metadata") or {}
                bound_in = meta.get("namespace", "") if plural == "rolebindings" else ""
                if plural == "rolebindings" and bound_in != namespace:
                    continue
                if not any(_subject_matches(s, who, bound_in) for s in binding.get("subjects") or []):
                    continue
                ref = binding.get("roleRef") or {}
                role = self._role(ref.get("kind", ""), bound_in, ref.get("name", ""))
                for rule in (role or {}).get("rules") or []:
                    if rule.get("nonResourceURLs"):
                        entry = {"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]}
                        if entry not in non_resource:
                            non_resource.append(entry)
                        continue
                    entry = {k: rule[k] for k in ("verbs", "apiGroups", "resources", "resourceNames")
                             if rule.get(k)}
                    if entry not in resource_rules:
                        resource_rules.append(entry)
        return resource_rules, non_resource


# --------------------------------------------------------------- bootstrap
READ = ["get", "list", "watch"]
WRITE = ["create", "update", "patch", "delete", "deletecollection"]
COORDINATION = "coordination.k8s.io"


# kube-apiserver's marker: a bootstrap object it may add missing rules or subjects to at start
AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate"


def reconcile_bootstrap(stored: Obj, wanted: Obj) -> Obj | None:
    """The stored bootstrap ClusterRole/Binding with what this version's policy
    adds (rules, subjects), as kube-apiserver reconciles its defaults at start;
    None when nothing is missing or the object opted out (autoupdate "false")."""
    annotations = (stored.get("metadata") or {}).get("annotations") or {}
    if annotations.get(AUTOUPDATE) == "false":
        return None
    field = "rules" if stored.get("kind") == "ClusterRole" else "subjects"
    have = list(stored.get(field) or [])
    missing = [item for item in wanted.get(field) or [] if item not in have]
    if not missing:
        return None
    updated = {**stored, field: have + missing}
    updated["metadata"] = {**stored["metadata"], "annotations": {**annotations, AUTOUPDATE: "true"}}
    return updated


def _rule(verbs: list[str], resources: list[str], groups: tuple[str, ...] = ("",),
          names: list[str] | None = None) -> Obj:
    rule: Obj = {"apiGroups": list(groups), "resources": resources, "verbs": verbs}
    if names:
        rule["resourceNames"] = names
    return rule


def _cluster_role(name: str, rules: list[Obj]) -> Obj:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                         "annotations": {AUTOUPDATE: "true"}}, "rules": rules}


def _binding(name: str, role: str, kind: str, subject: str) -> Obj:
    subj: Obj = {"kind": kind, "name": subject, "apiGroup": RBAC_GROUP}
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                         "annotations": {AUTOUPDATE: "true"}},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role}, "subjects": [subj]}


def bootstrap_policy() -> list[Obj]:
    """The ClusterRoles and ClusterRoleBindings every cluster starts with."""
    workloads = ["deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                 "replicasets/status", "daemonsets", "daemonsets/status"]
    batch = ["jobs", "jobs/status", "cronjobs", "cronjobs/status"]
    # as Kubernetes' aggregated view role: everything but Secrets
    view = [_rule(READ, ["pods", "pods/log", "pods/status", "configmaps", "events", "namespaces", "serviceaccounts"]),
            _rule(READ, ["leases"], (COORDINATION,)), _rule(READ, workloads, ("apps",)), _rule(READ, batch, ("batch",)),
            _rule(READ, ["poddisruptionbudgets", "poddisruptionbudgets/status"], ("policy",))]
    edit = [*view, _rule(WRITE, ["pods", "configmaps", "events", "serviceaccounts"]),
            _rule([*READ, *WRITE], ["secrets"]), _rule(["create"], ["pods/eviction"]),
            _rule(WRITE, ["leases"], (COORDINATION,)), _rule(WRITE, workloads, ("apps",)),
            _rule(WRITE, batch, ("batch",)), _rule(WRITE, ["poddisruptionbudgets"], ("policy",))]
    admin = [*edit, _rule([*READ, *WRITE], ["roles", "rolebindings"], (RBAC_GROUP,))]
    return [
        _cluster_role("cluster-admin", [_rule(["*"], ["*"], ("*",))]),
        _cluster_role("admin", admin),
        _cluster_role("edit", edit),
        _cluster_role("view", view),
        _cluster_role("system:kube-scheduler", [
            _rule(READ, ["pods", "nodes", "namespaces"]),
            _rule(["create"], ["pods/binding"]),
            _rule(["update", "patch"], ["pods/status"]),
            _rule(["create", "patch", "update"], ["events"]),
            _rule([*READ, "create", "update"], ["leases"], (COORDINATION,)),
        ]),
        _cluster_role("system:kube-controller-manager", [
            _rule([*READ, *WRITE], ["pods", "serviceaccounts", "secrets", "configmaps"]),
            _rule([*READ, "update", "patch", "delete"], ["nodes"]),
            _rule(["update", "patch"], ["pods/status", "nodes/status"]),
            _rule([*READ, "update", "patch", "delete"], ["namespaces"]),
            _rule(["update"], ["namespaces/finalize", "namespaces/status"]),
            _rule(["*"], ["*"], ("apps", "batch", "policy")),
            # the namespace controller and the garbage collector empty namespaces of every kind
            _rule([*READ, "delete", "deletecollection"], ["*"], ("*",)),
            _rule(["create", "patch", "update"], ["events"]),
            _rule([*READ, "create", "update"], ["leases"], (COORDINATION,)),
        ]),
        _cluster_role("system:node", [
            _rule(READ, ["pods", "namespaces"]),
            _rule(["get", "list", "watch", "create", "update", "patch"], ["nodes", "nodes/status"]),
            _rule(["update", "patch"], ["pods/status"]),
            _rule(["delete"], ["pods"]),
            _rule(["create", "patch", "update"], ["events"]),
            _rule(["get", "create", "update", "patch"], ["leases"], (COORDINATION,)),
        ]),
        # every signed-in user may ask what they may do (kubectl auth can-i)
        _cluster_role("system:basic-user", [
            _rule(["create"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ("authorization.k8s.io",)),
            _rule(["create"], ["selfsubjectreviews"], ("authentication.k8s.io",))]),
        _binding("cluster-admin", "cluster-admin", "Group", MASTERS),
        _binding("system:basic-user", "system:basic-user", "Group", "system:authenticated"),
        _binding("system:kube-scheduler", "system:kube-scheduler", "User", "system:kube-scheduler"),
        _binding("system:kube-controller-manager", "system:kube-controller-manager", "User",
                 "system:kube-controller-manager"),
        _binding("system:node", "system:node", "Group", "system:nodes"),
    ]
