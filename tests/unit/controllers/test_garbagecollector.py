"""The garbage collector against a fake world that deletes as the API server
does: finalizers hold an object (marked with deletionTimestamp) until the
last one is removed, and propagationPolicy Foreground/Orphan adds its
finalizer."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import pytest

from controllers.garbagecollector import FOREGROUND, ORPHAN, GarbageCollector
from kubelite.errors import Conflict, NotFound

Obj = dict[str, Any]
NS = "default"


@pytest.fixture
def server(world: Any) -> Any:
    client, informers = world

    class Server(type(client)):  # type: ignore[misc]
        """The fake client plus the API server's deletion rules."""

        def _write(self, verb: str, resource: str, obj: Obj, namespace: str) -> Obj:
            written = super()._write(verb, resource, obj, namespace)
            meta = written["metadata"]
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                res, _ = self._resource(resource)
                self.objects.pop((res, meta["namespace"], meta["name"]))
                self.actions.append(("removed", res, meta["namespace"], meta["name"]))
                self._deliver(res, "DELETED", written)
            return written

        async def get(self, resource: str, name: str, namespace: str = "") -> Obj:
            self.gets.append((self._resource(resource)[0], name))
            return await super().get(resource, name, namespace)

        async def delete(self, resource: str, name: str, namespace: str = "", **options: Any) -> Obj:
            res, _ = self._resource(resource)
            current = self.objects.get((res, namespace, name))
            if current is None:
                raise NotFound.of(res, name)
            if options.get("precondition_uid") not in (None, "", current["metadata"]["uid"]):
                raise Conflict(f"{res} {name}: precondition failed")
            policy = options.get("propagation_policy") or ""
            self.policies[(res, name)] = policy
            finalizers = list(current["metadata"].get("finalizers") or [])
            extra = {"Foreground": FOREGROUND, "Orphan": ORPHAN}.get(policy)
            if extra and extra not in finalizers:
                finalizers.append(extra)
            if not finalizers:
                written = await super().delete(resource, name, namespace)
                self.actions.append(("removed", res, namespace, name))
                return written
            if current["metadata"].get("deletionTimestamp"):
                return copy.deepcopy(current)
            marked = copy.deepcopy(current)
            marked["metadata"].update(deletionTimestamp="2026-01-01T00:00:10Z", finalizers=finalizers)
            return self._write("delete", resource, marked, namespace)

    client.__class__ = Server
    client.policies, client.gets = {}, []
    return client, informers


def rs(name: str, owner: Obj | None = None, **meta: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": NS, **meta,
                         **({"ownerReferences": [ref(owner, "Deployment")]} if owner else {})},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}}}


def pod(name: str, *owners: Obj, **meta: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, **meta,
                                                           "ownerReferences": list(owners)},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def ref(owner: Obj, kind: str = "ReplicaSet", block: bool = True) -> Obj:
    return {"apiVersion": "v1" if kind == "Pod" else "apps/v1", "kind": kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}


def ghost(name: str = "gone", uid: str = "no-such-uid") -> Obj:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "uid": uid, "controller": True,
            "blockOwnerDeletion": True}


async def drain(gc: GarbageCollector, limit: int = 100_000) -> None:
    """Work the collector's queue until it is empty, one key at a time."""
    for _ in range(limit):
        if not len(gc.queue):
            return
        key = await gc.queue.get()
        try:
            await gc.sync(key)
        finally:
            gc.queue.done(key)
    raise AssertionError("the queue never emptied")


def names(client: Any, resource: str) -> set[str]:
    return {n for (r, _ns, n) in client.objects if r == resource}


def removed(client: Any) -> list[str]:
    return [f"{a[1]}/{a[3]}" for a in client.actions if a[0] == "removed"]


def test_background_deletes_a_dependent_whose_owner_is_gone_and_keeps_one_whose_owner_lives(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("web"))
    client.put("pods", pod("web-1", ref(owner)))
    client.put("pods", pod("lost-1", ghost()))
    asyncio.run(drain(gc))
    assert names(client, "pods") == {"web-1"}
    assert client.policies == {("pods", "lost-1"): "Background"}
    assert ("replicasets", "gone") in client.gets  # the absent owner was looked up live


def test_deleting_an_owner_cascades_to_all_its_dependents_without_reading_it_again(server: Any) -> None:
    client, informers = server
    owner = client.put("replicasets", rs("web"))
    for i in range(3):
        client.put("pods", pod(f"web-{i}", ref(owner)))
    gc = GarbageCollector(client, informers)  # built after the world: it reads what informers hold
    asyncio.run(drain(gc))
    assert client.writes("delete") == []
    asyncio.run(client.delete("replicasets", "web", NS))
    asyncio.run(drain(gc))
    assert names(client, "pods") == set()
    assert {client.policies[("pods", f"web-{i}")] for i in range(3)} == {"Background"}
    assert ("replicasets", "web") not in client.gets  # the watch saw it go


