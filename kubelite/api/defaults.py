"""Defaulting (mutating admission's first job): the values Kubernetes fills in
when a manifest leaves them out."""

from __future__ import annotations

from kubelite.api import core
from kubelite.api.kind import Kind
from kubelite.api.meta import KubeObject


def _pull_policy(image: str | None) -> str:
    if not image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.rpartition(":")[2] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_container(container: core.Container) -> None:
    if container.imagePullPolicy is None:
        container.imagePullPolicy = _pull_policy(container.image)
    if container.terminationMessagePath is None:
        container.terminationMessagePath = "/dev/termination-log"
    if container.terminationMessagePolicy is None:
        container.terminationMessagePolicy = "File"
    for port in container.ports or []:
        if port.protocol is None:
            port.protocol = "TCP"


def default_pod_spec(spec: core.PodSpec) -> None:
    """A pod's defaults, also applied to the pod templates of workloads."""
    if spec.restartPolicy is None:
        spec.restartPolicy = "Always"
    if spec.terminationGracePeriodSeconds is None:
        spec.terminationGracePeriodSeconds = 30
    if spec.schedulerName is None:
        spec.schedulerName = "default-scheduler"
    if spec.dnsPolicy is None:
        spec.dnsPolicy = "ClusterFirst"
    if spec.enableServiceLinks is None:
        spec.enableServiceLinks = True
    for container in [*spec.containers, *(spec.initContainers or [])]:
        _default_container(container)
    for toleration in spec.tolerations or []:
        if toleration.operator is None:
            toleration.operator = "Equal"


def default_pod(pod: core.Pod) -> None:
    default_pod_spec(pod.spec)
    if pod.spec.priority is None:
        pod.spec.priority = 0
    if pod.spec.serviceAccountName is None:
        pod.spec.serviceAccountName = "default"


def default_namespace(namespace: core.Namespace) -> None:
    if namespace.spec is None:
        namespace.spec = core.NamespaceSpec(finalizers=["kubernetes"])


def apply_defaults(info: Kind, obj: KubeObject) -> KubeObject:
    """Fill Kubernetes defaults in place; returns `obj`."""
    if info.namespaced and not obj.metadata.namespace:
        obj.metadata.namespace = "default"
    if info.defaults is not None:
        info.defaults(obj)
    return obj
