"""The garbage collector, as kube-controller-manager's: it keeps a graph of
ownerReferences (object uid -> its owners; owner uid -> its dependents), fed by
the informers of every kind that can own or be owned, and acts on it.

* Background cascade: a dependent none of whose owners exists any more is
  deleted. An owner counts as gone when it is not in the graph and a live
  read by name answers NotFound (or an object with another uid); an owner the
  graph saw deleted is remembered as gone, so a thousand pods of one deleted
  ReplicaSet cost no read of it at all.
* Foreground cascade: an owner being deleted with the `foregroundDeletion`
  finalizer has its dependents deleted (a dependent that has dependents of
  its own is deleted in the foreground too, so a Deployment waits for its
  ReplicaSets, which wait for their pods). Once no dependent whose reference
  says blockOwnerDeletion is left, the finalizer is removed and the API server
  deletes the owner.
* Orphaning: an owner being deleted with the `orphan` finalizer has its
  reference removed from every dependent, then the finalizer.

A dependent that still has a live owner keeps living; references to owners
that are gone (or are waiting for their dependents) are dropped from it.
Work is a queue of object uids; every index is by uid, so an event costs
O(its own references), not O(graph).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from controllers.base import Key, WorkQueue, run_workers
from kubelite.api.registry import resource_for_kind
from kubelite.errors import Conflict, NotFound

log = logging.getLogger(__name__)
Obj = dict[str, Any]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
DEFAULT_RESOURCES: tuple[str, ...] = ("pods", "replicasets", "deployments", "daemonsets", "jobs", "cronjobs",
                                      "configmaps", "secrets", "serviceaccounts")
ABSENT_CACHE_SIZE = 4096   # owners confirmed gone, (namespace, uid), most recent last
WRITE_ATTEMPTS = 5          # read-modify-write tries on a Conflict
PARALLEL_WRITES = 16        # dependents orphaned at once

SOLID, DANGLING, WAITING = "solid", "dangling", "waiting"


@dataclass(slots=True)
class Node:
    """One observed object of the graph."""

    uid: str
    resource: str
    namespace: str
    name: str
    owners: dict[str, Obj]  # owner uid -> the ownerReference
    deleting: bool
    finalizers: frozenset[str]

    @property
    def deleting_dependents(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers

    @property
    def key(self) -> Key:
        return self.namespace, self.uid


def uid_key(obj: Obj) -> Key:
    """The work-queue key of an object: (namespace, uid)."""
    meta = obj.get("metadata") or {}
    return meta.get("namespace", "") or "", meta.get("uid", "")


def _resource_name(kind: Any) -> str:
    return f"{kind.resource}.{kind.group}" if kind.group else kind.resource


class GarbageCollector:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 resources: Iterable[str] = DEFAULT_RESOURCES) -> None:
        self.client = client
        self.workers = workers
        self.queue = WorkQueue()
        self.nodes: dict[str, Node] = {}
        self.dependents: dict[str, set[str]] = {}  # owner uid (seen or not) -> dependent uids
        self.blocking: dict[str, set[str]] = {}    # owner uid -> dependents whose reference blocks its deletion
        self._absent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.informers: dict[str, Any] = {}
        for resource in resources:
            informer = informers.informer(resource)
            self.informers[resource] = informer
            informer.add_handler(partial(self._observe, resource))
            for obj in informer.values():  # an informer that is already filled (shared, started earlier)
                self._observe(resource, "ADDED", obj, None)

    # ------------------------------------------------------------------ graph
    def _observe(self, resource: str, kind: str, obj: Obj, old: Obj | None) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if not uid:
            return
        if kind == "DELETED":
            self._forget(uid)
            return
        previous = self.nodes.get(uid)
        owners = {ref["uid"]: ref for ref in meta.get("ownerReferences") or [] if ref.get("uid")}
        node = Node(uid, resource, meta.get("namespace", "") or "", meta.get("name", ""), owners,
                    bool(meta.get("deletionTimestamp")), frozenset(meta.get("finalizers") or ()))
        self.nodes[uid] = node
        old_owners = previous.owners if previous is not None else {}
        self._relink(node, old_owners)
        if node.deleting_dependents or node.orphaning:
            if previous is None or (previous.deleting, previous.finalizers) != (node.deleting, node.finalizers):
                self._enqueue(node)
        elif not node.deleting and owners.keys() != old_owners.keys() and any(self._suspect(node, u)
                                                                             for u in owners):
            self._enqueue(node)

    def _relink(self, node: Node, old_owners: dict[str, Obj]) -> None:
        for owner_uid in old_owners.keys() - node.owners.keys():
            self._unlink(owner_uid, node.uid)
        for owner_uid, ref in node.owners.items():
            self.dependents.setdefault(owner_uid, set()).add(node.uid)
            if ref.get("blockOwnerDeletion"):
                self.blocking.setdefault(owner_uid, set()).add(node.uid)
            else:
                self._unblock(owner_uid, node.uid)

    def _unlink(self, owner_uid: str, dependent_uid: str) -> None:
        dependents = self.dependents.get(owner_uid)
        if dependents is not None:
            dependents.discard(dependent_uid)
            if not dependents:
                del self.dependents[owner_uid]
        self._unblock(owner_uid, dependent_uid)

    def _unblock(self, owner_uid: str, dependent_uid: str) -> None:
        """`dependent_uid` no longer holds up its owner: an owner waiting for
        its dependents whose last blocking one this was may now go."""
        blockers = self.blocking.get(owner_uid)
        if blockers is None or dependent_uid not in blockers:
            return
        blockers.discard(dependent_uid)
        if not blockers:
            del self.blocking[owner_uid]
            owner = self.nodes.get(owner_uid)
            if owner is not None and owner.deleting_dependents:
                self._enqueue(owner)

    def _forget(self, uid: str) -> None:
        node = self.nodes.pop(uid, None)
        if node is None:
            return
        for owner_uid in node.owners:
            self._unlink(owner_uid, uid)
        dependents = self.dependents.get(uid)
        if dependents:
            self._remember_absent(node.namespace, uid)  # the watch said so: no need to ask again
            for dependent_uid in dependents:
                dependent = self.nodes.get(dependent_uid)
                if dependent is not None:
                    self._enqueue(dependent)

    def _suspect(self, node: Node, owner_uid: str) -> bool:
        """Might this owner be gone, or be waiting for its dependents to go?"""
        owner = self.nodes.get(owner_uid)
        return owner is None or owner.deleting_dependents or (owner.namespace not in ("", node.namespace))

    def _enqueue(self, node: Node) -> None:
        self.queue.add(node.key)

    def _remember_absent(self, namespace: str, uid: str) -> None:
        self._absent[(namespace, uid)] = None
        self._absent.move_to_end((namespace, uid))
        while len(self._absent) > ABSENT_CACHE_SIZE:
            self._absent.popitem(last=False)

    def _known_absent(self, namespace: str, uid: str) -> bool:
        if (namespace, uid) in self._absent:
            self._absent.move_to_end((namespace, uid))
            return True
        return False

    # ------------------------------------------------------------------- work
    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("garbagecollector", self.queue, self.sync, stop, self.workers)

    async def sync(self, key: Key) -> None:
        """Act on one object of the graph, by its (namespace, uid) key."""
        node = self.nodes.get(key[1])
        if node is None:
            return  # gone; its dependents were queued when it went
        if node.orphaning:
            await self._orphan_dependents(node)
        elif node.deleting_dependents:
            await self._delete_dependents(node)
        elif not node.deleting and node.owners:
            await self._collect(node)

    async def _owner_state(self, node: Node, ref: Obj) -> str:
        """SOLID (exists), DANGLING (gone) or WAITING (being deleted in the
        foreground) for one ownerReference of `node`."""
        uid = ref["uid"]
        kind = resource_for_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        namespace = node.namespace if kind is None or kind.namespaced else ""
        owner = self.nodes.get(uid)
        if owner is not None and owner.namespace == namespace:
            return WAITING if owner.deleting_dependents else SOLID
        if self._known_absent(namespace, uid):
            return DANGLING
        if kind is None:
            log.info("garbage collector: %s/%s has an owner of unknown kind %s %s; leaving it",
                     node.namespace, node.name, ref.get("apiVersion"), ref.get("kind"))
            return SOLID
        if kind.namespaced and not node.namespace:
            return DANGLING  # a cluster-scoped object cannot be owned by a namespaced one
        try:
            live = await self.client.get(_resource_name(kind), ref.get("name", ""), namespace)
        except NotFound:
            self._remember_absent(namespace, uid)
            return DANGLING
        meta = live.get("metadata") or {}
        if meta.get("uid") != uid:
            self._remember_absent(namespace, uid)
            return DANGLING
        return WAITING if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []) else SOLID

    async def _collect(self, node: Node) -> None:
        """A dependent: delete it when no owner of it lives; drop its
        references to owners that are gone when another one lives."""
        states = {uid: await self._owner_state(node, ref) for uid, ref in list(node.owners.items())}
        solid = [uid for uid, state in states.items() if state == SOLID]
        gone = {uid for uid, state in states.items() if state != SOLID}
        if solid:
            if gone:
                await self._write(node, partial(_without_owners, gone))
            return
        if not gone:
            return
        try:  # decide on the object as it is now, not as the cache last saw it
            latest = await self.client.get(node.resource, node.name, node.namespace)
        except NotFound:
            return
        meta = latest.get("metadata") or {}
        if meta.get("uid") != node.uid or meta.get("deletionTimestamp"):
            return
        if {ref.get("uid") for ref in meta.get("ownerReferences") or []} != set(node.owners):
            return  # its references changed: the informer brings it back with the new ones
        finalizers = meta.get("finalizers") or []
        waiting = any(state == WAITING for state in states.values())
        if waiting and self.dependents.get(node.uid):
            policy = "Foreground"  # an owner waits for us: we wait for ours
        elif ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        log.info("garbage collector: deleting %s %s/%s (%s), its owners are %s", node.resource, node.namespace,
                 node.name, policy, "being deleted" if waiting else "gone")
        try:
            await self.client.delete(node.resource, node.name, node.namespace, propagation_policy=policy,
                                     precondition_uid=node.uid)
        except NotFound:
            pass

    async def _delete_dependents(self, owner: Node) -> None:
        """An owner deleted in the foreground: queue its dependents for
        deletion; once none blocks it, remove its finalizer."""
        for dependent_uid in list(self.dependents.get(owner.uid, ())):
            dependent = self.nodes.get(dependent_uid)
            if dependent is not None and not dependent.deleting:
                self._enqueue(dependent)
        if self.blocking.get(owner.uid):
            return  # the last blocking dependent's going brings us back
        await self._write(owner, partial(_without_finalizer, FOREGROUND))

    async def _orphan_dependents(self, owner: Node) -> None:
        """An owner deleted with orphan: drop its reference from every
        dependent, then its finalizer."""
        dependents = [d for d in (self.nodes.get(uid) for uid in list(self.dependents.get(owner.uid, ())))
                      if d is not None]
        gate = asyncio.Semaphore(PARALLEL_WRITES)

        async def orphan(dependent: Node) -> None:
            async with gate:
                await self._write(dependent, partial(_without_owners, {owner.uid}))

        results = await asyncio.gather(*(orphan(d) for d in dependents), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        await self._write(owner, partial(_without_finalizer, ORPHAN))

    async def _write(self, node: Node, change: Callable[[Obj], Obj | None]) -> None:
        """Update `node`'s object with `change` (None: nothing to change),
        from the informer's copy first and a fresh read after a Conflict."""
        obj = self.informers[node.resource].get(node.namespace, node.name)
        for attempt in range(WRITE_ATTEMPTS):
            if obj is None or (obj.get("metadata") or {}).get("uid") != node.uid:
                try:
                    obj = await self.client.get(node.resource, node.name, node.namespace)
                except NotFound:
                    return
                if (obj.get("metadata") or {}).get("uid") != node.uid:
                    return  # another object of that name now
            changed = change(obj)
            if changed is None:
                return
            try:
                await self.client.update(node.resource, changed, node.namespace)
                return
            except NotFound:
                return
            except Conflict:
                if attempt + 1 == WRITE_ATTEMPTS:
                    raise
                obj = None


def _without_owners(uids: set[str], obj: Obj) -> Obj | None:
    meta = obj.get("metadata") or {}
    refs = meta.get("ownerReferences") or []
    kept = [ref for ref in refs if ref.get("uid") not in uids]
    if len(kept) == len(refs):
        return None
    new_meta = {k: v for k, v in meta.items() if k != "ownerReferences"}
    if kept:
        new_meta["ownerReferences"] = kept
    return {**obj, "metadata": new_meta}


def _without_finalizer(name: str, obj: Obj) -> Obj | None:
    meta = obj.get("metadata") or {}
    finalizers = meta.get("finalizers") or []
    if name not in finalizers:
        return None
    return {**obj, "metadata": {**meta, "finalizers": [f for f in finalizers if f != name]}}
