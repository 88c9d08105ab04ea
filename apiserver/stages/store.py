"""Stage 9, store: the one generic store does the verb; the kind's strategy
decides what is special (graceful pod deletion, status subresource, namespace
termination). The write's revision becomes the object's resourceVersion."""

from __future__ import annotations

import copy
from typing import Any

from apiserver.context import Request
from apiserver.registry import now_rfc3339
from apiserver.selectors import Selector
from apiserver.strategies import strategy_for
from kubelite import api
from kubelite.errors import Invalid


async def run(request: Request, services: Any) -> None:
    store, info, opts = services.store, request.info, request.options
    verb = request.verb
    if verb == "get":  # also pods/log: the pod, which the log relay then reads from its node
        request.result = await store.get(info, request.namespace, request.name)
    elif verb in ("list", "deletecollection"):
        selector = Selector.parse(opts.get("label_selector", ""), opts.get("field_selector", ""),
                                  strategy_for(info).fields)
        request.result = await store.list(info, request.namespace, selector, opts.get("limit", 0),
                                          opts.get("continue", ""), opts.get("resource_version", ""))
        request.note(f"{len(request.result.items)} items at revision {request.result.resource_version}")
    elif verb == "watch":
        request.result = Selector.parse(opts.get("label_selector", ""), opts.get("field_selector", ""),
                                        strategy_for(info).fields)
    elif verb == "create" and info.resource == "selfsubjectreviews":
        assert request.obj is not None and request.user is not None
        user = request.user
        request.result = {**request.obj, "status": {"userInfo": {
            "username": user.name, **({"uid": user.uid} if user.uid else {}), "groups": list(user.groups)}}}
        request.note(f'answered, not stored: user "{user.name}"')
    elif verb == "create" and info.resource == "selfsubjectrulesreviews":
        assert request.obj is not None and request.user is not None
        request.result = services.authorizer.rules_review(request.user, request.obj)
        request.note(f"answered, not stored: {len(request.result['status']['resourceRules'])} resource rules")
    elif verb == "create" and info.resource in api.REVIEWS:
        assert request.obj is not None and request.user is not None
        request.result = await services.authorizer.review(request.user, request.obj)
        request.note(f"answered, not stored: allowed={request.result['status']['allowed']}")
    elif verb == "create" and request.subresource == "eviction":
        # no PodDisruptionBudgets yet: an eviction is the pod's deletion
        if opts.get("dry_run"):
            request.note("dry run: not evicted")
        else:
            await _delete(request, services)
        request.result = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    elif verb == "create":
        assert request.obj is not None
        if request.subresource == "binding":
            written = await store.update(info, request.obj, request.current["metadata"]["resourceVersion"])
        else:
            written = await store.create(info, request.obj, dry_run=opts.get("dry_run", False))
        request.result = written.obj
        request.note("dry run: not stored" if opts.get("dry_run") else written.describe())
    elif verb == "patch" and opts.get("created"):
        assert request.obj is not None  # server-side apply of an object that did not exist
        written = await store.create(info, request.obj, dry_run=opts.get("dry_run", False))
        request.result = written.obj
        request.note("dry run: not stored" if opts.get("dry_run") else f"created by apply; {written.describe()}")
    elif verb in ("update", "patch"):
        assert request.obj is not None
        expected = (request.obj.get("metadata") or {}).get("resourceVersion") or ""
        if not expected:
            raise _rv_required(request)
        if opts.get("dry_run"):
            # admitted and validated like a real write; the stored object is untouched
            request.result = request.obj
            request.note("dry run: not stored")
            return
        current_rv = (request.current or {}).get("metadata", {}).get("resourceVersion")
        if request.current is not None and expected == current_rv and _same(request.obj, request.current):
            # as kube-apiserver: a write that changes nothing is not written (no new resourceVersion)
            request.result = request.current
            request.note("no change: not written")
            return
        written = await store.update(info, request.obj, expected)
        request.result = written.obj
        request.note(written.describe())
    elif verb == "delete":
        request.result = await _delete(request, services)


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    def content(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("resourceVersion", "managedFields")}
        return {**obj, "metadata": meta}
    return content(new) == content(old)


def _rv_required(request: Request) -> Invalid:
    name = request.name
    return Invalid(f'{request.info.kind} "{name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: '
                   "must be specified for an update", kind=request.info.resource, name=name,
                   causes=[{"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                            "message": "Invalid value: 0x0: must be specified for an update"}])


async def _delete(request: Request, services: Any) -> dict[str, Any]:
    store, info, opts = services.store, request.info, request.options
    current = request.current
    assert current is not None
    if opts.get("dry_run"):
        request.note("dry run: not deleted")
        return current
    grace = opts.get("grace_period_seconds")
    if strategy_for(info).graceful_delete and _graceful(current, grace):
        period = grace if grace is not None else (current.get("spec") or {}).get(
            "terminationGracePeriodSeconds", 30)
        marked = copy.deepcopy(current)
        meta = marked["metadata"]
        if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds", period) <= period:
            return current  # already terminating with a shorter or equal grace period
        meta["deletionTimestamp"] = now_rfc3339()
        meta["deletionGracePeriodSeconds"] = period
        written = await store.update(info, marked, current["metadata"]["resourceVersion"])
        request.note(f"graceful deletion: the node agent stops the pod within {period}s, then removes it")
        return dict(written.obj)
    if info.resource == "namespaces":
        await _terminate_namespace(request, services)
    written = await store.delete(info, request.namespace, request.name, opts.get("precondition_uid", ""),
                                 opts.get("precondition_resource_version", ""))
    request.note(written.describe())
    return dict(written.obj)


def _graceful(pod: dict[str, Any], grace: int | None) -> bool:
    """Only a pod that a node agent may be running needs it to stop first."""
    bound = bool((pod.get("spec") or {}).get("nodeName"))
    finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    return bound and not finished and grace != 0


async def _terminate_namespace(request: Request, services: Any) -> None:
    """Mark the namespace Terminating (no new content), then remove what is in it."""
    store, namespace = services.store, request.name

    def terminating(obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("status", {})["phase"] = "Terminating"
        obj["metadata"].setdefault("deletionTimestamp", now_rfc3339())
        return obj

    await store.guaranteed_update(request.info, "", namespace, terminating)
    for resource in api.ALL_RESOURCES:
        if resource.namespaced:
            await store.delete_all(resource, namespace)
