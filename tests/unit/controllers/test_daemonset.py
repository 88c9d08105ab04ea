"""The DaemonSet controller against the fake world: a pod pinned to every
eligible node (nodeSelector, required node affinity, taints and the daemon
tolerations), new nodes, nodes that stop being eligible or go away, extra and
failed pods, rolling updates within maxUnavailable, OnDelete, adoption, and
the status counts."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from controllers.daemonset import HASH_LABEL, DaemonSetController, target_node, template_hash
from controllers.pods import rfc3339
from scheduler.algorithm import schedule
from scheduler.framework import NodeInfo, PodInfo

Obj = dict[str, Any]
NS = "kube-system"
T0 = 1767225600.0
APP = {"app": "agent"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def node(name: str, labels: dict[str, str] | None = None, taints: list[Obj] | None = None,
         unschedulable: bool = False) -> Obj:
    spec: Obj = {"taints": taints} if taints else {}
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}, "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": rfc3339(T0)}],
                       "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}


def daemonset(image: str = "agent:1", strategy: Obj | None = None, **pod_spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": NS, "uid": "uid-agent", "generation": 3},
            "spec": {"selector": {"matchLabels": APP},
                     "updateStrategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                     "template": {"metadata": {"labels": dict(APP)},
                                  "spec": {"containers": [{"name": "agent", "image": image}], **pod_spec}}}}


@pytest.fixture
def setup(world: Any) -> tuple[Any, DaemonSetController, Clock]:
    client, informers = world
    clock = Clock()
    return client, DaemonSetController(client, informers, clock=clock), clock


def sync(controller: DaemonSetController) -> None:
    asyncio.run(controller.sync((NS, "agent")))


def drain(controller: DaemonSetController) -> None:
    while len(controller.queue):
        controller.queue.done(asyncio.run(controller.queue.get()))


def pods(client: Any) -> list[Obj]:
    return [o for (r, _, _), o in client.objects.items() if r == "pods"]


def placement(client: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in pods(client):
        counts[target_node(pod)] = counts.get(target_node(pod), 0) + 1
    return dict(sorted(counts.items()))


def status(client: Any) -> Obj:
    return dict(client.objects[("daemonsets", NS, "agent")].get("status") or {})


def settle(client: Any, ready: bool = True) -> None:
    """The scheduler binds every pod to its node and the node agents run it."""
    for pod in pods(client):
        pod = copy.deepcopy(pod)
        pod["spec"]["nodeName"] = target_node(pod)
        pod["status"] = {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": rfc3339(T0)}]}
        asyncio.run(client.update("pods", pod))


def update_template(client: Any, image: str) -> None:
    ds = copy.deepcopy(client.objects[("daemonsets", NS, "agent")])
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
    ds["metadata"]["generation"] += 1
    client.put("daemonsets", ds)


def test_a_pod_is_pinned_to_every_node(setup: Any) -> None:
    client, controller, _ = setup
    for name in ("a", "b", "c"):
        client.put("nodes", node(name))
    client.put("daemonsets", daemonset())
    sync(controller)
    assert placement(client) == {"a": 1, "b": 1, "c": 1}
    pod = next(p for p in pods(client) if target_node(p) == "a")
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["generateName"] == "agent-" and meta["namespace"] == NS
    assert meta["labels"] == {**APP, HASH_LABEL: template_hash(daemonset()["spec"]["template"])}
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                        "uid": "uid-agent", "controller": True, "blockOwnerDeletion": True}]
    assert "nodeName" not in spec
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}]}
    assert {(t["key"], t["effect"]) for t in spec["tolerations"]} == {
        ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")}
    s = status(client)
    assert (s["desiredNumberScheduled"], s["currentNumberScheduled"], s["numberReady"], s["numberUnavailable"],
            s["updatedNumberScheduled"], s["observedGeneration"]) == (3, 3, 0, 3, 3, 3)


def test_the_scheduler_binds_a_pinned_pod_only_to_its_node(setup: Any) -> None:
    client, controller, _ = setup
    nodes = [node(name) for name in ("a", "b", "c")]
    for n in nodes:
        client.put("nodes", n)
    client.put("daemonsets", daemonset())
    sync(controller)
    infos = [NodeInfo(n) for n in nodes]
    for pod in pods(client):
        assert schedule(PodInfo.of(pod), infos).node == target_node(pod)


def test_nodes_that_do_not_fit_get_no_pod(setup: Any) -> None:
    client, controller, _ = setup
    ssd = {"disk": "ssd"}
    client.put("nodes", node("plain", ssd))
    client.put("nodes", node("hdd", {"disk": "hdd"}))
    client.put("nodes", node("gpu", ssd, taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]))
    client.put("nodes", node("drained", ssd, taints=[{"key": "maintenance", "effect": "NoExecute"}]))
    client.put("nodes", node("cordoned", ssd, unschedulable=True))
    client.put("nodes", node("soft", ssd, taints=[{"key": "spot", "effect": "PreferNoSchedule"}]))
    client.put("nodes", node("not-ready", ssd, taints=[{"key": "node.kubernetes.io/not-ready",
                                                        "effect": "NoExecute"}]))
    client.put("daemonsets", daemonset(nodeSelector=ssd))
    sync(controller)
    assert placement(client) == {"cordoned": 1, "not-ready": 1, "plain": 1, "soft": 1}
    assert status(client)["desiredNumberScheduled"] == 4


def test_tolerations_and_required_node_affinity_of_the_template_count(setup: Any) -> None:
    client, controller, _ = setup
    gpu_taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    client.put("nodes", node("gpu-1", {"zone": "z1"}, taints=gpu_taint))
    client.put("nodes", node("gpu-2", {"zone": "z2"}, taints=gpu_taint))
    client.put("nodes", node("cpu-1", {"zone": "z1"}))
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}]}}}
    client.put("daemonsets", daemonset(affinity=affinity, tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]))
    sync(controller)
    assert placement(client) == {"cpu-1": 1, "gpu-1": 1}


def test_a_node_that_joins_gets_its_pod(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())
    sync(controller)
    drain(controller)
    client.put("nodes", node("b"))
    assert len(controller.queue) == 1  # a node event wakes every DaemonSet
    sync(controller)
    assert placement(client) == {"a": 1, "b": 1}


def test_a_node_heartbeat_wakes_no_daemonset(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())
    drain(controller)
    beat = copy.deepcopy(client.objects[("nodes", "", "a")])
    beat["status"]["conditions"][0]["lastHeartbeatTime"] = rfc3339(T0 + 10)
    asyncio.run(client.update_status("nodes", beat))
    assert len(controller.queue) == 0
    labeled = copy.deepcopy(client.objects[("nodes", "", "a")])
    labeled["metadata"]["labels"] = {"disk": "ssd"}
    asyncio.run(client.update("nodes", labeled))
    assert len(controller.queue) == 1


def test_pods_leave_nodes_that_stop_fitting(setup: Any) -> None:
    client, controller, _ = setup
    for name in ("a", "b", "c"):
        client.put("nodes", node(name, {"disk": "ssd"}))
    client.put("daemonsets", daemonset(nodeSelector={"disk": "ssd"}))
    sync(controller)
    settle(client)
    relabeled = copy.deepcopy(client.objects[("nodes", "", "a")])
    relabeled["metadata"]["labels"] = {"disk": "hdd"}
    client.put("nodes", relabeled)
    tainted = copy.deepcopy(client.objects[("nodes", "", "b")])
    tainted["spec"]["taints"] = [{"key": "dedicated", "effect": "NoSchedule"}]
    client.put("nodes", tainted)
    sync(controller)
    # a NoSchedule taint keeps new daemons out but lets the running one stay
    assert placement(client) == {"b": 1, "c": 1}
    s = status(client)
    assert (s["desiredNumberScheduled"], s["currentNumberScheduled"], s["numberMisscheduled"]) == (1, 1, 1)
    evicting = copy.deepcopy(client.objects[("nodes", "", "b")])
    evicting["spec"]["taints"] = [{"key": "dedicated", "effect": "NoExecute"}]
    client.put("nodes", evicting)
    sync(controller)
    assert placement(client) == {"c": 1}


def test_a_pod_pinned_to_a_node_that_is_gone_is_deleted(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("nodes", node("b"))
    client.put("daemonsets", daemonset())
    sync(controller)
    asyncio.run(client.delete("nodes", "b"))
    sync(controller)
    assert placement(client) == {"a": 1}


def test_extra_pods_on_a_node_go_and_the_oldest_stays(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())
    sync(controller)
    [kept] = pods(client)
    extra = copy.deepcopy(kept)
    extra["metadata"].update(name="agent-extra", uid="uid-extra", creationTimestamp=rfc3339(T0 + 60))
    client.put("pods", extra)
    sync(controller)
    assert [p["metadata"]["name"] for p in pods(client)] == [kept["metadata"]["name"]]


def test_a_failed_pod_is_replaced_with_a_backoff_per_node(setup: Any) -> None:
    client, controller, clock = setup
    delays: list[float] = []
    controller.queue.add_after = lambda key, delay: delays.append(delay)  # type: ignore[method-assign]
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())

    def fail_the_pod() -> None:
        [pod] = pods(client)
        pod = copy.deepcopy(pod)
        pod["status"] = {"phase": "Failed"}
        asyncio.run(client.update_status("pods", pod))

    sync(controller)
    first = pods(client)[0]["metadata"]["name"]
    fail_the_pod()
    sync(controller)  # deleted ...
    sync(controller)  # ... and made anew
    [second] = pods(client)
    assert second["metadata"]["name"] != first
    fail_the_pod()
    clock.now = T0 + 0.5
    sync(controller)
    assert [p["metadata"]["name"] for p in pods(client)] == [second["metadata"]["name"]] and delays == [0.5]
    clock.now = T0 + 1
    sync(controller)
    assert not pods(client)


def test_a_rolling_update_replaces_one_pod_at_a_time(setup: Any) -> None:
    client, controller, _ = setup
    for name in ("a", "b", "c", "d"):
        client.put("nodes", node(name))
    client.put("daemonsets", daemonset())
    sync(controller)
    settle(client)
    update_template(client, "agent:2")
    new_hash = template_hash(client.objects[("daemonsets", NS, "agent")]["spec"]["template"])
    rounds = 0
    while len(pods(client)) < 4 or any(p["metadata"]["labels"][HASH_LABEL] != new_hash for p in pods(client)):
        sync(controller)
        not_available = [p for p in pods(client) if not p.get("status")]
        assert len(not_available) + (4 - len(pods(client))) <= 1
        settle(client)
        rounds += 1
        assert rounds < 20
    sync(controller)
    assert placement(client) == {"a": 1, "b": 1, "c": 1, "d": 1}
    s = status(client)
    assert (s["updatedNumberScheduled"], s["numberAvailable"], s["observedGeneration"]) == (4, 4, 4)


def test_max_unavailable_as_a_percent_of_the_desired_pods(setup: Any) -> None:
    client, controller, _ = setup
    for name in ("a", "b", "c", "d"):
        client.put("nodes", node(name))
    client.put("daemonsets", daemonset(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}}))
    sync(controller)
    settle(client)
    update_template(client, "agent:2")
    sync(controller)
    assert len(client.writes("delete", "pods")) == 2


def test_old_pods_that_are_not_ready_count_as_unavailable(setup: Any) -> None:
    client, controller, _ = setup
    for name in ("a", "b", "c"):
        client.put("nodes", node(name))
    client.put("daemonsets", daemonset())
    sync(controller)
    settle(client)
    sick = copy.deepcopy(next(p for p in pods(client) if target_node(p) == "b"))
    sick["status"]["conditions"][0]["status"] = "False"
    asyncio.run(client.update_status("pods", sick))
    update_template(client, "agent:2")
    sync(controller)
    # the unready old pod is replaced first, and it uses up the budget of one
    assert [a[3] for a in client.writes("delete", "pods")] == [sick["metadata"]["name"]]


def test_on_delete_leaves_old_pods_alone(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset(strategy={"type": "OnDelete"}))
    sync(controller)
    settle(client)
    update_template(client, "agent:2")
    sync(controller)
    assert not client.writes("delete", "pods")
    assert status(client)["updatedNumberScheduled"] == 0
    [old] = pods(client)
    asyncio.run(client.delete("pods", old["metadata"]["name"], NS))
    sync(controller)
    new_hash = template_hash(client.objects[("daemonsets", NS, "agent")]["spec"]["template"])
    assert [p["metadata"]["labels"][HASH_LABEL] for p in pods(client)] == [new_hash]


def test_an_orphan_on_a_node_is_adopted(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("pods", {"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": "stray", "namespace": NS, "labels": dict(APP)},
                        "spec": {"nodeName": "a", "containers": [{"name": "agent", "image": "agent:1"}]},
                        "status": {"phase": "Running"}})
    client.put("daemonsets", daemonset(strategy={"type": "OnDelete"}))
    sync(controller)
    assert placement(client) == {"a": 1}
    [pod] = pods(client)
    assert pod["metadata"]["ownerReferences"][0]["uid"] == "uid-agent"


def test_ready_and_available_counts(setup: Any) -> None:
    client, controller, clock = setup
    client.put("nodes", node("a"))
    client.put("nodes", node("b"))
    ds = daemonset()
    ds["spec"]["minReadySeconds"] = 30
    client.put("daemonsets", ds)
    sync(controller)
    settle(client)
    clock.now = T0 + 10
    sync(controller)
    s = status(client)
    assert (s["numberReady"], s["numberAvailable"], s["numberUnavailable"]) == (2, 0, 2)
    clock.now = T0 + 30
    sync(controller)
    s = status(client)
    assert (s["numberReady"], s["numberAvailable"], s["numberUnavailable"]) == (2, 2, 0)


def test_expectations_and_status_writes(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())
    informers, client.informers = client.informers, None  # the creates are not seen yet
    sync(controller)
    sync(controller)
    client.informers = informers
    assert len(client.writes("create", "pods")) == 1


def test_status_is_written_only_when_it_changed(setup: Any) -> None:
    client, controller, _ = setup
    client.put("nodes", node("a"))
    client.put("daemonsets", daemonset())
    sync(controller)
    sync(controller)
    assert len(client.writes("update_status", "daemonsets")) == 1
