"""NodeName: a pod that names its node fits only there."""

from __future__ import annotations

from scheduler.framework import CycleState, NodeInfo, PodInfo

REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = "NodeName"

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        wanted = pod.spec.get("nodeName")
        return [REASON] if wanted and wanted != node.name else []
