"""The request pipeline of the API server, assembled in one place.

Read STAGES top to bottom and you see the seed's picture: authenticate, audit,
impersonate (only when asked, as kubectl --as), authorize, decode the request
against what is stored, admit (mutating), validate, admit (validating), store.
Each stage is one small function in `apiserver/stages/`; the runner times each
one into a span and stops at the first error. Verbs whose new object
is computed from the stored one (patch, status, bind, graceful delete) re-run
from `decode` when the store reports a Conflict, as kube-apiserver retries its
guaranteed updates.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from apiserver.context import Request, Span
from apiserver.stages import admission, audit, authenticate, authorize, decode, impersonate, store, validate
from kubelite.errors import Conflict, Forbidden, Invalid, StatusError, Unauthorized

Stage = Callable[[Request, Any], Awaitable[None]]

STAGES: list[tuple[str, Stage]] = [
    ("authenticate", authenticate.run),
    ("audit", audit.run),
    ("impersonate", impersonate.run),
    ("authorize", authorize.run),
    ("decode", decode.run),
    ("admit-mutating", admission.mutate),
    ("validate", validate.run),
    ("admit-validating", admission.check),
    ("store", store.run),
]

MAX_ATTEMPTS = 8


def _outcome(err: Exception) -> str:
    if isinstance(err, Unauthorized):
        return "unauthenticated"
    if isinstance(err, Forbidden):
        return "denied"
    if isinstance(err, Invalid):
        return "invalid"
    if isinstance(err, StatusError):
        return err.reason.lower()
    return "error"


async def run(request: Request, services: Any) -> Any:
    """Run `request` through every stage; returns the store stage's result."""
    error: Exception | None = None
    try:
        start = 0
        for attempt in range(MAX_ATTEMPTS):
            try:
                for name, stage in STAGES[start:]:
                    await _timed(name, stage, request, services)
                return request.result
            except Conflict:
                # decode marks requests whose object it computed from the stored one
                if not request.options.get("retryable") or attempt == MAX_ATTEMPTS - 1:
                    raise
                start = next(i for i, (name, _) in enumerate(STAGES) if name == "decode")
        raise AssertionError("unreachable")
    except Exception as err:
        error = err
        raise
    finally:
        for callback in request.on_complete:
            callback(request, error)


async def _timed(name: str, stage: Stage, request: Request, services: Any) -> None:
    began = time.perf_counter()
    try:
        await stage(request, services)
    except Exception as err:
        request.spans.append(Span(name, _outcome(err), (time.perf_counter() - began) * 1000,
                                  request.take_notes() or str(err)))
        raise
    if request.options.pop("_skipped", False):
        request.take_notes()
        return
    request.spans.append(Span(name, "ok", (time.perf_counter() - began) * 1000, request.take_notes()))
