"""The CronJob controller, as kube-controller-manager's (cronjob v2): on every
sync it finds the most recent time of the schedule (UTC, by croniter) after the
last one it ran (or the CronJob's creation) and not later than now, and runs a
Job for it unless that time is older than startingDeadlineSeconds. The Job is
named `<cronjob>-<minutes since the epoch>`, so a time is never run twice (an
AlreadyExists means it already was). concurrencyPolicy decides about runs that
overlap: Allow starts anyway, Forbid waits until the running Job ends, Replace
deletes the running Jobs first. Status tells the active Jobs,
lastScheduleTime and lastSuccessfulTime; finished Jobs beyond the history
limits are deleted oldest first. Each sync asks to be woken at the next time
of the schedule."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from controllers.base import Key, WorkQueue, controller_of, key_of, owner_reference, run_workers
from controllers.job import finished_condition
from controllers.pods import parse_time, rfc3339
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError
from kubelite.events import EventRecorder

log = logging.getLogger(__name__)
Obj = dict[str, Any]
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"
WAKE_SLACK = 0.1  # wake a little after the scheduled time, never just before it


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def job_name(cronjob: str, scheduled: float) -> str:
    """Kubernetes names a CronJob's Job by the scheduled time in minutes since the epoch."""
    return f"{cronjob}-{int(scheduled // 60)}"


def most_recent_time(schedule: str, earliest: float, now: float) -> float | None:
    """The latest time of the schedule in (earliest, now], None if there is none."""
    latest = croniter(schedule, _utc(now) + timedelta(microseconds=1)).get_prev(datetime).timestamp()
    return float(latest) if latest > earliest else None


def next_time(schedule: str, now: float) -> float:
    """The first time of the schedule after now."""
    return float(croniter(schedule, _utc(now)).get_next(datetime).timestamp())


def valid_schedule(schedule: str) -> bool:
    try:
        return bool(schedule.strip()) and bool(croniter.is_valid(schedule))
    except (ValueError, TypeError):
        return False


def job_reference(job: Obj) -> Obj:
    meta = job["metadata"]
    return {"apiVersion": job.get("apiVersion", "batch/v1"), "kind": "Job", "namespace": meta.get("namespace", ""),
            "name": meta["name"], "uid": meta.get("uid", ""), "resourceVersion": meta.get("resourceVersion", "")}


