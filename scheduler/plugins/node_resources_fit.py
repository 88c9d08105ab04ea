"""NodeResourcesFit: the pod's cpu, memory and pod-count needs must fit in the
node's allocatable minus what is already bound to it."""

from __future__ import annotations

from scheduler.framework import CycleState, NodeInfo, PodInfo


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        cpu, memory, pods = node.allocatable()
        reasons = []
        if len(node.pods) + 1 > pods:
            reasons.append("Too many pods")
        if pod.cpu and node.requested_cpu + pod.cpu > cpu:
            reasons.append("Insufficient cpu")
        if pod.memory and node.requested_memory + pod.memory > memory:
            reasons.append("Insufficient memory")
        return reasons
