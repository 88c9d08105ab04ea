"""batch/v1 CronJob: a Job on a cron schedule (the cronjob controller). The
schedule is parsed by croniter, not by hand."""

from __future__ import annotations

from typing import Any

from croniter import croniter

from kubelite.api import batch
from kubelite.api.errors import FieldError, invalid, not_supported, required
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.printers import AGE, NAME, Column, Printer, age, created_age, name_of
from kubelite.kinds import workload
from kubelite.kinds.job import default_job_spec, validate_job_spec
from kubelite.kinds.replicaset import WIDE

Obj = dict[str, Any]
POLICIES = ["Allow", "Forbid", "Replace"]


def _defaults(cj: batch.CronJob) -> None:
    spec = cj.spec
    if spec.concurrencyPolicy is None:
        spec.concurrencyPolicy = "Allow"
    if spec.suspend is None:
        spec.suspend = False
    if spec.successfulJobsHistoryLimit is None:
        spec.successfulJobsHistoryLimit = 3
    if spec.failedJobsHistoryLimit is None:
        spec.failedJobsHistoryLimit = 1
    default_job_spec(spec.jobTemplate.spec)


def schedule_error(schedule: str) -> str | None:
    if not schedule.strip():
        return "empty spec"
    if "TZ=" in schedule or "CRON_TZ=" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    if not croniter.is_valid(schedule):
        return f"unparseable cron expression {schedule!r}"
    return None


def _validate(cj: batch.CronJob) -> list[FieldError]:
    spec = cj.spec
    causes: list[FieldError] = []
    if not spec.schedule:
        causes.append(required("spec.schedule"))
    else:
        why = schedule_error(spec.schedule)
        if why:
            causes.append(invalid("spec.schedule", spec.schedule, why))
    if spec.timeZone is not None:
        causes.append(FieldError("spec.timeZone", "FieldValueNotSupported",
                                 f'Unsupported value: "{spec.timeZone}": kubelite schedules in UTC only'))
    if spec.concurrencyPolicy is not None and spec.concurrencyPolicy not in POLICIES:
        causes.append(not_supported("spec.concurrencyPolicy", spec.concurrencyPolicy, POLICIES))
    causes += workload.non_negative("spec.startingDeadlineSeconds", spec.startingDeadlineSeconds)
    causes += workload.non_negative("spec.successfulJobsHistoryLimit", spec.successfulJobsHistoryLimit)
    causes += workload.non_negative("spec.failedJobsHistoryLimit", spec.failedJobsHistoryLimit)
    causes += validate_job_spec(spec.jobTemplate.spec, "spec.jobTemplate.spec", generated=True)
    if len(cj.metadata.name or "") > 52:
        causes.append(invalid("metadata.name", cj.metadata.name, "must be no more than 52 characters"))
    return causes


def _cells(cj: Obj) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    containers, images = workload.template_containers(template)
    last = status.get("lastScheduleTime")
    return [name_of(cj), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            "True" if spec.get("suspend") else "False", len(status.get("active") or []),
            age(last) if last else "<none>", created_age(cj), containers, images, "<none>"]


PRINTER = Printer((NAME, Column("Schedule", "string", "", "The cron schedule."),
                   Column("Timezone", "string", "", "The time zone of the schedule."),
                   Column("Suspend", "boolean", "", "Whether new runs are suspended."),
                   Column("Active", "integer", "", "Jobs running now."),
                   Column("Last Schedule", "string", "", "When a job was last scheduled."), AGE, *WIDE), _cells)
STRATEGY = Strategy(has_status=True)
KIND = Kind("batch", "v1", "CronJob", "cronjobs", True, batch.CronJob, short_names=("cj",), categories=("all",),
            strategy=STRATEGY, defaults=_defaults, validate=_validate, printer=PRINTER,
            subresources=(status_subresource(STRATEGY),))
