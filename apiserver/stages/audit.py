"""Stage 2, audit: arrange for one structured line per request (who, verb,
resource, decision, code, latency), written when the request completes."""

from __future__ import annotations

from typing import Any

from apiserver.context import Request


async def run(request: Request, services: Any) -> None:
    request.on_complete.append(services.audit.record)
