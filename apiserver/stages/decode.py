"""Stage 5, decode: turn the request into the object that would be stored.

create/update take the client's object; patch merges the client's JSON merge
patch into the stored object; the status subresource takes only .status;
pods/binding sets spec.nodeName on the stored pod. The stored object, when
there is one, is kept as `request.current` for admission and validation.
"""

from __future__ import annotations

import copy
from typing import Any

from apiserver import field_validation, patching
from apiserver.context import Request
from apiserver.patching import apply
from apiserver.registry import now_rfc3339
from apiserver.strategies import strategy_for
from kubelite import api
from kubelite.api import options
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
    if request.obj is None or request.subresource == "binding":
        return
    request.warnings, parsed = field_validation.apply(request.obj, request.options.get("field_validation", ""))
    if parsed is not None:
        request.options["parsed"] = (request.obj, *parsed)  # admission need not decode it again
    for warning in request.warnings:
        request.note(f"dropped {warning} (fieldValidation=Warn)")


async def _decode(request: Request, services: Any) -> None:
    verb, sub = request.verb, request.subresource
    if request.info.resource in api.REVIEWS and verb != "create":
        raise MethodNotSupported(f"{request.info.resource}.{request.info.group} is only created, never stored: "
                                 f"{verb} is not supported")
    if verb in READ_ONLY:
        return
    strategy = strategy_for(request.info)
    if verb == "create" and sub == "":
        if not isinstance(request.body, dict):
            raise BadRequest("the request body must be a JSON object")
        request.obj = copy.deepcopy(request.body)
        _check_identity(request, request.obj)
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
    if verb == "create" and sub == "binding":
        request.options["retryable"] = True
        request.obj = _bind(request, current)
        return
    if verb == "create" and sub == "eviction":
        request.options["retryable"] = True
        request.options.update(_eviction_options(request))
        return
    if verb == "update":
        if not isinstance(request.body, dict):
            raise BadRequest("the request body must be a JSON object")
        obj = copy.deepcopy(request.body)
        _check_identity(request, obj)
        if sub == "status":
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            obj = strategy.prepare_for_status_update(current, obj.get("status"))
            obj["metadata"]["resourceVersion"] = rv or current["metadata"]["resourceVersion"]
        request.obj = obj
        return
    if verb == "patch":
        request.options["retryable"] = True
        merged = _patched(request, current)
        _check_identity(request, merged)
        pinned = (merged.get("metadata") or {}).get("resourceVersion")
        if pinned and pinned != current["metadata"]["resourceVersion"]:
            raise Conflict.modified(request.info.resource, request.name, request.info.group)
        if sub == "status":
            merged = strategy.prepare_for_status_update(current, merged.get("status"))
        merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        request.obj = merged
        return
    raise BadRequest(f"unsupported verb {verb!r} on {request.info.resource}")


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


def _eviction_options(request: Request) -> dict[str, Any]:
    """pods/eviction (kubectl drain): a policy/v1 Eviction naming the pod,
    whose deleteOptions say how to delete it."""
    body = request.body if isinstance(request.body, dict) else None
    if body is None or body.get("kind") != "Eviction" or body.get("apiVersion") not in ("policy/v1", "policy/v1beta1"):
        raise BadRequest("the request body must be a policy/v1 Eviction")
    try:
        eviction = options.parse_options(options.Eviction, body)
    except api.InvalidObject as err:
        raise BadRequest(f"Eviction is invalid: {err.causes[0]}") from None
    if eviction.metadata.name not in (None, request.name):
        raise BadRequest(f"name in URL does not match name in Eviction object ({eviction.metadata.name} vs "
                         f"{request.name})")
    delete = eviction.deleteOptions or options.DeleteOptions()
    if delete.gracePeriodSeconds is not None and delete.gracePeriodSeconds < 0:
        raise BadRequest("Eviction.deleteOptions.gracePeriodSeconds: must not be negative")
    preconditions = delete.preconditions or options.Preconditions()
    return {"grace_period_seconds": delete.gracePeriodSeconds, "precondition_uid": preconditions.uid or "",
            "precondition_resource_version": preconditions.resourceVersion or "",
            "dry_run": request.options.get("dry_run", False) or bool(delete.dryRun)}


def _bind(request: Request, pod: dict[str, Any]) -> dict[str, Any]:
    """pods/binding: the Binding names the node; the pod must be unassigned."""
    binding = request.body or {}
    target = binding.get("target") if isinstance(binding.get("target"), dict) else {}
    node = target.get("name") if isinstance(target.get("name"), str) else ""
    if not node:
        raise BadRequest("Binding target.name (the node) is required")
    meta = binding.get("metadata") if isinstance(binding.get("metadata"), dict) else {}
    uid = meta.get("uid")
    name = request.name
    if uid and uid != pod["metadata"].get("uid"):
        raise Conflict(f"Operation cannot be fulfilled on pods/binding \"{name}\": Precondition failed: UID in "
                       f"precondition: {uid}, UID in object meta: {pod['metadata'].get('uid')}",
                       kind="pods", name=name)
    if pod["metadata"].get("deletionTimestamp"):
        raise Conflict(f"pod {name} is being deleted, cannot be assigned to a host", kind="pods", name=name)
    assigned = (pod.get("spec") or {}).get("nodeName")
    if assigned:
        raise Conflict(f'pod {name} is already assigned to node "{assigned}"', kind="pods", name=name)
    bound = copy.deepcopy(pod)
    bound["spec"]["nodeName"] = node
    status = bound.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                       "lastTransitionTime": now_rfc3339()})
    status["conditions"] = conditions
    request.note(f'pod {request.namespace}/{name} -> node "{node}"')
    return bound
