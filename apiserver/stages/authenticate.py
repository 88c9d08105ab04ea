"""Stage 1, authenticate: who is calling? A verified TLS client certificate
(CN = user, O = groups) or a bearer token from the static token file.
No credentials, or wrong ones: UNAUTHENTICATED "Unauthorized"."""

from __future__ import annotations

from typing import Any

from apiserver.context import Request
from kubelite.errors import Unauthorized


async def run(request: Request, services: Any) -> None:
    user = services.authenticator.authenticate(request.credential)
    if user is None:
        request.note("no valid client certificate or bearer token")
        raise Unauthorized()
    request.user = user
    groups = ",".join(user.groups)
    request.note(f'user "{user.name}" groups [{groups}] via {user.authenticated_by}')
