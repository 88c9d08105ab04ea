"""The namespace controller, as kube-controller-manager's: a namespace marked
for deletion (Terminating) has every object of every namespaced kind in it
deleted; while anything is left (pods stopping within their grace period,
objects waiting for finalizers) it looks again a second later and says what
remains in the namespace's status conditions; once it is empty it removes
the `kubernetes` finalizer through the finalize subresource, and the API
server deletes the namespace."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from controllers.base import Key, WorkQueue, key_of, run_workers
from kubelite.api.registry import all_kinds
from kubelite.errors import Conflict, NotFound, StatusError

log = logging.getLogger(__name__)
Obj = dict[str, Any]
FINALIZER = "kubernetes"
PARALLEL_DELETES = 16


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def namespaced_resources() -> list[str]:
    """Every stored namespaced kind, by the name a client addresses it."""
    return [f"{k.resource}.{k.group}" if k.group else k.resource for k in all_kinds() if k.namespaced and k.stored]


class NamespaceController:
    def __init__(self, client: Any, informers: Any, workers: int = 4, retry: float = 1.0) -> None:
        self.client = client
        self.workers = workers
        self.retry = retry
        self.queue = WorkQueue()
        self.namespaces = informers.informer("namespaces")
        self.namespaces.add_handler(self._event)

    def _event(self, kind: str, ns: Obj, old: Obj | None) -> None:
        if kind != "DELETED" and (ns.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.add(key_of(ns))

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("namespace", self.queue, self.sync, stop, self.workers)

    async def sync(self, key: Key) -> None:
        ns = self.namespaces.get(*key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return  # done already (or never ours)
        name = ns["metadata"]["name"]
        failures = await self._delete_content(name)
        remaining, finalizers = await self._remaining(name)
        if remaining or failures:
            await self._record(ns, remaining, finalizers, failures)
            self.queue.add_after(key, self.retry)
            return
        await self._finalize(ns)

    async def _list_all(self, namespace: str) -> dict[str, list[Obj] | StatusError]:
        """Every namespaced kind's objects in the namespace, listed at once."""
        async def one(resource: str) -> list[Obj] | StatusError:
            try:
                return list((await self.client.list(resource, namespace)).get("items") or [])
            except StatusError as err:
                return err

        resources = namespaced_resources()
        return dict(zip(resources, await asyncio.gather(*(one(r) for r in resources)), strict=True))

    async def _delete_content(self, namespace: str) -> list[str]:
        """Delete whatever is in the namespace and not being deleted yet;
        the failures, as messages."""
        failures: list[str] = []
        doomed: list[tuple[str, str]] = []
        for resource, listed in (await self._list_all(namespace)).items():
            if isinstance(listed, StatusError):
                failures.append(f"{resource}: {listed.message}")
                continue
            doomed += [(resource, obj["metadata"]["name"]) for obj in listed
                       if not obj["metadata"].get("deletionTimestamp")]
        gate = asyncio.Semaphore(PARALLEL_DELETES)

        async def delete(resource: str, name: str) -> None:
            async with gate:
                try:
                    await self.client.delete(resource, name, namespace)
                except NotFound:
                    pass
                except StatusError as err:
                    failures.append(f'{resource} "{name}": {err.message}')

        await asyncio.gather(*(delete(resource, name) for resource, name in doomed))
        if doomed:
            log.info("namespace %s: deleted %d objects", namespace, len(doomed))
        return failures

    async def _remaining(self, namespace: str) -> tuple[dict[str, int], Counter[str]]:
        """What is still in the namespace: count by resource, and the
        finalizers those objects wait for."""
        remaining: dict[str, int] = {}
        finalizers: Counter[str] = Counter()
        for resource, items in (await self._list_all(namespace)).items():
            if isinstance(items, StatusError):
                raise items
            if items:
                remaining[resource] = len(items)
                for obj in items:
                    finalizers.update(obj["metadata"].get("finalizers") or [])
        return remaining, finalizers

    async def _record(self, ns: Obj, remaining: dict[str, int], finalizers: Counter[str],
                      failures: list[str]) -> None:
        """The namespace's deletion conditions, as Kubernetes words them
        (written only when they changed)."""
        def shown(resource: str) -> str:
            return resource if "." in resource else f"{resource}."

        content = ", ".join(f"{shown(r)} has {n} resource instances" for r, n in sorted(remaining.items()))
        held = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
        wanted = [
            ("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
             "All resources successfully discovered"),
            ("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
             "All legacy kube types successfully parsed"),
            ("NamespaceDeletionContentFailure", "True", "ContentDeletionFailed",
             f"Failed to delete all resource types, {len(failures)} remaining: {', '.join(failures)}") if failures
            else ("NamespaceDeletionContentFailure", "False", "ContentDeleted",
                  "All content successfully deleted, may be waiting on finalization"),
            ("NamespaceContentRemaining", "True", "SomeResourcesRemain", f"Some resources are remaining: {content}")
            if remaining else ("NamespaceContentRemaining", "False", "ContentRemoved",
                               "All content successfully removed"),
            ("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
             f"Some content in the namespace has finalizers remaining: {held}") if finalizers
            else ("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                  "All content-preserving finalizers finished"),
        ]
        status = ns.get("status") or {}
        old = {c.get("type"): c for c in status.get("conditions") or []}
        conditions = []
        for type_, state, reason, message in wanted:
            before = old.get(type_) or {}
            since = before.get("lastTransitionTime") if before.get("status") == state else None
            conditions.append({"type": type_, "status": state, "lastTransitionTime": since or _now(),
                               "reason": reason, "message": message})
        if conditions == status.get("conditions"):
            return
        try:
            await self.client.update_status("namespaces", {**ns, "status": {**status, "conditions": conditions}})
        except (Conflict, NotFound):
            pass  # the next look writes them

    async def _finalize(self, ns: Obj) -> None:
        name = ns["metadata"]["name"]
        for _ in range(3):
            finalizers = (ns.get("spec") or {}).get("finalizers") or []
            if not ns["metadata"].get("deletionTimestamp") or FINALIZER not in finalizers:
                return
            finalized = {**ns, "spec": {**(ns.get("spec") or {}),
                                        "finalizers": [f for f in finalizers if f != FINALIZER]}}
            try:
                await self.client.update("namespaces/finalize", finalized)
                log.info("namespace %s: empty, finalized", name)
                return
            except NotFound:
                return
            except Conflict:
                try:
                    ns = await self.client.get("namespaces", name)
                except NotFound:
                    return
        raise Conflict.modified("namespaces", name)
