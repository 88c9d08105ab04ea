"""The fake runtime: every container is Running at once and nothing is started.
For scale tests with hundreds of node agents on one machine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from nodeagent.runtime.base import Obj, PodState


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeRuntime:
    name = "fake"

    def __init__(self) -> None:
        self._started: dict[str, str] = {}

    async def sync(self, pod: Obj) -> PodState:
        uid = pod["metadata"].get("uid", "")
        started = self._started.setdefault(uid, now_rfc3339())
        statuses = [{"name": c["name"], "ready": True, "started": True, "restartCount": 0, "image": c.get("image", ""),
                     "imageID": "", "containerID": f"fake://{uid[:8]}-{c['name']}",
                     "state": {"running": {"startedAt": started}}}
                    for c in (pod.get("spec") or {}).get("containers") or []]
        return PodState("Running", statuses, started)

    async def kill(self, pod: Obj, grace_seconds: int) -> None:
        self._started.pop(pod["metadata"].get("uid", ""), None)

    def known_pods(self) -> set[str]:
        return set(self._started)

    def log_path(self, uid: str, container: str, previous: bool = False) -> Path | None:
        return None  # nothing runs, so nothing is logged

    def writing(self, uid: str, container: str) -> bool:
        return False
