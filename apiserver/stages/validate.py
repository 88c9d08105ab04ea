"""Stage 7, validate: the object must be a well-formed Kubernetes object of the
requested kind, every field error reported at once with its path
(`spec.containers[0].image: Required value`), unknown fields refused; an update
may not change immutable fields."""

from __future__ import annotations

from typing import Any

from apiserver.context import Request
from kubelite import api
from kubelite.errors import BadRequest, Invalid

CHECKED = {"create", "update", "patch"}


def _invalid(err: api.InvalidObject) -> Invalid:
    causes = [{"reason": c.type, "message": c.message, "field": c.field} for c in err.causes]
    return Invalid(str(err), kind=err.kind, name=err.name, causes=causes)


async def run(request: Request, services: Any) -> None:
    if request.verb not in CHECKED or request.obj is None:
        return
    decoded = request.options.get("decoded")
    try:
        if decoded is not None and decoded[2] is request.obj and request.current is None:
            # a create that mutating admission decoded: only re-check its
            # semantics after defaulting (cheap) instead of decoding it again;
            # updates are decoded again, after the strategy copied server fields
            info, model = decoded[0], decoded[1]
            causes = api.validate_object(info, model)
            if causes:
                raise api.InvalidObject(info.kind, model.metadata.name or "", causes)
        else:
            info, model = api.parse_object(request.obj)
    except api.UnknownKind as err:
        raise BadRequest(str(err)) from None
    except api.InvalidObject as err:
        raise _invalid(err) from None
    if info != request.info:
        raise BadRequest(f"the kind of the object ({info.kind}) does not match the resource of the request "
                         f"({request.info.resource})")
    # a subresource (a binding sets spec.nodeName, status changes only .status)
    # may do what a plain update may not, unless its kind says otherwise
    sub = request.info.subresource(request.subresource) if request.subresource else None
    if request.current is not None and (sub is None or sub.checks_update_rules):
        try:
            _, old = api.parse_object(request.current)
        except (api.InvalidObject, api.UnknownKind):
            old = None  # stored before a validation rule existed: nothing to compare
    else:
        old = None
    if old is not None:
        causes = api.validate_update(info, old, model)
        if causes:
            raise _invalid(api.InvalidObject(info.kind, model.metadata.name, causes))
    request.note(f"{info.kind} valid")
