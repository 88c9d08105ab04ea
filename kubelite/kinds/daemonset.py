"""apps/v1 DaemonSet: one pod on every eligible node (the daemonset
controller places them, bound directly to their nodes)."""

from __future__ import annotations

from typing import Any

from kubelite.api import apps
from kubelite.api.errors import FieldError, not_supported
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.labels import to_text
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of
from kubelite.kinds import workload
from kubelite.kinds.deployment import int_or_percent
from kubelite.kinds.replicaset import WIDE

Obj = dict[str, Any]


def _defaults(ds: apps.DaemonSet) -> None:
    spec = ds.spec
    if spec.updateStrategy is None:
        spec.updateStrategy = apps.DaemonSetUpdateStrategy()
    if spec.updateStrategy.type is None:
        spec.updateStrategy.type = "RollingUpdate"
    if spec.updateStrategy.type == "RollingUpdate":
        rolling = spec.updateStrategy.rollingUpdate or apps.RollingUpdateDaemonSet()
        if rolling.maxUnavailable is None:
            rolling.maxUnavailable = 1
        if rolling.maxSurge is None:
            rolling.maxSurge = 0
        spec.updateStrategy.rollingUpdate = rolling
    if spec.revisionHistoryLimit is None:
        spec.revisionHistoryLimit = 10
    if spec.minReadySeconds is None:
        spec.minReadySeconds = 0
    workload.default_template(spec.template)


def _validate(ds: apps.DaemonSet) -> list[FieldError]:
    spec = ds.spec
    causes = [*workload.validate_selector(spec.selector, spec.template),
              *workload.validate_template(spec.template)]
    strategy = spec.updateStrategy
    if strategy is not None and strategy.type not in (None, "OnDelete", "RollingUpdate"):
        causes.append(not_supported("spec.updateStrategy.type", strategy.type, ["OnDelete", "RollingUpdate"]))
    if strategy is not None and strategy.rollingUpdate is not None:
        causes += int_or_percent("spec.updateStrategy.rollingUpdate.maxUnavailable",
                                 strategy.rollingUpdate.maxUnavailable)
        surge = strategy.rollingUpdate.maxSurge
        if surge not in (None, 0, "0%"):
            # the daemonset controller replaces a node's pod only after the old one is gone
            causes.append(FieldError("spec.updateStrategy.rollingUpdate.maxSurge", "FieldValueNotSupported",
                                     f"Unsupported value: {surge!r}: kubelite's daemonset controller supports only 0"))
    return causes


def _cells(ds: Obj) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    containers, images = workload.template_containers(spec.get("template"))
    selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    return [name_of(ds), int(status.get("desiredNumberScheduled") or 0), int(status.get("currentNumberScheduled") or 0),
            int(status.get("numberReady") or 0), int(status.get("updatedNumberScheduled") or 0),
            int(status.get("numberAvailable") or 0),
            ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>", created_age(ds),
            containers, images, to_text(spec.get("selector"))]


PRINTER = Printer((NAME, Column("Desired", "integer", "", "Nodes that should run the pod."),
                   Column("Current", "integer", "", "Nodes that run the pod."),
                   Column("Ready", "integer", "", "Nodes whose pod is ready."),
                   Column("Up-to-date", "integer", "", "Nodes whose pod runs the current template."),
                   Column("Available", "integer", "", "Nodes whose pod is available."),
                   Column("Node Selector", "string", "", "The template's nodeSelector."), AGE, *WIDE), _cells)
STRATEGY = Strategy(has_status=True)
KIND = Kind("apps", "v1", "DaemonSet", "daemonsets", True, apps.DaemonSet, short_names=("ds",), categories=("all",),
            strategy=STRATEGY, defaults=_defaults, validate=_validate, validate_update=workload.selector_immutable,
            printer=PRINTER, subresources=(status_subresource(STRATEGY),))
