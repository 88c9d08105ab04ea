"""apps/v1 Deployment: declarative rollouts of ReplicaSets (RollingUpdate or
Recreate), with revision history, pause and rollback (the deployment
controller does the work)."""

from __future__ import annotations

from typing import Any

from kubelite.api import apps
from kubelite.api.errors import FieldError, invalid, not_supported
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.labels import to_text
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of
from kubelite.kinds import workload
from kubelite.kinds.replicaset import WIDE

Obj = dict[str, Any]
STRATEGIES = ["Recreate", "RollingUpdate"]


def _defaults(d: apps.Deployment) -> None:
    spec = d.spec
    if spec.replicas is None:
        spec.replicas = 1
    if spec.strategy is None:
        spec.strategy = apps.DeploymentStrategy()
    if spec.strategy.type is None:
        spec.strategy.type = "RollingUpdate"
    if spec.strategy.type == "RollingUpdate":
        rolling = spec.strategy.rollingUpdate or apps.RollingUpdateDeployment()
        if rolling.maxSurge is None:
            rolling.maxSurge = "25%"
        if rolling.maxUnavailable is None:
            rolling.maxUnavailable = "25%"
        spec.strategy.rollingUpdate = rolling
    if spec.revisionHistoryLimit is None:
        spec.revisionHistoryLimit = 10
    if spec.progressDeadlineSeconds is None:
        spec.progressDeadlineSeconds = 600
    if spec.minReadySeconds is None:
        spec.minReadySeconds = 0
    workload.default_template(spec.template)


def int_or_percent(path: str, value: int | str | None) -> list[FieldError]:
    if value is None or isinstance(value, int):
        return workload.non_negative(path, value)
    digits = value[:-1] if value.endswith("%") else ""
    if not digits.isdigit():
        return [invalid(path, value, "a valid percent string must be a numeric string followed by an ending '%' "
                        "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")]
    if int(digits) > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


def scaled(value: int | str | None, total: int, round_up: bool) -> int:
    """An int-or-percent of `total`, as intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%") or 0)
    return -(-percent * total // 100) if round_up else percent * total // 100


def _validate(d: apps.Deployment) -> list[FieldError]:
    spec = d.spec
    causes = [*workload.non_negative("spec.replicas", spec.replicas),
              *workload.non_negative("spec.minReadySeconds", spec.minReadySeconds),
              *workload.non_negative("spec.revisionHistoryLimit", spec.revisionHistoryLimit),
              *workload.validate_selector(spec.selector, spec.template),
              *workload.validate_template(spec.template)]
    strategy = spec.strategy or apps.DeploymentStrategy()
    if strategy.type is not None and strategy.type not in STRATEGIES:
        causes.append(not_supported("spec.strategy.type", strategy.type, STRATEGIES))
    if strategy.type == "Recreate" and strategy.rollingUpdate is not None:
        causes.append(FieldError("spec.strategy.rollingUpdate", "FieldValueForbidden",
                                 "Forbidden: may not be specified when strategy `type` is 'Recreate'"))
    rolling = strategy.rollingUpdate
    if rolling is not None:
        causes += int_or_percent("spec.strategy.rollingUpdate.maxSurge", rolling.maxSurge)
        causes += int_or_percent("spec.strategy.rollingUpdate.maxUnavailable", rolling.maxUnavailable)
        if not causes and scaled(rolling.maxSurge, 100, True) == 0 \
                and scaled(rolling.maxUnavailable, 100, False) == 0:
            causes.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", rolling.maxUnavailable,
                                  "may not be 0 when `maxSurge` is 0"))
    if spec.progressDeadlineSeconds is not None and spec.progressDeadlineSeconds <= (spec.minReadySeconds or 0):
        causes.append(invalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds,
                              "must be greater than minReadySeconds"))
    return causes


def _cells(d: Obj) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    containers, images = workload.template_containers(spec.get("template"))
    return [name_of(d), f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas', 0))}",
            int(status.get("updatedReplicas") or 0), int(status.get("availableReplicas") or 0), created_age(d),
            containers, images, to_text(spec.get("selector"))]


PRINTER = Printer((NAME, Column("Ready", "string", "", "Ready pods out of the desired number."),
                   Column("Up-to-date", "integer", "", "Pods running the current template."),
                   Column("Available", "integer", "", "Pods ready for at least minReadySeconds."), AGE, *WIDE),
                  _cells)
STRATEGY = Strategy(has_status=True)
KIND = Kind("apps", "v1", "Deployment", "deployments", True, apps.Deployment, short_names=("deploy",),
            categories=("all",), strategy=STRATEGY, defaults=_defaults, validate=_validate,
            validate_update=workload.selector_immutable, printer=PRINTER,
            subresources=(status_subresource(STRATEGY), workload.SCALE))
