"""The ReplicaSet controller against the fake API: how many pods it creates or
deletes, which ones go first, adoption and release of pods, expectations
that stop a stale cache from creating twice, slow-start batches, and the
status it writes (only when it changed)."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from controllers.pods import new_pod
from controllers.replicaset import ReplicaSetController, pods_to_delete
from kubelite.errors import Forbidden

Obj = dict[str, Any]
NS = "default"
APP = {"app": "web"}
NOW = datetime(2026, 1, 1, 0, 10, 0, tzinfo=UTC).timestamp()


def replicaset(name: str = "web", replicas: int = 3, min_ready: int = 0, **meta: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": NS, "generation": 2, **meta},
            "spec": {"replicas": replicas, "minReadySeconds": min_ready, "selector": {"matchLabels": APP},
                     "template": {"metadata": {"labels": {**APP, "tier": "front"}, "annotations": {"note": "x"}},
                                  "spec": {"containers": [{"name": "main", "image": "img:v1"}]}}}}


def pod(name: str, owner: Obj | None = None, phase: str = "Running", ready: bool = True, node: str = "n1",
        created: str = "2026-01-01T00:00:00Z", ready_at: str = "2026-01-01T00:00:05Z",
        labels: dict[str, str] | None = None, **meta: Any) -> Obj:
    refs = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner["metadata"]["name"],
             "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}] if owner else []
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": {**APP, "tier": "front"} if labels is None
                         else labels, "ownerReferences": refs, "creationTimestamp": created, **meta},
            "spec": {"nodeName": node} if node else {},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                                       "lastTransitionTime": ready_at}]}}


def pod_names(client: Any) -> set[str]:
    return {n for (r, _ns, n) in client.objects if r == "pods"}


def status(client: Any, name: str = "web") -> Obj:
    return dict(client.objects[("replicasets", NS, name)].get("status") or {})


@pytest.fixture
def setup(world: Any) -> tuple[Any, Any, ReplicaSetController]:
    client, informers = world
    return client, informers, ReplicaSetController(client, informers, clock=lambda: NOW)


@pytest.mark.parametrize(("desired", "existing", "creates", "deletes"), [
    (3, 0, 3, 0), (3, 3, 0, 0), (3, 5, 0, 2), (0, 2, 0, 2), (5, 2, 3, 0), (1, 0, 1, 0), (10, 1, 9, 0),
])
def test_creates_or_deletes_the_difference(setup: Any, desired: int, existing: int, creates: int,
                                           deletes: int) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=desired))
    for i in range(existing):
        client.put("pods", pod(f"web-old{i}", rs))
    asyncio.run(ctl.sync((NS, "web")))
    assert len(client.writes("create", "pods")) == creates
    assert len(client.writes("delete", "pods")) == deletes
    assert len(pod_names(client)) == desired


def test_pods_are_made_from_the_template_and_controlled_by_the_replicaset(setup: Any) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=1))
    asyncio.run(ctl.sync((NS, "web")))
    (made,) = [o for (r, _ns, _n), o in client.objects.items() if r == "pods"]
    meta = made["metadata"]
    assert meta["generateName"] == "web-" and meta["name"].startswith("web-") and meta["namespace"] == NS
    assert meta["labels"] == {"app": "web", "tier": "front"} and meta["annotations"] == {"note": "x"}
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                        "uid": rs["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert made["spec"] == {"containers": [{"name": "main", "image": "img:v1"}]}
    assert new_pod(rs, "apps/v1", "ReplicaSet")["spec"] is not rs["spec"]["template"]["spec"]  # a copy


def test_terminating_and_finished_pods_do_not_count(setup: Any) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=2))
    client.put("pods", pod("web-a", rs))
    client.put("pods", pod("web-failed", rs, phase="Failed", ready=False))
    client.put("pods", pod("web-done", rs, phase="Succeeded", ready=False))
    client.put("pods", pod("web-going", rs, deletionTimestamp="2026-01-01T00:09:00Z"))
    asyncio.run(ctl.sync((NS, "web")))
    assert len(client.writes("create", "pods")) == 1
    assert client.writes("delete", "pods") == []  # finished pods are left alone, not deleted
    assert status(client)["replicas"] == 1  # what the sync started from; the new pod counts next time
    asyncio.run(ctl.sync((NS, "web")))
    assert status(client)["replicas"] == 2 and len(client.writes("create", "pods")) == 1


def test_the_least_valuable_pods_go_first() -> None:
    pods = [pod("old-ready", created="2026-01-01T00:00:00Z"),
            pod("new-ready", created="2026-01-01T00:05:00Z"),
            pod("running-not-ready", ready=False),
            pod("scheduled-pending", phase="Pending", ready=False),
            pod("unscheduled", phase="Pending", ready=False, node=""),
            pod("unknown", phase="Unknown", ready=False)]
    order = [p["metadata"]["name"] for p in pods_to_delete(pods, len(pods))]
    assert order == ["unscheduled", "scheduled-pending", "unknown", "running-not-ready", "new-ready", "old-ready"]
    assert [p["metadata"]["name"] for p in pods_to_delete(pods, 2)] == ["unscheduled", "scheduled-pending"]


def test_finer_tie_breaks_between_ready_pods() -> None:
    cheap = pod("cheap", annotations={"controller.kubernetes.io/pod-deletion-cost": "-5"})
    crowded = pod("crowded", node="busy")
    neighbour = pod("neighbour", node="busy", annotations={"controller.kubernetes.io/pod-deletion-cost": "9"})
    recently_ready = pod("recently-ready", node="n2", ready_at="2026-01-01T00:08:00Z")
    restarted = pod("restarted", node="n3")
    restarted["status"]["containerStatuses"] = [{"name": "main", "restartCount": 4}]
    plain = pod("plain", node="n4")
    order = [p["metadata"]["name"] for p in pods_to_delete(
        [plain, restarted, recently_ready, neighbour, crowded, cheap], 6)]
    assert order == ["cheap", "crowded", "recently-ready", "restarted", "plain", "neighbour"]


def test_surplus_deletion_through_sync_keeps_the_most_valuable(setup: Any) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=1))
    client.put("pods", pod("keeper", rs, created="2026-01-01T00:00:00Z"))
    client.put("pods", pod("younger", rs, created="2026-01-01T00:01:00Z"))
    client.put("pods", pod("unready", rs, ready=False))
    client.put("pods", pod("pending", rs, phase="Pending", ready=False, node=""))
    asyncio.run(ctl.sync((NS, "web")))
    assert [a[3] for a in client.writes("delete", "pods")] == ["pending", "unready", "younger"]
    assert pod_names(client) == {"keeper"}


def test_adopts_matching_orphans_and_releases_pods_that_stopped_matching(setup: Any) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=2))
    other = client.put("replicasets", replicaset(name="other", replicas=1))
    client.put("pods", pod("orphan", None))
    client.put("pods", pod("stray", rs, labels={"app": "db"}))
    client.put("pods", pod("not-mine", other))
    client.put("pods", pod("unrelated", None, labels={"app": "db"}))
    client.put("pods", pod("finished-orphan", None, phase="Succeeded", ready=False))
    asyncio.run(ctl.sync((NS, "web")))
    adopted = client.objects[("pods", NS, "orphan")]["metadata"]["ownerReferences"]
    assert [(r["kind"], r["name"], r["uid"], r["controller"]) for r in adopted] == [
        ("ReplicaSet", "web", rs["metadata"]["uid"], True)]
    assert not client.objects[("pods", NS, "stray")]["metadata"].get("ownerReferences")
    assert client.objects[("pods", NS, "not-mine")]["metadata"]["ownerReferences"][0]["name"] == "other"
    assert not client.objects[("pods", NS, "unrelated")]["metadata"].get("ownerReferences")
    assert not client.objects[("pods", NS, "finished-orphan")]["metadata"].get("ownerReferences")
    assert sorted(a[3] for a in client.writes("patch", "pods")) == ["orphan", "stray"]
    assert len(client.writes("create", "pods")) == 1  # the adopted orphan counts; the released stray does not
    assert other["metadata"]["uid"] != rs["metadata"]["uid"]


def test_expectations_stop_a_second_sync_from_creating_again(setup: Any) -> None:
    client, informers, ctl = setup
    client.put("replicasets", replicaset(replicas=3))
    client.informers = None  # the watch is slow: nothing created shows in the cache yet

    async def twice() -> None:
        await ctl.sync((NS, "web"))
        await ctl.sync((NS, "web"))
    asyncio.run(twice())
    assert len(client.writes("create", "pods")) == 3
    assert not ctl.expectations.satisfied((NS, "web"))
    for (resource, _ns, _name), obj in list(client.objects.items()):
        if resource == "pods":
            informers.informer("pods").emit("ADDED", copy.deepcopy(obj))
    assert ctl.expectations.satisfied((NS, "web"))
    asyncio.run(ctl.sync((NS, "web")))
    assert len(client.writes("create", "pods")) == 3


def test_expectations_stop_a_second_sync_from_deleting_again(setup: Any) -> None:
    client, informers, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=1))
    for i in range(3):
        client.put("pods", pod(f"web-{i}", rs, created=f"2026-01-01T00:0{i}:00Z"))
    client.informers = None

    async def twice() -> None:
        await ctl.sync((NS, "web"))
        await ctl.sync((NS, "web"))
    asyncio.run(twice())
    assert [a[3] for a in client.writes("delete", "pods")] == ["web-2", "web-1"]
    pods = informers.informer("pods")
    going = copy.deepcopy(pods.get(NS, "web-2"))
    going["metadata"]["deletionTimestamp"] = "2026-01-01T00:10:00Z"
    pods.emit("MODIFIED", going, pods.get(NS, "web-2"))  # graceful deletion began: one delete observed
    assert not ctl.expectations.satisfied((NS, "web"))
    pods.emit("DELETED", going, going)  # ... and its removal is not counted twice
    assert not ctl.expectations.satisfied((NS, "web"))
    pods.emit("DELETED", copy.deepcopy(pods.get(NS, "web-1")))
    assert ctl.expectations.satisfied((NS, "web"))


def test_creates_in_slow_start_batches_and_stops_at_a_failure(setup: Any) -> None:
    client, _, ctl = setup
    client.put("replicasets", replicaset(replicas=20))
    attempts: list[int] = []
    create = client.create

    async def failing_create(resource: str, obj: Obj, namespace: str = "", dry_run: bool = False) -> Obj:
        if resource == "pods":
            attempts.append(1)
            if len(attempts) == 5:
                raise Forbidden("pods is forbidden: exceeded quota")
        return await create(resource, obj, namespace, dry_run)
    client.create = failing_create
    with pytest.raises(Forbidden):
        asyncio.run(ctl.sync((NS, "web")))
    assert len(attempts) == 1 + 2 + 4  # the batch of four had the failure: no batch of eight
    assert len(pod_names(client)) == 6
    assert ctl.expectations.satisfied((NS, "web"))  # the creates not made are not awaited
    failure = [c for c in status(client)["conditions"] if c["type"] == "ReplicaFailure"]
    assert failure and failure[0]["reason"] == "FailedCreate" and "quota" in failure[0]["message"]
    client.create = create
    asyncio.run(ctl.sync((NS, "web")))
    assert len(pod_names(client)) == 20
    assert "conditions" not in status(client)  # the failure condition goes once creates succeed


def test_status_counts_and_is_written_only_when_it_changed(setup: Any) -> None:
    client, _, ctl = setup
    rs = client.put("replicasets", replicaset(replicas=4, min_ready=30))
    client.put("pods", pod("long-ready", rs, ready_at="2026-01-01T00:00:00Z"))
    client.put("pods", pod("just-ready", rs, ready_at="2026-01-01T00:09:50Z"))
    client.put("pods", pod("not-ready", rs, ready=False))
    client.put("pods", pod("few-labels", rs, labels=dict(APP)))

    async def sync_twice() -> None:
        await ctl.sync((NS, "web"))
        await ctl.sync((NS, "web"))
    asyncio.run(sync_twice())
    assert status(client) == {"replicas": 4, "fullyLabeledReplicas": 3, "readyReplicas": 3,
                              "availableReplicas": 2, "observedGeneration": 2}
    assert len(client.writes("update_status", "replicasets")) == 1
    assert client.writes("create", "pods") == [] and client.writes("delete", "pods") == []


def test_a_replicaset_being_deleted_is_left_alone(setup: Any) -> None:
    client, _, ctl = setup
    client.put("replicasets", replicaset(replicas=3, deletionTimestamp="2026-01-01T00:09:00Z"))
    client.put("pods", pod("orphan", None))
    asyncio.run(ctl.sync((NS, "web")))
    asyncio.run(ctl.sync((NS, "gone")))
    assert client.actions == []


def test_pod_events_enqueue_the_owner_or_every_matching_replicaset(setup: Any) -> None:
    client, informers, ctl = setup
    rs = client.put("replicasets", replicaset(name="web"))
    client.put("replicasets", replicaset(name="web-copy"))

    async def drain() -> set[tuple[str, str]]:
        keys = set()
        while len(ctl.queue):
            key = await ctl.queue.get()
            ctl.queue.done(key)
            keys.add(key)
        return keys
    asyncio.run(drain())
    pods = informers.informer("pods")
    pods.emit("ADDED", pod("owned", rs))
    assert asyncio.run(drain()) == {(NS, "web")}
    pods.emit("MODIFIED", pod("orphan", None), pod("orphan", None))
    assert asyncio.run(drain()) == {(NS, "web"), (NS, "web-copy")}
    pods.emit("DELETED", pod("owned", rs))
    assert asyncio.run(drain()) == {(NS, "web")}
    pods.emit("ADDED", pod("elsewhere", None, labels={"app": "db"}))
    assert asyncio.run(drain()) == set()


def test_run_works_the_queue_fed_by_the_informers(setup: Any) -> None:
    client, _, ctl = setup

    async def body() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ctl.run(stop))
        client.put("replicasets", replicaset(replicas=3))  # its ADDED event enqueues it
        for _ in range(200):
            if len(pod_names(client)) == 3 and status(client).get("replicas") == 3:
                break
            await asyncio.sleep(0.005)
        stop.set()
        await task
    asyncio.run(body())
    assert len(pod_names(client)) == 3 and len(client.writes("create", "pods")) == 3
    assert status(client)["replicas"] == 3
