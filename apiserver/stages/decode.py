"""Stage 5, decode: turn the request into the object that would be stored.

create/update take the client's object; patch applies the client's patch to
the stored object; a subresource decides through the kind's definition (the
status subresource takes only .status, scale only the replicas, a binding
sets the pod's node). The stored object, when there is one, is kept as
`request.current` for admission and validation.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from apiserver import field_validation, patching
from apiserver.context import Request
from apiserver.patching import apply
from apiserver.registry import now_rfc3339
from kubelite.errors import BadRequest, Conflict, MethodNotSupported, NotFound

READ_ONLY = {"get", "list", "watch", "deletecollection"}


def _check_identity(request: Request, obj: dict[str, Any]) -> None:
    # as kube-apiserver's decoder: a body that leaves out apiVersion or kind is of the URL's kind
    if not obj.get("apiVersion") and not obj.get("kind") and not request.subresource:
        obj["apiVersion"], obj["kind"] = request.info.api_version, request.info.kind
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else None
    if meta is None:
        return  # validation reports the missing metadata with its field path
    namespace = meta.get("namespace") or ""
    if request.info.namespaced:
        if namespace and request.namespace and namespace != request.namespace:
            raise BadRequest("the namespace of the provided object does not match the namespace sent on the "
                             f"request ({namespace!r} vs {request.namespace!r})")
        if request.namespace:
            meta["namespace"] = request.namespace
    elif namespace:
        meta.pop("namespace", None)
    if request.name and meta.get("name") not in (None, "", request.name):
        raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                         f"({request.name})")


async def run(request: Request, services: Any) -> None:
    await _decode(request, services)
    if request.obj is None or request.options.get("subresource_create"):
        return
    request.warnings, parsed = field_validation.apply(request.obj, request.options.get("field_validation", ""))
    if parsed is not None:
        request.options["parsed"] = (request.obj, *parsed)  # admission need not decode it again
    for warning in request.warnings:
        request.note(f"dropped {warning} (fieldValidation=Warn)")


async def _decode(request: Request, services: Any) -> None:
    verb, sub = request.verb, request.subresource
    if not request.info.stored and verb != "create":
        raise MethodNotSupported(f"{request.info.resource}.{request.info.group} is only created, never stored: "
                                 f"{verb} is not supported")
    if verb in READ_ONLY:
        return
    subresource = request.info.subresource(sub) if sub else None
    if sub and subresource is None and sub != "log":
        raise NotFound(f"the server could not find the requested resource ({request.info.resource}/{sub})")
    if verb == "create" and sub == "":
        if not isinstance(request.body, dict):
            raise BadRequest("the request body must be a JSON object")
        request.obj = copy.deepcopy(request.body)
        _check_identity(request, request.obj)
        _generate_name(request.obj)
        return
    try:
        current = await services.store.get(request.info, request.namespace, request.name)
    except NotFound:
        if verb == "patch" and request.options.get("patch_type") == patching.APPLY_PATCH:
            # server-side apply of an object that does not exist creates it
            request.options["created"] = True
            obj = _patched(request, None)
            _check_identity(request, obj)
            request.obj = obj
            return
        raise
    request.options.pop("created", None)
    request.current = current
    if verb == "delete":
        request.options["retryable"] = True
        return
    if verb == "create" and subresource is not None:
        if subresource.create is None:
            raise MethodNotSupported(f"create is not supported on {request.info.resource}/{sub}")
        request.options["retryable"] = True
        request.options["subresource_create"] = True
        request.obj = subresource.create(request, current)
        return
    view = subresource.view if subresource is not None and subresource.view is not None else None
    if verb == "update":
        if not isinstance(request.body, dict):
            raise BadRequest("the request body must be a JSON object")
        obj = copy.deepcopy(request.body)
        if view is None:
            _check_identity(request, obj)
        if subresource is not None:
            if subresource.merge is None:
                raise MethodNotSupported(f"update is not supported on {request.info.resource}/{sub}")
            rv = (obj.get("metadata") or {}).get("resourceVersion") if isinstance(obj.get("metadata"), dict) else ""
            obj = subresource.merge(current, obj)
            obj["metadata"]["resourceVersion"] = rv or current["metadata"]["resourceVersion"]
        request.obj = obj
        return
    if verb == "patch":
        request.options["retryable"] = True
        base = view(current) if view is not None else current
        merged = _patched(request, base)
        if view is None:
            _check_identity(request, merged)
        pinned = (merged.get("metadata") or {}).get("resourceVersion")
        if pinned and pinned != current["metadata"]["resourceVersion"]:
            raise Conflict.modified(request.info.resource, request.name, request.info.group)
        if subresource is not None:
            if subresource.merge is None:
                raise MethodNotSupported(f"patch is not supported on {request.info.resource}/{sub}")
            merged = subresource.merge(current, merged)
        merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        request.obj = merged
        return
    raise BadRequest(f"unsupported verb {verb!r} on {request.info.resource}")


_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apiserver's names.SimpleNameGenerator alphabet


def _generate_name(obj: dict[str, Any]) -> None:
    """metadata.generateName: the prefix plus five random characters, as kube-apiserver."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and not meta.get("name") and isinstance(meta.get("generateName"), str) \
            and meta["generateName"]:
        prefix = meta["generateName"][:63 - 5]
        meta["name"] = prefix + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))


def _patched(request: Request, current: dict[str, Any] | None) -> dict[str, Any]:
    """The stored object with the request's patch applied, by its type (for
    server-side apply, `current` is None when the apply creates the object)."""
    patch_type = request.options.get("patch_type") or patching.MERGE_PATCH
    body = request.options.get("patch") or b""
    if patch_type == patching.APPLY_PATCH:
        applied = apply.parse_applied(body)
        return apply.apply(current, applied, request.options.get("field_manager", ""),
                           bool(request.options.get("force")), now_rfc3339(), subresource=request.subresource)
    if request.options.get("force"):
        raise BadRequest("force: Forbidden: may not be specified for non-apply patch")
    assert current is not None
    merged = patching.apply_patch(patch_type, current, body, request.info)
    if not isinstance(merged.get("metadata"), dict):
        raise BadRequest("the patched object must have metadata")
    return merged