def test_an_owner_the_informer_has_not_seen_yet_is_confirmed_live(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    client.informers = None  # these two exist on the server only, for now
    hidden = client.put("replicasets", rs("new"))
    client.put("replicasets", rs("renamed"))
    client.informers = informers
    client.put("pods", pod("new-1", ref(hidden)))
    client.put("pods", pod("old-1", ghost("renamed", "an-older-uid")))  # the name now holds another object
    asyncio.run(drain(gc))
    assert names(client, "pods") == {"new-1"}


def test_a_reference_to_a_gone_owner_is_dropped_when_another_owner_lives(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("web"))
    client.put("pods", pod("shared", ref(owner), ghost()))
    asyncio.run(drain(gc))
    kept = client.objects[("pods", NS, "shared")]
    assert [r["uid"] for r in kept["metadata"]["ownerReferences"]] == [owner["metadata"]["uid"]]
    assert client.writes("delete") == []


def test_foreground_deletes_the_dependents_then_removes_the_finalizer(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("web"))
    client.put("pods", pod("web-1", ref(owner)))
    client.put("pods", pod("web-2", ref(owner)))
    client.put("pods", pod("loose", ref(owner, block=False)))
    asyncio.run(client.delete("replicasets", "web", NS, propagation_policy="Foreground"))
    assert client.objects[("replicasets", NS, "web")]["metadata"]["finalizers"] == [FOREGROUND]
    asyncio.run(drain(gc))
    assert names(client, "pods") == set() and names(client, "replicasets") == set()
    order = removed(client)
    assert order.index("replicasets/web") > max(order.index("pods/web-1"), order.index("pods/web-2"))
    assert client.writes("update", "replicasets") == [("update", "replicasets", NS, "web")]


def test_foreground_waits_for_a_blocking_dependent_that_is_still_going(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("web"))
    client.put("pods", pod("slow", ref(owner), deletionTimestamp="2026-01-01T00:00:05Z",
                           finalizers=["example.com/hold"]))
    asyncio.run(client.delete("replicasets", "web", NS, propagation_policy="Foreground"))
    asyncio.run(drain(gc))
    assert names(client, "replicasets") == {"web"}  # held by the pod
    assert ("pods", "slow") not in client.policies  # already being deleted: not deleted again
    slow = client.objects[("pods", NS, "slow")]
    asyncio.run(client.update("pods", {**slow, "metadata": {**slow["metadata"], "finalizers": []}}))
    asyncio.run(drain(gc))
    assert names(client, "replicasets") == set() and removed(client) == ["pods/slow", "replicasets/web"]


def test_foreground_runs_down_a_chain_deployment_replicaset_pods_in_order(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    deployment = client.put("deployments", {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "metadata": {"name": "web", "namespace": NS}, "spec": {}})
    replicaset = client.put("replicasets", rs("web-abc", deployment))
    for i in range(3):
        client.put("pods", pod(f"web-abc-{i}", ref(replicaset)))
    asyncio.run(client.delete("deployments", "web", NS, propagation_policy="Foreground"))
    asyncio.run(drain(gc))
    assert client.objects == {}
    assert client.policies[("replicasets", "web-abc")] == "Foreground"  # it has dependents: it waits for them
    assert {client.policies[("pods", f"web-abc-{i}")] for i in range(3)} == {"Background"}
    order = removed(client)
    assert order[-2:] == ["replicasets/web-abc", "deployments/web"]
    assert sorted(order[:3]) == [f"pods/web-abc-{i}" for i in range(3)]


def test_orphan_strips_the_owner_reference_from_dependents_then_the_finalizer(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("web"))
    other = client.put("replicasets", rs("other"))
    client.put("pods", pod("web-1", ref(owner)))
    client.put("pods", pod("web-2", ref(owner), ref(other, block=False)))
    asyncio.run(client.delete("replicasets", "web", NS, propagation_policy="Orphan"))
    asyncio.run(drain(gc))
    assert names(client, "pods") == {"web-1", "web-2"} and names(client, "replicasets") == {"other"}
    assert "ownerReferences" not in client.objects[("pods", NS, "web-1")]["metadata"]
    assert [r["name"] for r in client.objects[("pods", NS, "web-2")]["metadata"]["ownerReferences"]] == ["other"]
    assert removed(client) == ["replicasets/web"]
    assert not any(a[0] == "delete" and a[1] == "pods" for a in client.actions)


def test_a_large_cascade_reads_the_dead_owner_at_most_once(server: Any) -> None:
    client, informers = server
    gc = GarbageCollector(client, informers)
    owner = client.put("replicasets", rs("big"))
    for i in range(2000):
        client.put("pods", pod(f"big-{i}", ref(owner)))
    client.put("pods", pod("stray-1", ghost("lost", "lost-uid")))
    client.put("pods", pod("stray-2", ghost("lost", "lost-uid")))
    asyncio.run(client.delete("replicasets", "big", NS))
    started = time.monotonic()
    asyncio.run(drain(gc))
    assert time.monotonic() - started < 20
    assert names(client, "pods") == set()
    assert [g for g in client.gets if g[0] == "replicasets"] == [("replicasets", "lost")]
    assert gc.nodes == {} and gc.dependents == {} and gc.blocking == {}
