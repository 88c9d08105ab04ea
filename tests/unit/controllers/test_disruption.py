"""The disruption controller's status arithmetic for PodDisruptionBudgets:
minAvailable and maxUnavailable, as integers and percents, the scale of the
pods' controllers, recent evictions, and writing only what changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from controllers.disruption import DisruptionController

Obj = dict[str, Any]
NS = "default"
NOW = datetime(2026, 1, 1, 0, 10, 0, tzinfo=UTC)
APP = {"app": "web"}


def budget(name: str = "web", **spec: Any) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": NS, "generation": 2},
            "spec": {"selector": {"matchLabels": APP}, **spec}}


def pod(name: str, ready: bool = True, owner: Obj | None = None, phase: str = "Running",
        labels: dict[str, str] | None = None, **meta: Any) -> Obj:
    refs = [{"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
             "uid": owner["metadata"]["uid"], "controller": True}] if owner else []
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": APP if labels is None else labels,
                         "ownerReferences": refs, **meta},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def workload(kind: str, name: str, replicas: int, owner: Obj | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": NS}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": APP}}}}


def status(client: Any, name: str = "web") -> Obj:
    return dict(client.objects[("poddisruptionbudgets", NS, name)].get("status") or {})


def numbers(client: Any, name: str = "web") -> tuple[int, int, int, int]:
    s = status(client, name)
    return s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]


@pytest.fixture
def setup(world: Any) -> tuple[Any, DisruptionController]:
    client, informers = world
    return client, DisruptionController(client, informers, clock=lambda: NOW)


def sync(controller: DisruptionController, name: str = "web") -> None:
    asyncio.run(controller.sync((NS, name)))


def test_an_integer_min_available_counts_the_pods(setup: Any) -> None:
    client, controller = setup
    for i in range(3):
        client.put("pods", pod(f"web-{i}"))
    client.put("pods", pod("db-0", labels={"app": "db"}))
    client.put("pods", pod("done", phase="Succeeded", ready=False))  # terminal: not expected
    client.put("poddisruptionbudgets", budget(minAvailable=2))
    sync(controller)
    assert numbers(client) == (3, 2, 3, 1)
    s = status(client)
    assert s["observedGeneration"] == 2 and "disruptedPods" not in s
    [condition] = s["conditions"]
    assert condition["type"] == "DisruptionAllowed" and condition["status"] == "True"
    assert condition["reason"] == "SufficientPods" and condition["observedGeneration"] == 2
    assert condition["lastTransitionTime"] == "2026-01-01T00:10:00Z"


def test_a_percent_min_available_is_of_the_replicaset_scale_rounded_up(setup: Any) -> None:
    client, controller = setup
    rs = client.put("replicasets", workload("ReplicaSet", "web-abc", 5))
    client.put("pods", pod("web-0", owner=rs))
    client.put("pods", pod("web-1", owner=rs))
    client.put("pods", pod("web-2", owner=rs, ready=False))
    client.put("poddisruptionbudgets", budget(minAvailable="50%"))
    sync(controller)
    assert numbers(client) == (5, 3, 2, 0)  # 50% of 5 -> 3
    [condition] = status(client)["conditions"]
    assert (condition["status"], condition["reason"]) == ("False", "InsufficientPods")


def test_max_unavailable_uses_the_deployment_scale_over_its_replicasets(setup: Any) -> None:
    client, controller = setup
    deployment = client.put("deployments", workload("Deployment", "web", 5))
    old = client.put("replicasets", workload("ReplicaSet", "web-old", 3, owner=deployment))
    new = client.put("replicasets", workload("ReplicaSet", "web-new", 3, owner=deployment))
    for i in range(3):
        client.put("pods", pod(f"old-{i}", owner=old))
    for i in range(3):
        client.put("pods", pod(f"new-{i}", owner=new))
    client.put("poddisruptionbudgets", budget(maxUnavailable=1))
    sync(controller)
    assert numbers(client) == (5, 4, 6, 2)


def test_a_percent_max_unavailable_rounds_up_and_unhealthy_pods_do_not_count(setup: Any) -> None:
    client, controller = setup
    for i in range(8):
        client.put("pods", pod(f"web-{i}"))
    client.put("pods", pod("web-8", ready=False))
    client.put("pods", pod("web-9", deletionTimestamp="2026-01-01T00:09:00Z"))
    client.put("poddisruptionbudgets", budget(maxUnavailable="25%"))
    sync(controller)
    assert numbers(client) == (10, 7, 8, 1)  # 25% of 10 -> 3 may be unavailable


def test_neither_field_allows_no_disruption(setup: Any) -> None:
    client, controller = setup
    for i in range(3):
        client.put("pods", pod(f"web-{i}"))
    client.put("poddisruptionbudgets", budget())
    sync(controller)
    assert numbers(client) == (0, 0, 3, 0)


def test_recent_evictions_are_not_healthy_and_old_ones_are_forgotten(setup: Any) -> None:
    client, controller = setup
    for i in range(4):
        client.put("pods", pod(f"web-{i}"))
    pdb = budget(minAvailable=1)
    pdb["status"] = {"disruptedPods": {"web-0": "2026-01-01T00:09:30Z",     # 30 s ago: pending
                                       "web-1": "2026-01-01T00:05:00Z",     # 5 min ago: forgotten
                                       "gone": "2026-01-01T00:09:50Z"}}     # no such pod
    client.put("poddisruptionbudgets", pdb)

    async def look() -> None:
        await controller.sync((NS, "web"))
        timer = controller.queue._timers[(NS, "web")]  # back when web-0's eviction expires
        assert 89 < timer.when() - asyncio.get_running_loop().time() <= 90

    asyncio.run(look())
    assert numbers(client) == (4, 1, 3, 2)
    assert status(client)["disruptedPods"] == {"web-0": "2026-01-01T00:09:30Z"}


def test_the_status_is_written_only_when_it_changes(setup: Any) -> None:
    client, controller = setup
    client.put("pods", pod("web-0"))
    client.put("poddisruptionbudgets", budget(minAvailable=1))
    sync(controller)
    sync(controller)
    assert len(client.writes("update_status")) == 1
    ready = client.objects[("pods", NS, "web-0")]
    client.put("pods", {**ready, "status": {"phase": "Running", "conditions": [{"type": "Ready",
                                                                                 "status": "False"}]}})
    sync(controller)
    assert len(client.writes("update_status")) == 2
    assert numbers(client) == (1, 1, 0, 0)


def test_pod_events_queue_only_the_budgets_that_cover_them(setup: Any) -> None:
    client, controller = setup
    client.put("poddisruptionbudgets", budget("web", minAvailable=1))
    other = budget("db", minAvailable=1)
    other["spec"]["selector"] = {"matchLabels": {"app": "db"}}
    client.put("poddisruptionbudgets", other)

    async def drain() -> None:
        while len(controller.queue):
            controller.queue.done(await controller.queue.get())

    asyncio.run(drain())
    client.put("pods", pod("web-0"))
    assert len(controller.queue) == 1
    assert asyncio.run(controller.queue.get()) == (NS, "web")


def test_a_malformed_budget_allows_nothing(setup: Any) -> None:
    client, controller = setup
    client.put("pods", pod("web-0"))
    client.put("poddisruptionbudgets", budget(minAvailable="half"))
    sync(controller)
    s = status(client)
    assert s["disruptionsAllowed"] == 0 and s["conditions"][0]["reason"] == "SyncFailed"
