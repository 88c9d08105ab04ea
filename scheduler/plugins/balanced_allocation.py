"""BalancedAllocation: prefer nodes whose cpu and memory use stay close to each
other after placing the pod (avoids stranding one resource)."""

from __future__ import annotations

from scheduler.framework import CycleState, NodeInfo, PodInfo
from scheduler.plugins.least_allocated import fractions


class BalancedAllocation:
    name = "BalancedAllocation"

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        cpu, mem = fractions(pod, node)
        return round((1 - abs(cpu - mem)) * 100)
