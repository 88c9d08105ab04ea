"""Stage 9, store: the one generic store does the verb; the kind's definition
decides what is special (its strategy: graceful deletion, finalizers; its
subresources: views such as Scale, actions such as an eviction; the kinds
that are answered and never stored). The write's revision becomes the
object's resourceVersion."""

from __future__ import annotations

import copy
from typing import Any

from apiserver.context import Request
from apiserver.registry import now_rfc3339
from apiserver.selectors import Selector
from kubelite.api import Kind
from kubelite.errors import Invalid


async def run(request: Request, services: Any) -> None:
    await _run(request, services)
    # a subresource with a view (a Scale) answers with it, whichever way the verb ended (a no-op included)
    sub = request.info.subresource(request.subresource) if request.subresource else None
    if sub is not None and sub.view is not None and isinstance(request.result, dict):
        request.result = sub.view(request.result)


async def _run(request: Request, services: Any) -> None:
    store, info, opts = services.store, request.info, request.options
    verb = request.verb
    if verb == "get":  # also pods/log: the pod, which the log relay then reads from its node
        request.result = await store.get(info, request.namespace, request.name)
    elif verb in ("list", "deletecollection"):
        selector = Selector.parse(opts.get("label_selector", ""), opts.get("field_selector", ""),
                                  info.strategy.fields)
        request.result = await store.list(info, request.namespace, selector, opts.get("limit", 0),
                                          opts.get("continue", ""), opts.get("resource_version", ""))
        request.note(f"{len(request.result.items)} items at revision {request.result.resource_version}")
    elif verb == "watch":
        request.result = Selector.parse(opts.get("label_selector", ""), opts.get("field_selector", ""),
                                        info.strategy.fields)
    elif verb == "create" and not info.stored:
        assert request.obj is not None and request.user is not None and info.answer is not None
        request.result = await info.answer(request, services)
    elif verb == "create" and request.subresource and _subresource_act(request) is not None:
        act = _subresource_act(request)
        assert act is not None
        request.result = await act(request, _Objects(request, services))
    elif verb == "create":
        assert request.obj is not None
        if request.subresource:  # a create on a subresource (a binding) writes the object it is of
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
        if _finalized(info, request.obj):
            # the last finalizer of an object being deleted is gone: it goes now
            written = await store.delete(info, request.namespace, request.obj["metadata"]["name"],
                                         precondition_rv=expected)
            request.note(f"finalizers done: deleted; {written.describe()}")
        else:
            written = await store.update(info, request.obj, expected)
            request.note(written.describe())
        request.result = written.obj
    elif verb == "delete":
        request.result = await _delete(request, services)


def _subresource_act(request: Request) -> Any:
    sub = request.info.subresource(request.subresource)
    return sub.act if sub is not None else None


def _finalized(info: Kind, obj: dict[str, Any]) -> bool:
    marked = bool((obj.get("metadata") or {}).get("deletionTimestamp"))
    return marked and not info.strategy.pending_finalizers(obj) and info.strategy.grace_period(obj, None) is None


class _Objects:
    """What a subresource's action may do (kubelite.api.kind.Objects)."""

    def __init__(self, request: Request, services: Any) -> None:
        self.request, self.services = request, services

    async def list(self, kind: Kind, namespace: str) -> list[dict[str, Any]]:
        return list((await self.services.store.list(kind, namespace, Selector())).items)

    async def update_status(self, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
        written = await self.services.store.update(kind, obj, obj["metadata"]["resourceVersion"])
        return dict(written.obj)

    async def delete(self) -> dict[str, Any]:
        return await _delete(self.request, self.services)


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
    """Delete at once, or mark for deletion (deletionTimestamp) while the
    object's strategy asks for a grace period (a running pod) or it has
    finalizers (foregroundDeletion, a namespace's `kubernetes`): whoever owns
    that removes it later."""
    store, info, opts = services.store, request.info, request.options
    current = request.current
    assert current is not None
    if opts.get("dry_run"):
        request.note("dry run: not deleted")
        return current
    strategy = info.strategy
    period = strategy.grace_period(current, opts.get("grace_period_seconds"))
    finalizers = list(strategy.pending_finalizers(current))
    policy = opts.get("propagation_policy") or ""
    if policy == "Orphan" and "orphan" not in finalizers:
        finalizers.append("orphan")
    if policy == "Foreground" and "foregroundDeletion" not in finalizers:
        finalizers.append("foregroundDeletion")
    if period is not None or finalizers:
        marked = copy.deepcopy(current)
        meta = marked["metadata"]
        if meta.get("deletionTimestamp"):
            shorter = period is not None and period < meta.get("deletionGracePeriodSeconds", period + 1)
            added = [f for f in finalizers if f not in (meta.get("finalizers") or [])
                     and f not in strategy.pending_finalizers(current)]
            if not shorter and not added:
                return current  # already being deleted, no sooner than asked
        else:
            meta["deletionTimestamp"] = now_rfc3339()
        meta["deletionGracePeriodSeconds"] = period if period is not None else 0
        for name in finalizers:
            if name in ("foregroundDeletion", "orphan") and name not in (meta.get("finalizers") or []):
                meta.setdefault("finalizers", []).append(name)
        strategy.mark_deleting(marked)
        written = await store.update(info, marked, current["metadata"]["resourceVersion"])
        if period is not None:
            request.note(f"graceful deletion: whoever runs it stops it within {period}s, then removes it")
        else:
            request.note(f"marked for deletion; waiting for finalizers {', '.join(finalizers)}")
        return dict(written.obj)
    written = await store.delete(info, request.namespace, request.name, opts.get("precondition_uid", ""),
                                 opts.get("precondition_resource_version", ""))
    request.note(written.describe())
    return dict(written.obj)
