"""The node authorizer: a node agent (user `system:node:<name>` in group
`system:nodes`) may touch only its own Node, its own Lease in kube-node-lease,
the pods bound to it, and the Secrets, ConfigMaps and ServiceAccounts those
pods reference (and no others: not even a list), as kube-apiserver's Node
authorizer allows. For anything else it has no opinion and RBAC decides."""

from __future__ import annotations

from collections.abc import Callable

from apiserver.rbac import Attributes, Decision

NODES_GROUP = "system:nodes"
NODE_PREFIX = "system:node:"
LEASE_NAMESPACE = "kube-node-lease"
COORDINATION = "coordination.k8s.io"
REFERENCED = ("secrets", "configmaps", "serviceaccounts")


def node_name(a: Attributes) -> str | None:
    if NODES_GROUP in a.groups and a.user.startswith(NODE_PREFIX):
        return a.user[len(NODE_PREFIX):]
    return None


class NodeAuthorizer:
    """`pod_node(namespace, name)` says which node a pod is bound to (or None);
    `node_uses(node, resource, namespace, name)` whether a pod bound to the
    node references the object."""

    def __init__(self, pod_node: Callable[[str, str], str | None],
                 node_uses: Callable[[str, str, str, str], bool] = lambda *_: False) -> None:
        self._pod_node = pod_node
        self._node_uses = node_uses

    def requires_node_field_selector(self, a: Attributes) -> str | None:
        """The node a list/watch of pods by a node must be restricted to."""
        node = node_name(a)
        if node and a.api_group == "" and a.resource == "pods" and not a.subresource and a.verb in ("list", "watch"):
            return node
        return None

    def authorize(self, a: Attributes) -> Decision | None:
        node = node_name(a)
        if node is None:
            return None
        no_relation = Decision(False, f"no relationship found between node '{node}' and this object")
        if a.api_group == "" and a.resource == "nodes":
            if a.verb in ("get", "list", "watch") and not a.subresource:
                return None
            if a.verb in ("create", "get", "update", "patch") and a.name == node:
                return Decision(True, f'Node: node "{node}" may {a.verb} its own Node')
            return no_relation
        if a.api_group == COORDINATION and a.resource == "leases":
            if a.namespace == LEASE_NAMESPACE and a.name == node and a.verb in ("get", "create", "update", "patch"):
                return Decision(True, f'Node: node "{node}" may {a.verb} its own Lease')
            return no_relation
        if a.api_group == "" and a.resource in REFERENCED:
            if a.verb == "get" and not a.subresource and a.name and self._node_uses(node, a.resource, a.namespace,
                                                                                     a.name):
                return Decision(True, f'Node: {a.resource} "{a.namespace}/{a.name}" is used by a pod bound to '
                                      f'node "{node}"')
            return no_relation
        if a.api_group == "" and a.resource == "pods":
            if a.verb in ("list", "watch") and not a.subresource:
                return Decision(True, f'Node: node "{node}" may {a.verb} the pods bound to it')
            if a.name and self._pod_node(a.namespace, a.name) == node and (
                    (a.subresource == "" and a.verb in ("get", "delete"))
                    or (a.subresource == "status" and a.verb in ("get", "update", "patch"))
                    or (a.subresource == "log" and a.verb == "get")):
                return Decision(True, f'Node: pod "{a.namespace}/{a.name}" is bound to node "{node}"')
            return no_relation
        return None
