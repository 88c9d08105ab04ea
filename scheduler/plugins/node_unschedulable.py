"""NodeUnschedulable: a cordoned node takes no new pods unless they tolerate it."""

from __future__ import annotations

from scheduler.framework import CycleState, NodeInfo, PodInfo
from scheduler.plugins.taint_toleration import tolerates

UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
REASON = "node(s) were unschedulable"


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        if (node.node.get("spec") or {}).get("unschedulable") and not tolerates(pod, UNSCHEDULABLE_TAINT):
            return [REASON]
        return []
