"""PodTopologySpread: keep matching pods spread over topology domains (zones,
hostnames) within maxSkew. DoNotSchedule constraints filter; ScheduleAnyway
constraints only score."""

from __future__ import annotations

from typing import Any

from scheduler.framework import CycleState, NodeInfo, PodInfo
from scheduler.plugins.node_affinity import requirement_matches

REASON = "node(s) didn't match pod topology spread constraints"


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if not selector:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(requirement_matches(r, labels) for r in selector.get("matchExpressions") or [])


def domain_counts(pod: PodInfo, constraint: dict[str, Any], state: CycleState) -> dict[str, int]:
    """Matching pods per domain of the constraint's topology key, over all
    nodes that have the key (computed once per pod and constraint)."""
    cache_key = f"spread:{id(constraint)}"
    if cache_key not in state.data:
        key = constraint.get("topologyKey", "")
        counts: dict[str, int] = {}
        for node in state.all_nodes:
            if key not in node.labels:
                continue
            domain = node.labels[key]
            counts.setdefault(domain, 0)
            counts[domain] += sum(1 for other in node.pods.values()
                                  if other.namespace == pod.namespace
                                  and selector_matches(constraint.get("labelSelector"), other.labels))
        state.data[cache_key] = counts
    return dict(state.data[cache_key])


class PodTopologySpread:
    name = "PodTopologySpread"

    def _constraints(self, pod: PodInfo, mode: str) -> list[dict[str, Any]]:
        return [c for c in pod.spec.get("topologySpreadConstraints") or [] if c.get("whenUnsatisfiable") == mode]

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        for constraint in self._constraints(pod, "DoNotSchedule"):
            key = constraint.get("topologyKey", "")
            if key not in node.labels:
                return [REASON]
            counts = domain_counts(pod, constraint, state)
            self_match = 1 if selector_matches(constraint.get("labelSelector"), pod.labels) else 0
            skew = counts.get(node.labels[key], 0) + self_match - min(counts.values(), default=0)
            if skew > int(constraint.get("maxSkew", 1)):
                return [REASON]
        return []

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        total = 0
        for constraint in self._constraints(pod, "ScheduleAnyway"):
            key = constraint.get("topologyKey", "")
            if key in node.labels:
                total -= domain_counts(pod, constraint, state).get(node.labels[key], 0)
        return total  # fewer matching pods in the node's domain is better
