"""Stage 4, authorize: may this user do this verb on this resource? The node
authorizer first (a node agent may touch only its own Node, Lease and pods),
then RBAC over the Roles and bindings kept in the store. Denial reads like
Kubernetes: `pods is forbidden: User "bob" cannot create resource "pods" ...`."""

from __future__ import annotations

from typing import Any

from apiserver.context import Request
from kubelite.errors import Forbidden


async def run(request: Request, services: Any) -> None:
    assert request.user is not None
    decision = await services.authorizer.authorize(request)
    if not decision.allowed:
        request.note(decision.reason or "no RBAC rule allows it")
        raise Forbidden(decision.message, kind=request.info.resource, name=request.name,
                        group=request.info.group)
    request.authorization = decision.reason
    request.note(decision.reason)
