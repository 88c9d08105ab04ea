"""LeastAllocated: prefer nodes with the most free cpu and memory left after
placing the pod (spreads load)."""

from __future__ import annotations

from scheduler.framework import CycleState, NodeInfo, PodInfo


def fractions(pod: PodInfo, node: NodeInfo) -> tuple[float, float]:
    """Share of allocatable cpu and memory in use if the pod lands here."""
    cpu, memory, _ = node.allocatable()
    cpu_used = (node.requested_cpu + pod.cpu) / cpu if cpu else 1.0
    mem_used = (node.requested_memory + pod.memory) / memory if memory else 1.0
    return min(cpu_used, 1.0), min(mem_used, 1.0)


class LeastAllocated:
    name = "LeastAllocated"

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        cpu, mem = fractions(pod, node)
        return round(((1 - cpu) + (1 - mem)) / 2 * 100)
