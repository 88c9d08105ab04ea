"""Event recording: an event carries the time it was recorded (or the time the
caller says it happened), not the time its write got a turn, so describe's
order matches what happened even when writes finish out of order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from cli.describe import event_order
from kubelite.events import EventRecorder

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default", "uid": "u1"}}


class SlowFirstClient:
    """Stores events; the first create is slow, so it finishes last."""

    def __init__(self) -> None:
        self.stored: list[dict[str, Any]] = []

    async def create(self, resource: str, obj: dict[str, Any], namespace: str) -> dict[str, Any]:
        assert resource == "events" and namespace == "default"
        await asyncio.sleep(0.05 if not self.stored and obj["reason"] == "Scheduled" else 0)
        self.stored.append(obj)
        return obj


def test_events_sort_by_when_they_happened_not_when_they_were_stored() -> None:
    async def record() -> list[dict[str, Any]]:
        client = SlowFirstClient()
        recorder = EventRecorder(client, "default-scheduler")  # type: ignore[arg-type]
        sent = datetime.now(UTC)
        await asyncio.sleep(0.01)
        recorder.event(POD, "Normal", "Started", "Started container main")
        recorder.event(POD, "Normal", "Scheduled", "Successfully assigned default/web to node-1", at=sent)
        await recorder.flush()
        return client.stored

    stored = asyncio.run(record())
    assert [e["reason"] for e in stored] == ["Started", "Scheduled"]
    assert [e["reason"] for e in sorted(stored, key=event_order)] == ["Scheduled", "Started"]
    scheduled = next(e for e in stored if e["reason"] == "Scheduled")
    assert scheduled["involvedObject"]["uid"] == "u1" and scheduled["eventTime"].endswith("Z")
    assert scheduled["firstTimestamp"] == scheduled["lastTimestamp"]
