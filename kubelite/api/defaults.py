"""Defaulting (mutating admission's first job): the values Kubernetes fills in
when a manifest leaves them out."""

from __future__ import annotations

from kubelite.api import core
from kubelite.api.meta import KubeObject
from kubelite.api.registry import ResourceInfo


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


def apply_defaults(info: ResourceInfo, obj: KubeObject) -> KubeObject:
    """Fill Kubernetes defaults in place; returns `obj`."""
    if info.namespaced and not obj.metadata.namespace:
        obj.metadata.namespace = "default"
    if isinstance(obj, core.Pod):
        spec = obj.spec
        if spec.restartPolicy is None:
            spec.restartPolicy = "Always"
        if spec.terminationGracePeriodSeconds is None:
            spec.terminationGracePeriodSeconds = 30
        if spec.schedulerName is None:
            spec.schedulerName = "default-scheduler"
        if spec.dnsPolicy is None:
            spec.dnsPolicy = "ClusterFirst"
        if spec.priority is None:
            spec.priority = 0
        if spec.enableServiceLinks is None:
            spec.enableServiceLinks = True
        if spec.serviceAccountName is None:
            spec.serviceAccountName = "default"
        for container in [*spec.containers, *(spec.initContainers or [])]:
            _default_container(container)
        for toleration in spec.tolerations or []:
            if toleration.operator is None:
                toleration.operator = "Equal"
    if isinstance(obj, core.Namespace) and obj.spec is None:
        obj.spec = core.NamespaceSpec(finalizers=["kubernetes"])
    return obj
