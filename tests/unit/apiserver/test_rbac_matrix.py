"""Authorization matrix: users x verbs x resources x namespaces against the
bootstrap policy plus a few bindings, with the expected allow or deny, and
kube-apiserver's denial sentences."""

from __future__ import annotations

from typing import Any

import pytest

from apiserver.node_authorizer import NodeAuthorizer
from apiserver.rbac import (
    AUTOUPDATE,
    Attributes,
    RBACAuthorizer,
    bootstrap_policy,
    forbidden_message,
    reconcile_bootstrap,
)

RBAC_V1 = "rbac.authorization.k8s.io/v1"


def binding(name: str, namespace: str, role_kind: str, role: str, subjects: list[dict[str, str]]) -> dict[str, Any]:
    return {"apiVersion": RBAC_V1, "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": subjects}


OBJECTS: dict[str, list[dict[str, Any]]] = {"roles": [], "clusterroles": [], "rolebindings": [],
                                            "clusterrolebindings": []}
for obj in bootstrap_policy():
    OBJECTS["clusterroles" if obj["kind"] == "ClusterRole" else "clusterrolebindings"].append(obj)
OBJECTS["roles"].append({"apiVersion": RBAC_V1, "kind": "Role", "metadata": {"name": "one-cm", "namespace": "dev"},
                         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "update"],
                                    "resourceNames": ["settings"]}]})
OBJECTS["rolebindings"] += [
    binding("devs-edit", "dev", "ClusterRole", "edit", [{"kind": "Group", "name": "devs"}]),
    binding("ann-view", "dev", "ClusterRole", "view", [{"kind": "User", "name": "ann"}]),
    binding("carl-one-cm", "dev", "Role", "one-cm", [{"kind": "User", "name": "carl"}]),
    binding("robot-edit", "ci", "ClusterRole", "edit", [{"kind": "ServiceAccount", "name": "robot"}]),
]

rbac = RBACAuthorizer(lambda kind: OBJECTS[kind])
USERS = {
    "admin": ("kubelite-admin", ("system:masters",)),
    "bob": ("bob", ("devs",)),
    "ann": ("ann", ()),
    "carl": ("carl", ()),
    "nobody": ("nobody", ()),
    "scheduler": ("system:kube-scheduler", ()),
    "robot": ("system:serviceaccount:ci:robot", ()),
}

MATRIX = [
    # user, verb, resource, subresource, namespace, name, allowed
    ("admin", "delete", "nodes", "", "", "n1", True),
    ("admin", "create", "pods", "", "prod", "", True),
    ("bob", "create", "pods", "", "dev", "", True),
    ("bob", "create", "pods", "", "prod", "", False),
    ("bob", "delete", "configmaps", "", "dev", "c", True),
    ("bob", "create", "rolebindings", "", "dev", "", False),
    ("bob", "list", "nodes", "", "", "", False),
    ("ann", "list", "pods", "", "dev", "", True),
    ("ann", "get", "pods", "log", "dev", "p", True),
    ("ann", "create", "pods", "", "dev", "", False),
    ("ann", "list", "pods", "", "prod", "", False),
    ("carl", "get", "configmaps", "", "dev", "settings", True),
    ("carl", "get", "configmaps", "", "dev", "other", False),
    ("carl", "list", "configmaps", "", "dev", "", False),
    ("nobody", "get", "pods", "", "dev", "p", False),
    ("scheduler", "create", "pods", "binding", "dev", "p", True),
    ("scheduler", "delete", "pods", "", "dev", "p", False),
    ("scheduler", "update", "pods", "status", "dev", "p", True),
    ("scheduler", "update", "pods", "", "dev", "p", False),
    ("robot", "create", "pods", "", "ci", "", True),
    ("robot", "create", "pods", "", "dev", "", False),
]


