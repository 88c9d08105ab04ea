"""The authorizer the pipeline asks: the node authorizer, then RBAC
(kube-apiserver's `--authorization-mode=Node,RBAC`), over watch-fed caches so
no request reads the store to be authorized.

It also enforces what the node authorizer asks of list/watch by nodes: a node
agent may only list and watch pods with `fieldSelector=spec.nodeName=<itself>`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from apiserver.caches import PodNodeCache, ResourceCache
from apiserver.context import Request, UserInfo
from apiserver.node_authorizer import NodeAuthorizer
from apiserver.rbac import Attributes, RBACAuthorizer, forbidden_message
from apiserver.rbac import Decision as NodeDecision
from apiserver.registry import GenericStore
from apiserver.selectors import parse_field_selector
from kubelite import api
from kubelite.errors import StatusError


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    message: str = ""


class Authorizer:
    def __init__(self, pods: PodNodeCache, store: GenericStore) -> None:
        self._pods = pods
        self._store = store
        self._rbac_caches: dict[str, ResourceCache] = {}
        self._rbac = RBACAuthorizer(self._rbac_objects)
        self._node = NodeAuthorizer(self._pods.node_of, self._pods.node_uses)

    def attach_rbac(self, caches: dict[str, ResourceCache]) -> None:
        self._rbac_caches = caches

    def rbac_changed(self) -> None:
        invalidate = getattr(self._rbac, "invalidate", None)
        if invalidate is not None:
            invalidate()

    async def _recheck_pod(self, attrs: Attributes, decision: NodeDecision) -> NodeDecision | None:
        try:
            pod = await self._store.get(api.resource_by_name("pods"), attrs.namespace, attrs.name)
        except StatusError:
            return decision
        self._pods.items[(attrs.namespace, attrs.name)] = pod
        return self._node.authorize(attrs)

    def _rbac_objects(self, kind: str) -> list[dict[str, Any]]:
        cache = self._rbac_caches.get(kind)
        return cache.values() if cache is not None else []

    async def review(self, user: UserInfo, review: dict[str, Any]) -> dict[str, Any]:
        """Answer a SelfSubjectAccessReview for `user`: the same decision a
        request with those attributes would get (kubectl auth can-i)."""
        attrs = (review.get("spec") or {}).get("resourceAttributes") or {}
        decision = await self.check(user, attrs.get("verb") or "", attrs.get("resource") or "",
                                    group=attrs.get("group") or "", version=attrs.get("version") or "v1",
                                    namespace=attrs.get("namespace") or "", name=attrs.get("name") or "",
                                    subresource=attrs.get("subresource") or "")
        answered = dict(review)
        answered["status"] = {"allowed": decision.allowed, "reason": decision.reason}
        return answered

    def rules_review(self, user: UserInfo, review: dict[str, Any]) -> dict[str, Any]:
        """Answer a SelfSubjectRulesReview: the rules RBAC grants `user` in
        the namespace asked about (kubectl auth can-i --list). What the node
        authorizer grants a node is not listed, so it says incomplete then."""
        namespace = (review.get("spec") or {}).get("namespace") or ""
        resource_rules, non_resource = self._rbac.rules(user.name, tuple(user.groups), namespace)
        node = any(g == "system:nodes" for g in user.groups)
        status: dict[str, Any] = {"resourceRules": resource_rules, "nonResourceRules": non_resource,
                                  "incomplete": node}
        if node:
            status["evaluationError"] = "the node authorizer's rules are not listed"
        return {**review, "status": status}

    async def check(self, user: UserInfo, verb: str, resource: str, *, group: str = "", version: str = "v1",
                    namespace: str = "", name: str = "", subresource: str = "") -> Decision:
        """The decision for attributes that need not name a served resource
        (`impersonate` on "users" and "groups", a review's free-form question)."""
        try:
            info = api.resource_by_name(f"{resource}.{group}" if group else resource)
        except api.UnknownResource:
            info = api.ResourceInfo(group, version, "", resource, bool(namespace), (), api.KubeObject)
        return await self.authorize(Request(verb=verb, info=info, namespace=namespace, name=name,
                                            subresource=subresource, user=user))

    async def authorize(self, request: Request) -> Decision:
        assert request.user is not None
        attrs = Attributes(user=request.user.name, groups=tuple(request.user.groups), verb=request.verb,
                           api_group=request.info.group, resource=request.info.resource,
                           subresource=request.subresource, namespace=request.namespace,
                           # a create is a POST to the collection: Kubernetes authorizes it without a name
                           name="" if request.verb == "create" and not request.subresource else request.name)
        pinned = self._node.requires_node_field_selector(attrs)
        if pinned is not None:
            selector = dict((f, v) for f, op, v in parse_field_selector(
                request.options.get("field_selector", ""), frozenset({"spec.nodeName", "metadata.name",
                                                                      "metadata.namespace", "status.phase"}))
                if op == "=")
            if selector.get("spec.nodeName") != pinned:
                reason = f'node "{pinned}" may only {request.verb} pods with fieldSelector spec.nodeName={pinned}'
                return Decision(False, reason, f"{forbidden_message(attrs)}: {reason}")
        # The node authorizer also judges creates by the object's name (its own
        # Node, its own Lease), as Kubernetes' NodeRestriction admission does.
        node_attrs = dataclasses.replace(attrs, name=request.name)
        decision = self._node.authorize(node_attrs)
        if decision is not None and not decision.allowed and attrs.resource == "pods" and attrs.name:
            # The pod cache may not have seen a binding that just happened:
            # ask the store before refusing a node its own pod.
            decision = await self._recheck_pod(node_attrs, decision)
        if decision is not None:
            return Decision(decision.allowed, decision.reason,
                            "" if decision.allowed else f"{forbidden_message(attrs)}: {decision.reason}")
        decision = self._rbac.authorize(attrs)
        return Decision(decision.allowed, decision.reason, "" if decision.allowed else forbidden_message(attrs))
