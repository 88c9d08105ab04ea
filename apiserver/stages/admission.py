"""Stages 6 and 8, admission. `mutate` may change the object: Kubernetes
defaults (restartPolicy, terminationGracePeriodSeconds, imagePullPolicy, ...)
and the kind's strategy (initial status, generation, server-owned metadata).
`check` may only refuse: the namespace must exist and not be terminating."""

from __future__ import annotations

import json
import uuid
from typing import Any

from apiserver import patching
from apiserver.context import Request
from apiserver.patching import apply
from apiserver.registry import now_rfc3339
from kubelite import api
from kubelite.errors import Forbidden, NotFound

WRITES = {"create", "update", "patch"}


def _changed_fields(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}.{key}" if prefix else key
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            out += _changed_fields(old, new, path)
        elif old != new:
            out.append(path)
    return out


async def mutate(request: Request, services: Any) -> None:
    if request.verb not in WRITES or request.obj is None or request.options.get("subresource_create"):
        return
    if request.subresource != "status":
        _default(request)
    manager = request.options.get("field_manager", "")
    if manager and request.options.get("patch_type") != patching.APPLY_PATCH:
        # a write by a named manager owns the fields it set, defaults included as in
        # Kubernetes (server-side apply's conflicts are computed from these)
        obj = apply.record_update(request.current, request.obj, manager, now_rfc3339(),
                                  subresource=request.subresource)
        decoded = request.options.get("decoded")
        if decoded is not None and decoded[2] is request.obj:
            request.options["decoded"] = (decoded[0], decoded[1], obj)
        request.obj = obj


def _default(request: Request) -> None:
    assert request.obj is not None
    before = json.loads(json.dumps(request.obj))
    parsed = request.options.pop("parsed", None)  # field validation's decode of this same object
    try:
        info, model = parsed[1:] if parsed is not None and parsed[0] is request.obj else api.parse_object(request.obj)
    except (api.InvalidObject, api.UnknownKind):
        return  # validation reports every problem, with field paths
    if info != request.info:
        return
    api.apply_defaults(info, model)
    obj = api.to_json_dict(model)
    strategy = info.strategy
    if request.current is None:
        # the uid is the server's, set before the strategy (a Job's selector is made of it)
        obj.setdefault("metadata", {})["uid"] = str(uuid.uuid4())
        strategy.prepare_for_create(obj)
    else:
        obj.setdefault("metadata", {})["resourceVersion"] = (request.obj.get("metadata") or {}).get(
            "resourceVersion", "")
        strategy.prepare_for_update(obj, request.current)
    request.obj = obj
    # validation may trust this decode instead of repeating it
    request.options["decoded"] = (info, model, obj)
    changed = [f for f in _changed_fields(before, obj) if not f.startswith("status")]
    if changed:
        shown = ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")
        request.note(f"defaulted {shown}")


async def check(request: Request, services: Any) -> None:
    creates = request.verb == "create" or (request.verb == "patch" and request.options.get("created"))
    if not creates or request.subresource or not request.info.namespaced:
        return
    namespace = request.namespace
    phase = services.namespaces.phase(namespace)
    if phase is None:
        raise NotFound.of("namespaces", namespace)
    if phase == "Terminating":
        raise Forbidden(f'{request.info.resource} "{request.name or _name(request)}" is forbidden: unable to create '
                        f"new content in namespace {namespace} because it is being terminated",
                        kind=request.info.resource, name=request.name)
    request.note(f'namespace "{namespace}" is {phase}')


def _name(request: Request) -> str:
    return str(((request.obj or {}).get("metadata") or {}).get("name", ""))
