"""Event recording for components: `Scheduled`, `FailedScheduling`, `Started`,
`Killing`, ... as core/v1 Events about the object, written without blocking
the caller (bounded concurrency; a failure to record is logged, never fatal)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import StatusError

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class EventRecorder:
    def __init__(self, client: ApiClient, component: str, host: str = "", concurrency: int = 16) -> None:
        self.client = client
        self.component = component
        self.host = host
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def event(self, obj: Obj, type_: str, reason: str, message: str, at: datetime | None = None) -> None:
        """Record an event stamped `at` (default: now, taken here rather than
        when the write gets its turn)."""
        task = asyncio.create_task(self._write(obj, type_, reason, message, at or datetime.now(UTC)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, obj: Obj, type_: str, reason: str, message: str, at: datetime) -> None:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        now = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta.get('name', 'object')}.{secrets.token_hex(8)}", "namespace": namespace},
            "involvedObject": {"kind": obj.get("kind", ""), "apiVersion": obj.get("apiVersion", "v1"),
                               "name": meta.get("name", ""), "namespace": meta.get("namespace", ""),
                               "uid": meta.get("uid", ""), "resourceVersion": meta.get("resourceVersion", "")},
            "reason": reason, "message": message, "type": type_, "count": 1,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": now, "lastTimestamp": now,
            # MicroTime: events written concurrently still sort by when they happened
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "reportingComponent": self.component,
            "reportingInstance": self.host or self.component,
        }
        async with self._slots:
            try:
                await self.client.create("events", event, namespace)
            except StatusError as err:
                log.info("could not record event %s for %s: %s", reason, meta.get("name"), err.message)

    async def flush(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
