"""Scheduling one pod, synchronously and without I/O: filter every node, score
the feasible ones, normalize each score plugin to 0..100, weigh, pick the best
(ties broken by node name so a decision can be reproduced). A pod that fits
nowhere gets Kubernetes' summary: `0/3 nodes are available: 2 Insufficient
cpu, 1 node(s) had untolerated taint {gpu: true}.`"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scheduler.framework import CycleState, NodeInfo, PodInfo
from scheduler.plugins import DEFAULT_WEIGHTS, FILTERS, SCORES


@dataclass
class Decision:
    node: str | None
    message: str
    feasible: int
    scores: dict[str, int] = field(default_factory=dict)  # weighted total per feasible node

    def explain(self, top: int = 3) -> str:
        if self.node is None:
            return self.message
        best = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        shown = ", ".join(f"{name}={score}" for name, score in best)
        return f"{self.feasible} feasible node(s); scores: {shown}"


def failure_message(total: int, reasons: Counter[str]) -> str:
    parts = [f"{count} {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]
    detail = ": " + ", ".join(parts) if parts else ""
    return f"0/{total} nodes are available{detail}."


def feasible_nodes_to_find(total: int, percentage: int = 0) -> int:
    """How many feasible nodes are enough, as kube-scheduler's
    percentageOfNodesToScore: all below 100 nodes, else an adaptive share
    (50% minus 1% per 125 nodes, at least 5%), never fewer than 100."""
    if total < 100:
        return total
    share = percentage or max(5, 50 - total // 125)
    return max(100, total * share // 100)


def schedule(pod: PodInfo, nodes: list[NodeInfo], weights: dict[str, int] | None = None,
             start: int = 0) -> Decision:
    """Filter from `start` (callers rotate it, so every node gets its turn)
    until enough feasible nodes are found, then score those."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    state = CycleState(all_nodes=nodes)
    feasible: list[NodeInfo] = []
    reasons: Counter[str] = Counter()
    enough = feasible_nodes_to_find(len(nodes))
    ordered = nodes[start % len(nodes):] + nodes[:start % len(nodes)] if nodes else nodes
    for node in ordered:
        if len(feasible) >= enough:
            break
        for plugin in FILTERS:
            failed = plugin.filter(pod, node, state)
            if failed:
                reasons.update(failed)
                break
        else:
            feasible.append(node)
    if not feasible:
        return Decision(None, failure_message(len(nodes), reasons), 0)
    totals = {node.name: 0 for node in feasible}
    for name, weight in weights.items():
        plugin = SCORES.get(name)
        if plugin is None or weight == 0:
            continue
        raw = {node.name: plugin.score(pod, node, state) for node in feasible}
        low, high = min(raw.values()), max(raw.values())
        for node_name, value in raw.items():
            normalized = 100 if high == low else round((value - low) * 100 / (high - low))
            totals[node_name] += weight * normalized
    best = min(totals, key=lambda n: (-totals[n], n))
    return Decision(best, f"Successfully assigned {pod.namespace}/{pod.name} to {best}", len(feasible), totals)
