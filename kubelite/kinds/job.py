"""batch/v1 Job: pods that run to completion, retried up to backoffLimit
(the job controller). Its selector and the `controller-uid` labels are set by
the API server, as Kubernetes does."""

from __future__ import annotations

from typing import Any

from kubelite.api import batch
from kubelite.api.errors import FieldError, invalid
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.labels import to_text
from kubelite.api.printers import AGE, NAME, Column, Printer, age, created_age, name_of
from kubelite.kinds import workload
from kubelite.kinds.replicaset import WIDE

Obj = dict[str, Any]
UID_LABEL = "batch.kubernetes.io/controller-uid"
NAME_LABEL = "batch.kubernetes.io/job-name"


def default_job_spec(spec: batch.JobSpec) -> None:
    if spec.completions is None and spec.parallelism is None:
        spec.completions = 1
    if spec.parallelism is None:
        spec.parallelism = 1
    if spec.backoffLimit is None:
        spec.backoffLimit = 6
    if spec.completionMode is None:
        spec.completionMode = "NonIndexed"
    if spec.suspend is None:
        spec.suspend = False
    if spec.manualSelector is None:
        spec.manualSelector = False
    if spec.podReplacementPolicy is None:
        spec.podReplacementPolicy = "TerminatingOrFailed"
    workload.default_template(spec.template)


def _defaults(job: batch.Job) -> None:
    default_job_spec(job.spec)


class JobStrategy(Strategy):
    def prepare_for_create(self, obj: Obj) -> None:
        """The generated selector: the job's own uid, on its pods' labels."""
        super().prepare_for_create(obj)
        spec = obj.setdefault("spec", {})
        if spec.get("manualSelector"):
            return
        uid = obj["metadata"].setdefault("uid", "")
        if not uid:
            return
        name = obj["metadata"].get("name", "")
        spec["selector"] = {"matchLabels": {UID_LABEL: uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.update({UID_LABEL: uid, NAME_LABEL: name, "controller-uid": uid, "job-name": name})


def validate_job_spec(spec: batch.JobSpec, root: str, generated: bool) -> list[FieldError]:
    causes = [*workload.non_negative(f"{root}.parallelism", spec.parallelism),
              *workload.non_negative(f"{root}.completions", spec.completions),
              *workload.non_negative(f"{root}.backoffLimit", spec.backoffLimit),
              *workload.non_negative(f"{root}.ttlSecondsAfterFinished", spec.ttlSecondsAfterFinished)]
    if spec.completionMode not in (None, "NonIndexed"):
        # the job controller runs NonIndexed jobs only: refused, never accepted and ignored
        causes.append(FieldError(f"{root}.completionMode", "FieldValueNotSupported",
                                 f'Unsupported value: "{spec.completionMode}": supported values: "NonIndexed"'))
    if spec.activeDeadlineSeconds is not None and spec.activeDeadlineSeconds <= 0:
        causes.append(invalid(f"{root}.activeDeadlineSeconds", spec.activeDeadlineSeconds,
                              "must be greater than 0"))
    if not generated:
        causes += workload.validate_selector(spec.selector, spec.template, root)
    causes += workload.validate_template(spec.template, f"{root}.template", ("OnFailure", "Never"))
    if spec.template is not None and spec.template.spec.restartPolicy is None:
        causes.append(FieldError(f"{root}.template.spec.restartPolicy", "FieldValueRequired",
                                 'Required value: valid values: "OnFailure", "Never"'))
    return causes


def _validate(job: batch.Job) -> list[FieldError]:
    # a create has its selector generated only after validation (the uid is set by the store)
    return validate_job_spec(job.spec, "spec", generated=job.spec.selector is None or not job.spec.manualSelector)


def _validate_update(old: batch.Job, new: batch.Job) -> list[FieldError]:
    causes = workload.selector_immutable(old, new)
    if old.spec.template != new.spec.template:
        causes.append(invalid("spec.template", "", "field is immutable"))
    if old.spec.completions != new.spec.completions:
        causes.append(invalid("spec.completions", new.spec.completions, "field is immutable"))
    return causes


def job_status(job: Obj) -> str:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "Failed", "Suspended"):
            return str(condition["type"])
        if condition.get("status") == "True" and condition.get("type") == "FailureTarget":
            return "FailureTarget"
    return "Running"


def _duration(job: Obj) -> str:
    status = job.get("status") or {}
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        return ""
    if not end:
        return age(start)
    from datetime import datetime
    fmt = "%Y-%m-%dT%H:%M:%S"
    seconds = int((datetime.strptime(end[:19], fmt) - datetime.strptime(start[:19], fmt)).total_seconds())
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def _cells(job: Obj) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    containers, images = workload.template_containers(spec.get("template"))
    completions = spec.get("completions")
    shown = f"{int(status.get('succeeded') or 0)}/{completions if completions is not None else 1}"
    return [name_of(job), job_status(job), shown, _duration(job), created_age(job), containers, images,
            to_text(spec.get("selector"))]


PRINTER = Printer((NAME, Column("Status", "string", "", "Running, Complete, Failed or Suspended."),
                   Column("Completions", "string", "", "Succeeded pods out of the completions asked for."),
                   Column("Duration", "string", "", "How long the job ran."), AGE, *WIDE), _cells)
STRATEGY = JobStrategy(has_status=True)
KIND = Kind("batch", "v1", "Job", "jobs", True, batch.Job, categories=("all",), strategy=STRATEGY,
            defaults=_defaults, validate=_validate, validate_update=_validate_update, printer=PRINTER,
            subresources=(status_subresource(STRATEGY),))