@pytest.mark.parametrize(("user", "verb", "resource", "sub", "namespace", "name", "allowed"), MATRIX,
                         ids=[f"{u}-{v}-{r}{'/' + s if s else ''}-in-{ns or 'cluster'}-"
                              f"{'allowed' if a else 'denied'}" for u, v, r, s, ns, _, a in MATRIX])
def test_rbac_matrix(user: str, verb: str, resource: str, sub: str, namespace: str, name: str,
                     allowed: bool) -> None:
    username, groups = USERS[user]
    decision = rbac.authorize(Attributes(username, groups, verb, "", resource, sub, namespace, name))
    assert decision.allowed is allowed
    if allowed:
        assert decision.reason.startswith("RBAC: allowed")


def test_allow_reason_names_the_binding_and_role() -> None:
    decision = rbac.authorize(Attributes("bob", ("devs",), "create", "", "pods", "", "dev"))
    assert decision.reason == ('RBAC: allowed by RoleBinding "devs-edit" in namespace "dev" of ClusterRole "edit" '
                               'to Group "devs"')


@pytest.mark.parametrize(("attrs", "message"), [
    (Attributes("bob", (), "create", "", "pods", "", "dev"),
     'pods is forbidden: User "bob" cannot create resource "pods" in API group "" in the namespace "dev"'),
    (Attributes("bob", (), "get", "", "nodes", "", "", "n1"),
     'nodes "n1" is forbidden: User "bob" cannot get resource "nodes" in API group "" at the cluster scope'),
    (Attributes("bob", (), "create", "", "pods", "binding", "dev", "p"),
     'pods "p" is forbidden: User "bob" cannot create resource "pods/binding" in API group "" in the namespace '
     '"dev"'),
], ids=["namespaced", "cluster-scoped", "subresource"])
def test_denials_read_like_kube_apiserver(attrs: Attributes, message: str) -> None:
    assert forbidden_message(attrs) == message


BOUND = {("default", "mine"): "node-1", ("default", "theirs"): "node-2"}
# what pods bound to node-1 reference (the pod cache's graph)
USED = {("node-1", "secrets", "default", "dbpass"), ("node-1", "configmaps", "default", "settings"),
        ("node-1", "serviceaccounts", "default", "web"), ("node-2", "secrets", "default", "other")}
node_authz = NodeAuthorizer(lambda ns, name: BOUND.get((ns, name)), lambda *edge: edge in USED)
NODE1 = ("system:node:node-1", ("system:nodes", "system:authenticated"))

