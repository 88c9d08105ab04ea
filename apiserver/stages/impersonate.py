"""Stage 3, impersonate (kubectl --as / --as-group): when the caller sends
an impersonation request (gRPC `impersonate-user`/`impersonate-group`
metadata, REST `Impersonate-User`/`Impersonate-Group` headers), it must be
allowed the `impersonate` verb on those users and groups; the rest of the
pipeline then acts as the impersonated user, and the audit line names both.
Without one the stage does nothing and leaves no span."""

from __future__ import annotations

from typing import Any

from apiserver.authn import AUTHENTICATED
from apiserver.context import Request, UserInfo
from kubelite.errors import BadRequest, Forbidden


async def run(request: Request, services: Any) -> None:
    assert request.user is not None
    target = request.credential.impersonate_user.strip()
    groups = tuple(g.strip() for g in request.credential.impersonate_groups if g.strip())
    if not target:
        if groups:
            raise BadRequest(f"requested impersonation of groups [{', '.join(groups)}] without impersonating a user")
        request.skip()
        return
    reasons: list[str] = []
    for resource, name in (("users", target), *(("groups", g) for g in groups)):
        decision = await services.authorizer.check(request.user, "impersonate", resource, name=name)
        if not decision.allowed:
            request.note(f'User "{request.user.name}" may not impersonate {resource} "{name}"')
            raise Forbidden(decision.message, kind=resource, name=name)
        if decision.reason not in reasons:
            reasons.append(decision.reason)
    request.impersonated_by = request.user
    request.user = UserInfo(target, "", (*groups, AUTHENTICATED), f"impersonation by {request.user.name}")
    request.note(f'acting as user "{target}" groups [{",".join(request.user.groups)}]; '
                 f'impersonation allowed by {"; ".join(reasons)}')
