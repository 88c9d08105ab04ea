"""The scheduling framework's data: what plugins see of a pod (PodInfo) and of
a node (NodeInfo), computed once, so filter and score stay pure and cheap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kubelite.api.quantity import bytes_value, cpu_millis

Obj = dict[str, Any]


def pod_requests(pod: Obj) -> tuple[int, int]:
    """(cpu millicores, memory bytes) a pod asks for: the sum over containers,
    or the largest init container if that is larger (Kubernetes' rule)."""
    spec = pod.get("spec") or {}

    def of(container: Obj) -> tuple[int, int]:
        requests = ((container.get("resources") or {}).get("requests") or {})
        return cpu_millis(requests.get("cpu", "0")), bytes_value(requests.get("memory", "0"))

    cpu = mem = 0
    for container in spec.get("containers") or []:
        c, m = of(container)
        cpu, mem = cpu + c, mem + m
    for container in spec.get("initContainers") or []:
        c, m = of(container)
        cpu, mem = max(cpu, c), max(mem, m)
    return cpu, mem


@dataclass
class PodInfo:
    pod: Obj
    cpu: int
    memory: int

    @classmethod
    def of(cls, pod: Obj) -> PodInfo:
        cpu, memory = pod_requests(pod)
        return cls(pod, cpu, memory)

    @property
    def spec(self) -> Obj:
        return self.pod.get("spec") or {}

    @property
    def name(self) -> str:
        return str((self.pod.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.pod.get("metadata") or {}).get("namespace", ""))

    @property
    def labels(self) -> dict[str, str]:
        return (self.pod.get("metadata") or {}).get("labels") or {}

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


@dataclass
class NodeInfo:
    """A node and what is already bound (or assumed) to it."""

    node: Obj
    pods: dict[tuple[str, str], PodInfo] = field(default_factory=dict)
    requested_cpu: int = 0
    requested_memory: int = 0
    _allocatable: tuple[int, int, int] | None = None

    def set_node(self, node: Obj) -> None:
        self.node = node
        self._allocatable = None

    @property
    def name(self) -> str:
        return str((self.node.get("metadata") or {}).get("name", ""))

    @property
    def labels(self) -> dict[str, str]:
        return (self.node.get("metadata") or {}).get("labels") or {}

    def allocatable(self) -> tuple[int, int, int]:
        """(cpu millicores, memory bytes, pods), parsed once per node version."""
        if self._allocatable is None:
            status = self.node.get("status") or {}
            alloc = status.get("allocatable") or status.get("capacity") or {}
            self._allocatable = (cpu_millis(alloc.get("cpu", "0")), bytes_value(alloc.get("memory", "0")),
                                 int(bytes_value(alloc.get("pods", "110"))))
        return self._allocatable

    def add(self, pod: PodInfo) -> None:
        if pod.key in self.pods:
            self.remove(pod.key)
        self.pods[pod.key] = pod
        self.requested_cpu += pod.cpu
        self.requested_memory += pod.memory

    def remove(self, key: tuple[str, str]) -> None:
        pod = self.pods.pop(key, None)
        if pod is not None:
            self.requested_cpu -= pod.cpu
            self.requested_memory -= pod.memory


@dataclass
class CycleState:
    """Per-pod facts computed once before filtering all nodes (PreFilter)."""

    all_nodes: list[NodeInfo]
    data: dict[str, Any] = field(default_factory=dict)


class FilterPlugin(Protocol):
    name: str

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        """Reasons the pod cannot run on the node; empty if it can."""
        ...


class ScorePlugin(Protocol):
    name: str

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        """Higher is better; normalized to 0..100 across nodes by the framework."""
        ...
