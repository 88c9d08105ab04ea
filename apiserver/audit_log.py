"""The audit sink: one JSON line per request, appended to --audit-log-path."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import IO

from apiserver.context import Request
from kubelite.errors import StatusError


class AuditLog:
    def __init__(self, path: str | None) -> None:
        try:
            self._file: IO[str] | None = open(path, "a", buffering=1) if path else None
        except OSError as err:
            raise ValueError(f"cannot open audit log {path}: {err.strerror}") from None
        self._lock = threading.Lock()

    def record(self, request: Request, error: Exception | None) -> None:
        if self._file is None:
            return
        user = request.user
        if error is None:
            decision, code = "allow", 200
        elif isinstance(error, StatusError):
            decision = {"Forbidden": "forbid", "Unauthorized": "unauthenticated"}.get(error.reason, "allow")
            code = error.http_code
        else:
            decision, code = "error", 500
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "user": (request.impersonated_by or user).name if user else "",
            "groups": list((request.impersonated_by or user).groups) if user else [],
            **({"impersonatedUser": user.name, "impersonatedGroups": list(user.groups)}
               if user and request.impersonated_by else {}),
            "verb": request.verb,
            **({"resource": request.info.resource + (f"/{request.subresource}" if request.subresource else "")}
               if request.info.resource else {"nonResourceURL": request.options.get("path", "")}),
            "apiGroup": request.info.group,
            "namespace": request.namespace,
            "name": request.name,
            "decision": decision,
            "authorization": request.authorization,
            "code": code,
            "latencyMs": round((time.monotonic() - request.started) * 1000, 3),
            "peer": request.credential.peer,
        }
        with self._lock:
            self._file.write(json.dumps(line, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
