"""The journeys of recent requests, kept by audit id: what `kubelite trace
request <audit-id>` shows for a request made by any client (real kubectl
included), the same stages, rule and store write that `--trace` shows.

A bounded window (the newest requests only), so memory does not grow with
traffic."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from apiserver.handlers import Call

WINDOW = 2048


class JourneyLog:
    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._journeys: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def record(self, audit_id: str, method: str, path: str, call: Call) -> None:
        user = next((r.impersonated_by or r.user for r in call.requests if r.user is not None), None)
        self._journeys[audit_id] = {
            "auditID": audit_id, "method": method, "path": path, "user": user.name if user else "",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "spans": [s.to_json() for r in call.requests for s in r.spans]}
        while len(self._journeys) > self.window:
            self._journeys.popitem(last=False)

    def get(self, audit_id: str) -> dict[str, Any] | None:
        return self._journeys.get(audit_id)
