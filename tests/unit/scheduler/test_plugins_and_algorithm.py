"""Scheduling rules, table-driven with pod and node builders: each filter's
reason, each score's preference, and pods x nodes -> the chosen node or the
FailedScheduling summary."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api import to_json_dict
from kubelite.api.testing import make_node, make_pod
from scheduler.algorithm import schedule
from scheduler.framework import NodeInfo, PodInfo


def pod(**kw: Any) -> PodInfo:
    return PodInfo.of(to_json_dict(make_pod(**kw)))


def node(name: str, bound: list[PodInfo] | None = None, **kw: Any) -> NodeInfo:
    info = NodeInfo(to_json_dict(make_node(name, **kw)))
    for p in bound or []:
        info.add(p)
    return info


GPU_TAINT = [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]
ZONE = "topology.kubernetes.io/zone"

CASES = [
    ("fits-anywhere-prefers-least-allocated", pod(cpu="500m"),
     [node("busy", [pod(name="x", cpu="3")]), node("idle")], "idle"),
    ("node-name-pins", pod(node_name="b"), [node("a"), node("b")], "b"),
    ("cordoned-node-skipped", pod(), [node("a", unschedulable=True), node("b")], "b"),
    ("selector", pod(node_selector={"disk": "ssd"}), [node("a"), node("b", labels={"disk": "ssd"})], "b"),
    ("taint-tolerated", pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]),
     [node("g", taints=GPU_TAINT)], "g"),
    ("required-affinity-gt", pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}]}}}),
     [node("small", labels={"cores": "4"}), node("big", labels={"cores": "16"})], "big"),
    ("preferred-affinity-wins", pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "preference": {"matchExpressions": [{"key": "zone", "operator": "In",
                                                            "values": ["b"]}]}}]}}),
     [node("a", labels={"zone": "a"}), node("b", labels={"zone": "b"})], "b"),
    ("prefer-no-schedule-avoided", pod(),
     [node("soft", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]), node("plain")], "plain"),
    ("spread-over-zones", pod(labels={"app": "web"}, spread=[{
        "maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}}}]),
     [node("z1", [pod(name="w1", labels={"app": "web"})], labels={ZONE: "z1"}), node("z2", labels={ZONE: "z2"})],
     "z2"),
]


@pytest.mark.parametrize(("case", "the_pod", "nodes", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pod_lands_on_the_expected_node(case: str, the_pod: PodInfo, nodes: list[NodeInfo], expected: str) -> None:
    assert schedule(the_pod, nodes).node == expected


FAILURES = [
    ("insufficient-and-taint", pod(cpu="3"),
     [node("a", cpu="2"), node("b", cpu="2"), node("g", cpu="8", taints=GPU_TAINT)],
     "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {gpu: true}."),
    ("memory-and-pods", pod(memory="2Gi"), [node("a", memory="1Gi"), node("b", pods="1", bound=[pod(name="x")])],
     "0/2 nodes are available: 1 Insufficient memory, 1 Too many pods."),
    ("selector-and-cordon", pod(node_selector={"disk": "ssd"}), [node("a"), node("b", unschedulable=True)],
     "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable."),
    ("spread-violated", pod(labels={"app": "web"}, spread=[{
        "maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}}}]),
     [node("z1", [pod(name="w1", labels={"app": "web"})], labels={ZONE: "z1"}), node("z2", labels={ZONE: "z2"},
                                                                                     unschedulable=True)],
     "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) were "
     "unschedulable."),
    ("no-nodes", pod(), [], "0/0 nodes are available."),
]


@pytest.mark.parametrize(("case", "the_pod", "nodes", "message"), FAILURES, ids=[f[0] for f in FAILURES])
def test_unschedulable_pods_get_the_kubernetes_summary(case: str, the_pod: PodInfo, nodes: list[NodeInfo],
                                                      message: str) -> None:
    decision = schedule(the_pod, nodes)
    assert decision.node is None and decision.message == message


def test_node_accounting_adds_and_removes_requests() -> None:
    info = node("a")
    info.add(pod(name="x", cpu="250m", memory="128Mi"))
    info.add(pod(name="x", cpu="250m", memory="128Mi"))  # same pod again: counted once
    assert (info.requested_cpu, info.requested_memory) == (250, 128 * 2**20)
    info.remove(("default", "x"))
    assert (info.requested_cpu, info.requested_memory, len(info.pods)) == (0, 0, 0)


def test_ties_break_by_node_name_for_reproducible_decisions() -> None:
    assert schedule(pod(), [node("b"), node("a"), node("c")]).node == "a"


@pytest.mark.parametrize(("total", "enough"), [(50, 50), (100, 100), (1000, 420), (5000, 500), (20000, 1000)])
def test_large_clusters_stop_filtering_after_enough_feasible_nodes(total: int, enough: int) -> None:
    from scheduler.algorithm import feasible_nodes_to_find

    assert feasible_nodes_to_find(total) == enough


def test_filtering_stops_once_enough_nodes_are_feasible() -> None:
    nodes = [node(f"n{i:03d}") for i in range(150)]
    decision = schedule(pod(), nodes)
    assert decision.feasible == 100 and decision.node is not None