NODE_MATRIX = [
    ("update", "", "nodes", "", "", "node-1", True),
    ("update", "", "nodes", "status", "", "node-1", True),
    ("update", "", "nodes", "status", "", "node-2", False),
    ("create", "coordination.k8s.io", "leases", "", "kube-node-lease", "node-1", True),
    ("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "node-2", False),
    ("update", "", "pods", "status", "default", "mine", True),
    ("update", "", "pods", "status", "default", "theirs", False),
    ("get", "", "pods", "", "default", "theirs", False),
    ("delete", "", "pods", "", "default", "mine", True),
    ("get", "", "secrets", "", "default", "dbpass", True),
    ("get", "", "secrets", "", "default", "other", False),
    ("list", "", "secrets", "", "default", "", False),
    ("watch", "", "secrets", "", "", "", False),
    ("update", "", "secrets", "", "default", "dbpass", False),
    ("get", "", "configmaps", "", "default", "settings", True),
    ("get", "", "configmaps", "", "team", "settings", False),
    ("list", "", "configmaps", "", "", "", False),
    ("get", "", "serviceaccounts", "", "default", "web", True),
    ("get", "", "serviceaccounts", "", "default", "default", False),
]


@pytest.mark.parametrize(("verb", "group", "resource", "sub", "namespace", "name", "allowed"), NODE_MATRIX,
                         ids=[f"node-1-{v}-{r}{'/' + s if s else ''}-{n}-{'allowed' if a else 'denied'}"
                              for v, _, r, s, _, n, a in NODE_MATRIX])
def test_node_authorizer_matrix(verb: str, group: str, resource: str, sub: str, namespace: str, name: str,
                                allowed: bool) -> None:
    decision = node_authz.authorize(Attributes(*NODE1, verb, group, resource, sub, namespace, name))
    assert decision is not None and decision.allowed is allowed


def test_node_authorizer_has_no_opinion_about_other_users_and_pins_list_selectors() -> None:
    assert node_authz.authorize(Attributes("bob", (), "get", "", "pods", "", "default", "mine")) is None
    assert node_authz.requires_node_field_selector(Attributes(*NODE1, "watch", "", "pods")) == "node-1"
    assert node_authz.requires_node_field_selector(Attributes("bob", (), "watch", "", "pods")) is None


def test_bootstrap_objects_from_an_older_version_gain_the_new_rules_and_subjects() -> None:
    wanted = next(o for o in bootstrap_policy() if o["metadata"]["name"] == "system:basic-user"
                  and o["kind"] == "ClusterRole")
    older = {**wanted, "rules": wanted["rules"][:1], "metadata": {"name": "system:basic-user", "uid": "u"}}
    updated = reconcile_bootstrap(older, wanted)
    assert updated is not None and updated["rules"] == wanted["rules"]
    assert updated["metadata"]["uid"] == "u" and updated["metadata"]["annotations"][AUTOUPDATE] == "true"
    assert reconcile_bootstrap(updated, wanted) is None
    own = {**older, "rules": [{"apiGroups": ["x"], "resources": ["y"], "verbs": ["get"]}]}
    assert reconcile_bootstrap(own, wanted)["rules"][0] == own["rules"][0]  # type: ignore[index]
    opted_out = {**older, "metadata": {"name": "system:basic-user", "annotations": {AUTOUPDATE: "false"}}}
    assert reconcile_bootstrap(opted_out, wanted) is None
    binding = next(o for o in bootstrap_policy() if o["kind"] == "ClusterRoleBinding")
    assert reconcile_bootstrap({**binding, "subjects": []}, binding)["subjects"] == binding["subjects"]  # type: ignore[index]


def test_the_pod_cache_graph_follows_every_kind_of_reference_and_forgets_unbound_pods() -> None:
    from apiserver.caches import PodNodeCache, pod_references

    pod = {"metadata": {"namespace": "team", "name": "p"}, "spec": {
        "nodeName": "node-1", "serviceAccountName": "builder", "imagePullSecrets": [{"name": "pull"}],
        "volumes": [{"name": "a", "secret": {"secretName": "vol"}}, {"name": "b", "configMap": {"name": "cmvol"}},
                    {"name": "c", "projected": {"sources": [{"secret": {"name": "proj"}}]}}],
        "containers": [{"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "envs"}}}],
                        "envFrom": [{"configMapRef": {"name": "cmenv"}}]}]}}
    assert pod_references(pod) == {("serviceaccounts", "builder"), ("secrets", "pull"), ("secrets", "vol"),
                                   ("configmaps", "cmvol"), ("secrets", "proj"), ("secrets", "envs"),
                                   ("configmaps", "cmenv")}
    cache = PodNodeCache.__new__(PodNodeCache)
    cache.items, cache._used_by = {}, {}
    cache._put(("team", "p"), pod)
    assert cache.node_uses("node-1", "secrets", "team", "vol")
    assert not cache.node_uses("node-2", "secrets", "team", "vol")
    moved = {**pod, "spec": {**pod["spec"], "nodeName": "node-2"}}
    cache._put(("team", "p"), moved)
    assert not cache.node_uses("node-1", "secrets", "team", "vol") and cache.node_uses("node-2", "secrets", "team",
                                                                                         "vol")
    cache._drop(("team", "p"))
    assert cache._used_by == {}
