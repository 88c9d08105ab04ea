"""The request context: everything one API call carries through the pipeline.

Each stage reads what earlier stages set (the authenticated user, the decoded
object, the current stored object) and records one span (stage, outcome,
duration, detail) that the response returns as the request's journey.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api import ResourceInfo

Obj = dict[str, Any]


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    authenticated_by: str = ""  # "x509" or "token"


@dataclass(frozen=True)
class Credential:
    """What a transport learned about the caller, before anyone trusts it:
    the subject of a client certificate the TLS layer verified, a bearer
    token, and whom the caller asks to act as (kubectl --as / --as-group)."""

    certificate_subject: tuple[str, tuple[str, ...]] | None = None  # (CN, O entries)
    bearer_token: str | None = None  # the Authorization header's token; "" = a malformed header
    impersonate_user: str = ""
    impersonate_groups: tuple[str, ...] = ()
    peer: str = ""


@dataclass(frozen=True)
class Span:
    stage: str
    outcome: str  # ok, denied, invalid, error, skipped
    duration_ms: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "outcome": self.outcome, "durationMs": round(self.duration_ms, 3),
                "detail": self.detail}


@dataclass
class Request:
    """One API call. `verb` uses Kubernetes' authorization verbs."""

    verb: str
    info: ResourceInfo
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    body: Obj | None = None          # the object or patch the client sent
    options: dict[str, Any] = field(default_factory=dict)
    credential: Credential = field(default_factory=Credential)
    user: UserInfo | None = None
    impersonated_by: UserInfo | None = None  # who really called, when `user` is impersonated
    authorization: str = ""          # why the request was allowed
    current: Obj | None = None       # the stored object before this request
    obj: Obj | None = None           # the object to store (after admission)
    result: Any = None               # what the store stage produced
    spans: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # sent back as Warning headers (REST)
    started: float = field(default_factory=time.monotonic)
    on_complete: list[Callable[[Request, Exception | None], None]] = field(default_factory=list)

    def note(self, detail: str) -> None:
        """Attach detail to the span of the stage that is running."""
        self.options.setdefault("_notes", []).append(detail)

    def skip(self) -> None:
        """The running stage had nothing to do: it leaves no span."""
        self.options["_skipped"] = True

    def take_notes(self) -> str:
        notes = self.options.pop("_notes", [])
        return "; ".join(notes)
