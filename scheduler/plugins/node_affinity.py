"""NodeAffinity: nodeSelector and required node affinity filter nodes;
preferred node affinity adds the weights of the terms a node matches."""

from __future__ import annotations

from typing import Any

from scheduler.framework import CycleState, NodeInfo, PodInfo

REASON = "node(s) didn't match Pod's node affinity/selector"


def requirement_matches(req: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = req.get("key", ""), req.get("operator", ""), req.get("values") or []
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        try:
            actual, bound = int(labels[key]), int(values[0])
        except (KeyError, ValueError, IndexError):
            return False
        return actual > bound if op == "Gt" else actual < bound
    return False


def term_matches(term: dict[str, Any], node: NodeInfo) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False  # an empty term matches nothing
    field_labels = {"metadata.name": node.name}
    return (all(requirement_matches(r, node.labels) for r in expressions)
            and all(requirement_matches(r, field_labels) for r in fields))


class NodeAffinity:
    name = "NodeAffinity"

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        selector = pod.spec.get("nodeSelector") or {}
        if any(node.labels.get(k) != v for k, v in selector.items()):
            return [REASON]
        affinity = ((pod.spec.get("affinity") or {}).get("nodeAffinity") or {})
        required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        if required and not any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or []):
            return [REASON]
        return []

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        affinity = ((pod.spec.get("affinity") or {}).get("nodeAffinity") or {})
        return sum(int(p.get("weight", 0)) for p in affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
                   or [] if term_matches(p.get("preference") or {}, node))
