"""The runtime interface the pod sync loop drives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Obj = dict[str, Any]


@dataclass
class PodState:
    """What the runtime reports about a pod: the pod status fields it owns."""

    phase: str
    container_statuses: list[Obj] = field(default_factory=list)
    started_at: str | None = None
    message: str = ""
    reason: str = ""
    # (type, reason, message) events to record about the pod, e.g. Started
    events: list[tuple[str, str, str]] = field(default_factory=list)


class ContainerRuntime(Protocol):
    name: str

    async def sync(self, pod: Obj) -> PodState:
        """Make the pod's containers match its spec (start, restart with backoff)
        and report their state. Called on every change and periodically."""
        ...

    async def kill(self, pod: Obj, grace_seconds: int) -> None:
        """Stop every container: SIGTERM, wait the grace period, then SIGKILL."""
        ...

    def known_pods(self) -> set[str]:
        """UIDs of pods this runtime has state for (to clean up orphans)."""
        ...

    def log_path(self, uid: str, container: str, previous: bool = False) -> Path | None:
        """Where a container's output is, or None if this runtime keeps none."""
        ...

    def writing(self, uid: str, container: str) -> bool:
        """Whether the container's current instance is running, so its log may
        still grow (a followed log ends when it stops, as the kubelet's does)."""
        ...
