"""The Deployment controller against the fake API, with the ReplicaSet
controller played by hand (a test sets each ReplicaSet's status): the new
ReplicaSet with its hash and revision, rolling updates that stay within
maxSurge and maxUnavailable at every step, Recreate's order, history cleanup,
rollback, proportional scaling, pause, and the conditions `kubectl rollout
status` reads (with ProgressDeadlineExceeded on a fake clock)."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from controllers.deployment import (
    DESIRED,
    HASH_LABEL,
    MAX_REPLICAS,
    REVISION,
    REVISION_HISTORY,
    DeploymentController,
    template_hash,
)

Obj = dict[str, Any]
NS = "default"
APP = {"app": "web"}
T0 = datetime(2026, 1, 1, 0, 10, 0, tzinfo=UTC).timestamp()
KEY = (NS, "web")


def deployment(replicas: int = 3, image: str = "img:v1", surge: int | str = 1, unavailable: int | str = 0,
               **spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS, "generation": 1},
            "spec": {"replicas": replicas, "selector": {"matchLabels": APP},
                     "template": {"metadata": {"labels": dict(APP)},
                                  "spec": {"containers": [{"name": "main", "image": image}]}},
                     "strategy": {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
                     "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600, "minReadySeconds": 0, **spec}}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(world: Any) -> tuple[Any, Clock, DeploymentController]:
    client, informers = world
    clock = Clock()
    return client, clock, DeploymentController(client, informers, clock=clock)


def sets(client: Any) -> dict[str, Obj]:
    return {n: o for (r, _ns, n), o in client.objects.items() if r == "replicasets"}


def deploy_of(client: Any) -> Obj:
    return dict(client.objects[("deployments", NS, "web")])


def conditions(client: Any) -> dict[str, Obj]:
    return {c["type"]: c for c in (deploy_of(client).get("status") or {}).get("conditions") or []}


def edit(client: Any, resource: str, name: str, change: Any) -> Obj:
    """Change a stored object as another client would (the informer sees it)."""
    obj = copy.deepcopy(client.objects[(resource, NS, name)])
    change(obj)
    return client.put(resource, obj)


def set_template(client: Any, image: str, **spec: Any) -> None:
    def change(d: Obj) -> None:
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        d["spec"].update(spec)
        d["metadata"]["generation"] = d["metadata"].get("generation", 1) + 1
    edit(client, "deployments", "web", change)


def play_replicasets(client: Any, ready: bool = True) -> None:
    """What the ReplicaSet controller and kubelets would report: every
    ReplicaSet has its spec.replicas pods; with `ready`, all available; else
    pods removed are the unavailable ones first and new ones are not yet ready."""
    for name, rs in sets(client).items():
        want = rs["spec"]["replicas"]
        old = rs.get("status") or {}
        available = want if ready else min(int(old.get("availableReplicas") or 0), want)
        if old.get("replicas") == want and old.get("availableReplicas") == available:
            continue

        def change(obj: Obj, want: int = want, available: int = available) -> None:
            obj["status"] = {"replicas": want, "readyReplicas": available, "availableReplicas": available,
                             "observedGeneration": obj["metadata"].get("generation", 0)}
        edit(client, "replicasets", name, change)


def new_set(client: Any) -> Obj:
    digest = template_hash(deploy_of(client)["spec"]["template"])
    return sets(client)[f"web-{digest}"]


def roll_out(client: Any, ctl: DeploymentController, limit: int = 40) -> int:
    """Sync and let pods come up until the rollout is complete; the number of syncs."""
    for step in range(1, limit + 1):
        asyncio.run(ctl.sync(KEY))
        if conditions(client).get("Progressing", {}).get("reason") == "NewReplicaSetAvailable" and \
                sum(rs["spec"]["replicas"] for rs in sets(client).values()) == deploy_of(client)["spec"]["replicas"]:
            return step
        play_replicasets(client)
    raise AssertionError(f"no complete rollout after {limit} syncs: {deploy_of(client).get('status')}")


def test_the_first_sync_creates_the_new_replicaset(setup: Any) -> None:
    client, _, ctl = setup
    seed = deployment()
    seed["metadata"]["annotations"] = {"kubernetes.io/change-cause": "first",
                                       "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    deploy = client.put("deployments", seed)
    asyncio.run(ctl.sync(KEY))
    digest = template_hash(deploy["spec"]["template"])
    assert len(digest) == 10 and digest == template_hash(copy.deepcopy(deploy["spec"]["template"]))
    (rs,) = sets(client).values()
    assert rs["metadata"]["name"] == f"web-{digest}"
    assert rs["metadata"]["labels"] == {"app": "web", HASH_LABEL: digest}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", HASH_LABEL: digest}}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", HASH_LABEL: digest}
    assert rs["spec"]["template"]["spec"] == deploy["spec"]["template"]["spec"]
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["annotations"] == {REVISION: "1", DESIRED: "3", MAX_REPLICAS: "4",
                                             "kubernetes.io/change-cause": "first"}
    ref = rs["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (
        "Deployment", "web", deploy["metadata"]["uid"], True, True)
    assert deploy_of(client)["metadata"]["annotations"][REVISION] == "1"
    status = deploy_of(client)["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"],
            status["unavailableReplicas"], status["observedGeneration"]) == (0, 0, 0, 3, 1)
    progressing, available = conditions(client)["Progressing"], conditions(client)["Available"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetCreated", f'Created new replica set "web-{digest}"')
    assert (available["status"], available["reason"], available["message"]) == (
        "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    assert set(progressing) == {"type", "status", "lastUpdateTime", "lastTransitionTime", "reason", "message"}


def test_a_complete_rollout_reports_success_and_then_writes_nothing(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment())
    asyncio.run(ctl.sync(KEY))
    play_replicasets(client)
    asyncio.run(ctl.sync(KEY))
    name = new_set(client)["metadata"]["name"]
    status = deploy_of(client)["status"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"], status["availableReplicas"],
            status["unavailableReplicas"]) == (3, 3, 3, 3, 0)
    progressing, available = conditions(client)["Progressing"], conditions(client)["Available"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')
    assert (available["status"], available["reason"], available["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    before = len(client.actions)
    asyncio.run(ctl.sync(KEY))
    assert client.actions[before:] == []


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), [
    (4, 1, 0), (4, 0, 1), (4, 1, 1), (10, "25%", "25%"), (5, "30%", 0), (3, 0, 0),
])
def test_a_rolling_update_stays_within_surge_and_unavailability(setup: Any, replicas: int, surge: int | str,
                                                                unavailable: int | str) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(replicas, surge=surge, unavailable=unavailable))
    roll_out(client, ctl)
    first = new_set(client)["metadata"]["name"]
    set_template(client, "img:v2")
    surge_pods = -(-int(str(surge).rstrip("%")) * replicas // 100) if isinstance(surge, str) else surge
    allowed_down = int(str(unavailable).rstrip("%")) * replicas // 100 if isinstance(unavailable, str) \
        else unavailable
    if surge_pods == 0 and allowed_down == 0:
        allowed_down = 1

    def check() -> None:
        every = sets(client).values()
        total = sum(rs["spec"]["replicas"] for rs in every)
        # pods a ReplicaSet is told to shed go unavailable-first, so at most min(available, replicas) remain
        available = sum(min(int((rs.get("status") or {}).get("availableReplicas") or 0), rs["spec"]["replicas"])
                        for rs in every)
        assert total <= replicas + surge_pods, f"{total} pods wanted, more than {replicas}+{surge_pods}"
        assert available >= replicas - allowed_down, f"only {available} available"

    for _ in range(60):
        asyncio.run(ctl.sync(KEY))
        check()
        play_replicasets(client, ready=False)  # pods are made or removed; the new ones are not ready yet
        asyncio.run(ctl.sync(KEY))
        check()
        play_replicasets(client, ready=True)
        if new_set(client)["spec"]["replicas"] == replicas and sets(client)[first]["spec"]["replicas"] == 0:
            break
    else:
        raise AssertionError("the rollout did not finish")
    asyncio.run(ctl.sync(KEY))
    new = new_set(client)
    assert new["metadata"]["name"] != first and new["metadata"]["annotations"][REVISION] == "2"
    assert len(client.writes("update", "replicasets")) >= 2  # it went in steps
    assert conditions(client)["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert deploy_of(client)["metadata"]["annotations"][REVISION] == "2"


def test_progressing_moves_on_with_every_step_of_a_rollout(setup: Any) -> None:
    client, clock, ctl = setup
    client.put("deployments", deployment(4, surge=1, unavailable=0))
    roll_out(client, ctl)
    set_template(client, "img:v2")
    asyncio.run(ctl.sync(KEY))
    created = conditions(client)["Progressing"]
    assert created["reason"] == "NewReplicaSetCreated"
    clock.now += 30
    play_replicasets(client)
    asyncio.run(ctl.sync(KEY))
    progressing = conditions(client)["Progressing"]
    assert (progressing["reason"], progressing["message"]) == (
        "ReplicaSetUpdated", f'ReplicaSet "{new_set(client)["metadata"]["name"]}" is progressing.')
    assert progressing["lastUpdateTime"] == "2026-01-01T00:10:30Z"
    assert progressing["lastTransitionTime"] == created["lastTransitionTime"]  # still True all along
    status = deploy_of(client)["status"]
    assert status["replicas"] == 5 and status["updatedReplicas"] == 1 and status["unavailableReplicas"] == 0


def test_recreate_scales_the_old_down_and_waits_for_its_pods_to_go(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(3, strategy={"type": "Recreate"}))
    roll_out(client, ctl)
    old = new_set(client)
    client.put("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "web-old-1", "namespace": NS, "labels": dict(old["spec"]["template"]["metadata"]["labels"]),
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": old["metadata"]["name"],
                             "uid": old["metadata"]["uid"], "controller": True}]},
        "status": {"phase": "Running"}})
    set_template(client, "img:v2")
    asyncio.run(ctl.sync(KEY))
    assert list(sets(client)) == [old["metadata"]["name"]] and sets(client)[old["metadata"]["name"]]["spec"][
        "replicas"] == 0
    asyncio.run(ctl.sync(KEY))  # its status still counts 3 pods
    assert len(sets(client)) == 1
    play_replicasets(client)  # the ReplicaSet counts none, but a terminating pod is still there
    edit(client, "pods", "web-old-1", lambda p: p["metadata"].update(deletionTimestamp="2026-01-01T00:10:00Z"))
    asyncio.run(ctl.sync(KEY))
    assert len(sets(client)) == 1
    asyncio.run(client.delete("pods", "web-old-1", NS))
    assert len(ctl.queue) == 1  # the pod's going woke the deployment
    asyncio.run(ctl.sync(KEY))
    new = new_set(client)
    assert new["spec"]["replicas"] == 3 and new["metadata"]["annotations"][REVISION] == "2"
    order = [(a[0], a[3]) for a in client.actions if a[1] == "replicasets"]
    assert order.index(("update", old["metadata"]["name"])) < order.index(("create", new["metadata"]["name"]))
    play_replicasets(client)
    asyncio.run(ctl.sync(KEY))
    assert conditions(client)["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conditions(client)["Available"]["status"] == "True"


def test_old_replicasets_beyond_the_history_limit_are_deleted(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(2, revisionHistoryLimit=2))
    names = []
    for version in range(1, 6):
        if version > 1:
            set_template(client, f"img:v{version}")
        roll_out(client, ctl)
        names.append(new_set(client)["metadata"]["name"])
    left = sets(client)
    assert set(left) == set(names[2:])
    assert sorted(int(rs["metadata"]["annotations"][REVISION]) for rs in left.values()) == [3, 4, 5]
    assert sorted(a[3] for a in client.writes("delete", "replicasets")) == sorted(names[:2])


def test_rolling_back_reuses_the_old_replicaset_with_the_next_revision(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(3))
    roll_out(client, ctl)
    first = new_set(client)["metadata"]["name"]
    set_template(client, "img:v2")
    roll_out(client, ctl)
    second = new_set(client)["metadata"]["name"]
    created = len(client.writes("create", "replicasets"))
    set_template(client, "img:v1")  # kubectl rollout undo: the old template comes back
    roll_out(client, ctl)
    assert len(client.writes("create", "replicasets")) == created == 2
    back = sets(client)[first]
    assert new_set(client)["metadata"]["name"] == first and back["spec"]["replicas"] == 3
    assert back["metadata"]["annotations"][REVISION] == "3"
    assert back["metadata"]["annotations"][REVISION_HISTORY] == "1"
    assert sets(client)[second]["spec"]["replicas"] == 0
    assert deploy_of(client)["metadata"]["annotations"][REVISION] == "3"


def test_a_rollout_without_progress_exceeds_its_deadline(setup: Any) -> None:
    client, clock, ctl = setup
    client.put("deployments", deployment(3, progressDeadlineSeconds=60))
    asyncio.run(ctl.sync(KEY))
    clock.now += 10
    play_replicasets(client, ready=False)  # the pods exist but never become ready
    asyncio.run(ctl.sync(KEY))
    assert conditions(client)["Progressing"]["lastUpdateTime"] == "2026-01-01T00:10:10Z"
    clock.now += 59
    asyncio.run(ctl.sync(KEY))
    assert conditions(client)["Progressing"]["status"] == "True"
    clock.now += 2
    asyncio.run(ctl.sync(KEY))
    progressing = conditions(client)["Progressing"]
    name = new_set(client)["metadata"]["name"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{name}" has timed out progressing.')
    assert progressing["lastTransitionTime"] == "2026-01-01T00:11:11Z"
    clock.now += 100
    before = len(client.actions)
    asyncio.run(ctl.sync(KEY))  # it stays timed out; nothing more to write
    assert client.actions[before:] == []
    play_replicasets(client, ready=True)  # ... until the pods do become available
    asyncio.run(ctl.sync(KEY))
    assert conditions(client)["Progressing"]["reason"] == "NewReplicaSetAvailable"


def test_a_paused_deployment_scales_but_does_not_roll_out(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(3))
    roll_out(client, ctl)
    current = new_set(client)["metadata"]["name"]
    set_template(client, "img:v2", paused=True, replicas=5)
    asyncio.run(ctl.sync(KEY))
    assert list(sets(client)) == [current] and sets(client)[current]["spec"]["replicas"] == 5
    assert sets(client)[current]["metadata"]["annotations"][DESIRED] == "5"
    progressing = conditions(client)["Progressing"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown", "DeploymentPaused", "Deployment is paused")
    assert deploy_of(client)["status"]["observedGeneration"] == 2
    edit(client, "deployments", "web", lambda d: d["spec"].update(paused=False))
    asyncio.run(ctl.sync(KEY))
    assert len(sets(client)) == 2  # resumed: the rollout of the new template starts
    assert conditions(client)["Progressing"]["reason"] == "NewReplicaSetCreated"
    roll_out(client, ctl)
    assert new_set(client)["spec"]["replicas"] == 5 and sets(client)[current]["spec"]["replicas"] == 0


def test_resizing_mid_rollout_scales_replicasets_proportionally(setup: Any) -> None:
    client, _, ctl = setup
    deploy = client.put("deployments", deployment(10, surge="30%", unavailable=2))
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": deploy["metadata"]["uid"],
           "controller": True}
    for name, image, replicas, revision in (("web-old", "img:v0", 8, "1"), ("web-new", "img:v1", 5, "2")):
        template = copy.deepcopy(deploy["spec"]["template"])
        template["spec"]["containers"][0]["image"] = image
        client.put("replicasets", {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": NS, "labels": dict(APP), "ownerReferences": [ref],
                         "annotations": {REVISION: revision, DESIRED: "10", MAX_REPLICAS: "13"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": APP}, "template": template},
            "status": {"replicas": replicas, "availableReplicas": replicas - 1}})
    edit(client, "deployments", "web", lambda d: d["spec"].update(replicas=20))  # maxSurge is now 6: 26 pods
    asyncio.run(ctl.sync(KEY))
    # each grows in proportion to its share of the 13 pods there were (8/13 and 5/13 of 26)
    assert {n: rs["spec"]["replicas"] for n, rs in sets(client).items()} == {"web-old": 16, "web-new": 10}
    assert {rs["metadata"]["annotations"][MAX_REPLICAS] for rs in sets(client).values()} == {"26"}
    assert {rs["metadata"]["annotations"][DESIRED] for rs in sets(client).values()} == {"20"}
    assert client.writes("create", "replicasets") == []


def test_adopts_a_matching_orphan_and_releases_one_that_stopped_matching(setup: Any) -> None:
    client, _, ctl = setup
    deploy = client.put("deployments", deployment(2))
    template = copy.deepcopy(deploy["spec"]["template"])
    client.put("replicasets", {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                               "metadata": {"name": "web-orphan", "namespace": NS, "labels": dict(APP)},
                               "spec": {"replicas": 2, "selector": {"matchLabels": APP}, "template": template},
                               "status": {"replicas": 2, "availableReplicas": 2}})
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": deploy["metadata"]["uid"],
           "controller": True}
    client.put("replicasets", {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                               "metadata": {"name": "web-moved", "namespace": NS, "labels": {"app": "db"},
                                            "ownerReferences": [ref]},
                               "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "db"}}}})
    asyncio.run(ctl.sync(KEY))
    adopted = sets(client)["web-orphan"]
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == deploy["metadata"]["uid"]
    assert not sets(client)["web-moved"]["metadata"].get("ownerReferences")
    assert client.writes("create", "replicasets") == []  # the orphan has the template: it is the new one
    assert adopted["metadata"]["annotations"][REVISION] == "1"
    assert deploy_of(client)["status"]["updatedReplicas"] == 2


def test_replicaset_events_wake_their_deployment(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(1))
    asyncio.run(ctl.sync(KEY))

    async def drain() -> set[tuple[str, str]]:
        keys = set()
        while len(ctl.queue):
            key = await ctl.queue.get()
            ctl.queue.done(key)
            keys.add(key)
        return keys
    asyncio.run(drain())
    play_replicasets(client)
    assert asyncio.run(drain()) == {KEY}
    client.put("replicasets", {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                               "metadata": {"name": "db", "namespace": NS, "labels": {"app": "db"}},
                               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}}}})
    assert asyncio.run(drain()) == set()


def test_the_new_replicaset_does_not_surge_while_an_old_one_still_has_its_pods(setup: Any) -> None:
    client, _, ctl = setup
    client.put("deployments", deployment(4, surge=1, unavailable=1))
    roll_out(client, ctl)
    old = new_set(client)["metadata"]["name"]
    set_template(client, "img:v2")
    asyncio.run(ctl.sync(KEY))
    new = new_set(client)["metadata"]["name"]
    assert (sets(client)[new]["spec"]["replicas"], sets(client)[old]["spec"]["replicas"]) == (1, 3)

    def started(rs: Obj) -> None:
        rs["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}
    edit(client, "replicasets", new, started)
    asyncio.run(ctl.sync(KEY))  # the old ReplicaSet's status still counts 4 pods: no room above 4 + 1
    assert sets(client)[new]["spec"]["replicas"] == 1
    play_replicasets(client)
    asyncio.run(ctl.sync(KEY))
    assert sets(client)[new]["spec"]["replicas"] == 3


def test_run_works_the_queue_fed_by_the_informers(setup: Any) -> None:
    client, _, ctl = setup

    async def body() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ctl.run(stop))
        client.put("deployments", deployment(2))
        for _ in range(200):
            if sets(client) and (deploy_of(client).get("status") or {}).get("observedGeneration") == 1:
                break
            await asyncio.sleep(0.005)
        stop.set()
        await task
    asyncio.run(body())
    (rs,) = sets(client).values()
    assert rs["spec"]["replicas"] == 2 and len(client.writes("create", "replicasets")) == 1
