"""Builders for tests of every component (kube-scheduler's st.MakePod() idea):
`make_pod(cpu="500m", node_selector={"disk": "ssd"})`, `make_node("n1", cpu="4")`."""

from __future__ import annotations

from typing import Any

from kubelite.api import core
from kubelite.api.meta import ObjectMeta


def make_pod(name: str = "p", namespace: str = "default", image: str = "busybox", cpu: str | None = None,
             memory: str | None = None, node_selector: dict[str, str] | None = None,
             tolerations: list[dict[str, Any]] | None = None, node_name: str | None = None,
             labels: dict[str, str] | None = None, affinity: dict[str, Any] | None = None,
             spread: list[dict[str, Any]] | None = None, command: list[str] | None = None,
             restart_policy: str | None = None) -> core.Pod:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict[str, Any] = {"name": "main", "image": image}
    if requests:
        container["resources"] = {"requests": requests}
    if command:
        container["command"] = command
    spec: dict[str, Any] = {"containers": [container]}
    for key, value in (("nodeSelector", node_selector), ("tolerations", tolerations), ("nodeName", node_name),
                       ("affinity", affinity), ("topologySpreadConstraints", spread),
                       ("restartPolicy", restart_policy)):
        if value is not None:
            spec[key] = value
    return core.Pod.model_validate({"apiVersion": "v1", "kind": "Pod",
                                    "metadata": ObjectMeta(name=name, namespace=namespace, labels=labels)
                                    .model_dump(exclude_none=True), "spec": spec})


def make_node(name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
              labels: dict[str, str] | None = None, taints: list[dict[str, Any]] | None = None,
              unschedulable: bool = False) -> core.Node:
    capacity = {"cpu": cpu, "memory": memory, "pods": pods}
    return core.Node.model_validate({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"unschedulable": unschedulable, **({"taints": taints} if taints else {})},
        "status": {"capacity": capacity, "allocatable": dict(capacity),
                   "conditions": [{"type": "Ready", "status": "True"}]},
    })
