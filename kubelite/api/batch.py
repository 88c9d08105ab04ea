"""batch/v1 types: Job and CronJob."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.core import ObjectReference, PodTemplateSpec
from kubelite.api.meta import KubeObject, LabelSelector, Model, ObjectMeta, Opaque


class JobSpec(Model):
    parallelism: int | None = None
    completions: int | None = None
    activeDeadlineSeconds: int | None = None
    backoffLimit: int | None = None
    selector: LabelSelector | None = None
    manualSelector: bool | None = None
    template: PodTemplateSpec | None = None
    ttlSecondsAfterFinished: int | None = None
    completionMode: str | None = None
    suspend: bool | None = None
    podReplacementPolicy: str | None = None


class JobCondition(Model):
    type: str
    status: str
    lastProbeTime: str | None = None
    lastTransitionTime: str | None = None
    reason: str | None = None
    message: str | None = None


class JobStatus(Model):
    conditions: list[JobCondition] | None = None
    startTime: str | None = None
    completionTime: str | None = None
    active: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    terminating: int | None = None
    ready: int | None = None
    uncountedTerminatedPods: Opaque | None = None
    completedIndexes: str | None = None


class Job(KubeObject):
    spec: JobSpec = Field(default_factory=JobSpec)
    status: JobStatus | None = None


class JobTemplateSpec(Model):
    metadata: ObjectMeta | None = None
    spec: JobSpec = Field(default_factory=JobSpec)


class CronJobSpec(Model):
    schedule: str = ""
    timeZone: str | None = None
    startingDeadlineSeconds: int | None = None
    concurrencyPolicy: str | None = None
    suspend: bool | None = None
    jobTemplate: JobTemplateSpec = Field(default_factory=JobTemplateSpec)
    successfulJobsHistoryLimit: int | None = None
    failedJobsHistoryLimit: int | None = None


class CronJobStatus(Model):
    active: list[ObjectReference] | None = None
    lastScheduleTime: str | None = None
    lastSuccessfulTime: str | None = None


class CronJob(KubeObject):
    spec: CronJobSpec = Field(default_factory=CronJobSpec)
    status: CronJobStatus | None = None
