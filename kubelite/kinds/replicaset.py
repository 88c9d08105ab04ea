"""apps/v1 ReplicaSet: keeps `replicas` pods matching its selector (the
replicaset controller creates, adopts and deletes them)."""

from __future__ import annotations

from typing import Any

from kubelite.api import apps
from kubelite.api.errors import FieldError
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.labels import to_text
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of
from kubelite.kinds import workload

Obj = dict[str, Any]


def _defaults(rs: apps.ReplicaSet) -> None:
    if rs.spec.replicas is None:
        rs.spec.replicas = 1
    if rs.spec.minReadySeconds is None:
        rs.spec.minReadySeconds = 0
    workload.default_template(rs.spec.template)


def _validate(rs: apps.ReplicaSet) -> list[FieldError]:
    spec = rs.spec
    return [*workload.non_negative("spec.replicas", spec.replicas),
            *workload.non_negative("spec.minReadySeconds", spec.minReadySeconds),
            *workload.validate_selector(spec.selector, spec.template),
            *workload.validate_template(spec.template)]


def _cells(rs: Obj) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    containers, images = workload.template_containers(spec.get("template"))
    return [name_of(rs), int(spec.get("replicas", 0)), int(status.get("replicas") or 0),
            int(status.get("readyReplicas") or 0), created_age(rs), containers, images,
            to_text(spec.get("selector"))]


WIDE = (Column("Containers", "string", "", "The names of the template's containers.", 1),
        Column("Images", "string", "", "The images of the template's containers.", 1),
        Column("Selector", "string", "", "The label selector of the pods it manages.", 1))
PRINTER = Printer((NAME, Column("Desired", "integer", "", "The number of pods it should have (spec.replicas)."),
                   Column("Current", "integer", "", "The number of pods it has (status.replicas)."),
                   Column("Ready", "integer", "", "The number of its pods that are ready."), AGE, *WIDE), _cells)
STRATEGY = Strategy(has_status=True)
KIND = Kind("apps", "v1", "ReplicaSet", "replicasets", True, apps.ReplicaSet, short_names=("rs",),
            categories=("all",), strategy=STRATEGY, defaults=_defaults, validate=_validate,
            validate_update=workload.selector_immutable, printer=PRINTER,
            subresources=(status_subresource(STRATEGY), workload.SCALE))