def job_for(cronjob: Obj, scheduled: float) -> Obj:
    """The Job of one scheduled time, from the CronJob's jobTemplate."""
    template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
    template_meta = template.get("metadata") or {}
    meta = cronjob["metadata"]
    annotations = {**(template_meta.get("annotations") or {}), SCHEDULED_AT: rfc3339(scheduled)}
    job_meta: Obj = {"name": job_name(meta["name"], scheduled), "namespace": meta.get("namespace", ""),
                     "annotations": annotations,
                     "ownerReferences": [owner_reference(cronjob, "batch/v1", "CronJob")]}
    if template_meta.get("labels"):
        job_meta["labels"] = dict(template_meta["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template.get("spec") or {}}


def _started(job: Obj) -> tuple[int, float, str]:
    """Oldest first: by startTime (Jobs that never started last), then name."""
    started = parse_time((job.get("status") or {}).get("startTime"))
    return (1 if started is None else 0, started or 0.0, job["metadata"]["name"])


class CronJobController:
    def __init__(self, client: Any, informers: Any, workers: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.cronjobs = informers.informer("cronjobs")
        self.jobs = informers.informer("jobs")
        self.queue = WorkQueue()
        self.workers = workers
        self.clock = clock
        self.events = EventRecorder(client, "cronjob-controller")
        self.cronjobs.add_handler(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.jobs.add_handler(self._job_event)

    def _job_event(self, kind: str, job: Obj, old: Obj | None) -> None:
        ref = controller_of(job)
        if ref is not None and ref.get("kind") == "CronJob":
            self.queue.add(((job.get("metadata") or {}).get("namespace", ""), ref["name"]))

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("cronjob", self.queue, self.sync, stop, self.workers)

    def _jobs_of(self, cronjob: Obj) -> list[Obj]:
        namespace, uid = cronjob["metadata"].get("namespace", ""), cronjob["metadata"].get("uid")
        return [j for j in self.jobs.values() if (j.get("metadata") or {}).get("namespace", "") == namespace
                and (controller_of(j) or {}).get("uid") == uid]

    async def sync(self, key: Key) -> None:
        cronjob = self.cronjobs.get(*key)
        if cronjob is None or cronjob["metadata"].get("deletionTimestamp"):
            return
        now = self.clock()
        spec = cronjob.get("spec") or {}
        status = copy.deepcopy(cronjob.get("status") or {})
        jobs = self._jobs_of(cronjob)
        active = await self._active(cronjob, jobs, status)
        self._last_success(jobs, status)
        await self._clean_up(cronjob, jobs)
        schedule = str(spec.get("schedule") or "")
        if spec.get("suspend"):
            await self._write_status(key, cronjob, status, active)
            return
        if not valid_schedule(schedule):
            log.info("cronjob %s/%s: unparseable schedule %r", key[0], key[1], schedule)
            self.events.event(cronjob, "Warning", "UnparseableSchedule", f"unparseable schedule: {schedule!r}")
            await self._write_status(key, cronjob, status, active)
            return
        try:
            await self._run_due(key, cronjob, jobs, status, active, schedule, now)
        finally:
            await self._write_status(key, cronjob, status, active)
            self.queue.add_after(key, next_time(schedule, now) - now + WAKE_SLACK)

    async def _run_due(self, key: Key, cronjob: Obj, jobs: list[Obj], status: Obj, active: list[Obj],
                       schedule: str, now: float) -> None:
        """Start the Job of the most recent unmet time of the schedule, if it is due; `status` and
        `active` are updated in place."""
        spec = cronjob.get("spec") or {}
        deadline = spec.get("startingDeadlineSeconds")
        earliest = (parse_time(status.get("lastScheduleTime"))
                    or parse_time(cronjob["metadata"].get("creationTimestamp")) or now)
        if deadline is not None:
            earliest = max(earliest, now - int(deadline))
        scheduled = most_recent_time(schedule, earliest, now)
        if scheduled is None:
            return
        if deadline is not None and scheduled + int(deadline) < now:
            self.events.event(cronjob, "Warning", "MissSchedule",
                              f"Missed scheduled time to start a job: {rfc3339(scheduled)}")
            return
        name = job_name(cronjob["metadata"]["name"], scheduled)
        if any(j["metadata"]["name"] == name for j in jobs) or any(r.get("name") == name for r in active):
            status["lastScheduleTime"] = rfc3339(scheduled)  # already ran (our last status write was lost)
            return
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            # the time stays unmet: it runs when the active Job ends, if still within the deadline
            self.events.event(cronjob, "Normal", "JobAlreadyActive",
                              "Not starting job because prior execution is running and concurrency policy is Forbid")
            return
        if policy == "Replace":
            for ref in list(active):
                await self._delete_job(cronjob, ref.get("name", ""), ref.get("uid", ""))
                active.remove(ref)
        try:
            created = await self.client.create("jobs", job_for(cronjob, scheduled), key[0])
        except AlreadyExists:
            log.info("cronjob %s/%s: job %s already exists", key[0], key[1], name)
        except StatusError as err:
            self.events.event(cronjob, "Warning", "FailedCreate", f"Error creating job: {err.message}")
            raise
        else:
            active.append(job_reference(created))
            self.events.event(cronjob, "Normal", "SuccessfulCreate", f"Created job {name}")
        status["lastScheduleTime"] = rfc3339(scheduled)

    async def _active(self, cronjob: Obj, jobs: list[Obj], status: Obj) -> list[Obj]:
        """References to the CronJob's Jobs that still run. A Job the status lists that the informer
        has not seen (yet) is asked for: it stays when it exists and has not finished."""
        running = {j["metadata"].get("uid"): j for j in jobs if finished_condition(j) is None}
        known = {j["metadata"].get("uid") for j in jobs}
        for ref in status.get("active") or []:
            uid = ref.get("uid")
            if uid in known:
                job = next(j for j in jobs if j["metadata"].get("uid") == uid)
                if uid not in running:
                    condition = finished_condition(job) or {}
                    self.events.event(cronjob, "Normal", "SawCompletedJob",
                                      f"Saw completed job: {ref.get('name')}, condition: {condition.get('type')}")
                continue
            try:
                job = await self.client.get("jobs", ref.get("name", ""), ref.get("namespace", ""))
            except NotFound:
                continue
            if job["metadata"].get("uid") == uid and finished_condition(job) is None:
                running[uid] = job
        listed = {ref.get("uid"): dict(ref) for ref in status.get("active") or []}
        return sorted((listed.get(uid) or job_reference(j) for uid, j in running.items()), key=lambda r: r["name"])

    @staticmethod
    def _last_success(jobs: list[Obj], status: Obj) -> None:
        latest = parse_time(status.get("lastSuccessfulTime"))
        for job in jobs:
            condition = finished_condition(job)
            if condition is None or condition.get("type") != "Complete":
                continue
            done = parse_time((job.get("status") or {}).get("completionTime") or condition.get("lastTransitionTime"))
            if done is not None and (latest is None or done > latest):
                latest = done
        if latest is not None:
            status["lastSuccessfulTime"] = rfc3339(latest)

    async def _clean_up(self, cronjob: Obj, jobs: list[Obj]) -> None:
        """Delete the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit."""
        spec = cronjob.get("spec") or {}
        for kind, limit in (("Complete", spec.get("successfulJobsHistoryLimit")),
                            ("Failed", spec.get("failedJobsHistoryLimit"))):
            if limit is None:
                continue
            done = sorted((j for j in jobs if (finished_condition(j) or {}).get("type") == kind), key=_started)
            for job in done[:max(0, len(done) - int(limit))]:
                await self._delete_job(cronjob, job["metadata"]["name"], job["metadata"].get("uid", ""))

    async def _delete_job(self, cronjob: Obj, name: str, uid: str) -> None:
        try:
            await self.client.delete("jobs", name, cronjob["metadata"].get("namespace", ""),
                                     propagation_policy="Background", precondition_uid=uid)
        except (NotFound, Conflict):
            return
        self.events.event(cronjob, "Normal", "SuccessfulDelete", f"Deleted job {name}")

    async def _write_status(self, key: Key, cronjob: Obj, status: Obj, active: list[Obj]) -> None:
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        old = cronjob.get("status") or {}
        if status == old:
            return
        try:
            await self.client.update_status("cronjobs", {**cronjob, "status": status}, key[0])
        except Conflict:
            self.queue.add(key)
        except NotFound:
            pass
