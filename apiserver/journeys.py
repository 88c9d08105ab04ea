"""The journeys of recent requests, kept by audit id: what `kubelite trace
request <audit-id>` shows for a request made by any client (real kubectl
included), the same stages, rule and store write that `--trace` shows.

A bounded window (the newest requests only), so memory does not grow with
traffic."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from apiserver.context import Span
from apiserver.handlers import Call

WINDOW = 2048


class JourneyLog:
    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._journeys: OrderedDict[str, tuple[str, str, float, str, list[Span]]] = OrderedDict()

    def record(self, audit_id: str, method: str, path: str, call: Call) -> None:
        # only the spans (small, immutable) are kept, not the request and its objects,
        # and they become JSON only if someone asks (most are never asked for)
        user = next((r.impersonated_by or r.user for r in call.requests if r.user is not None), None)
        spans = [span for request in call.requests for span in request.spans]
        self._journeys[audit_id] = (method, path, time.time(), user.name if user else "", spans)
        while len(self._journeys) > self.window:
            self._journeys.popitem(last=False)

    def get(self, audit_id: str) -> dict[str, Any] | None:
        kept = self._journeys.get(audit_id)
        if kept is None:
            return None
        method, path, when, user, spans = kept
        return {"auditID": audit_id, "method": method, "path": path, "user": user,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)), "spans": [s.to_json() for s in spans]}
