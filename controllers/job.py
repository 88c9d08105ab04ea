"""The Job controller, as kube-controller-manager's: runs a Job's pods to
completion. It keeps min(parallelism, completions still missing) pods active
(a Job without completions is a work queue: done once any pod succeeded and
none is left running), counts succeeded and failed pods, and replaces failed
ones after an exponential backoff (10 s doubling to 6 minutes) until more than
backoffLimit have failed. A Job that ran longer than activeDeadlineSeconds
fails; a suspended one has its pods deleted until it is resumed.

Finishing takes two steps, as in Kubernetes 1.31+: first the interim condition
(SuccessCriteriaMet or FailureTarget) is set and the remaining pods are
deleted; once no pod of the Job runs any more the final one (Complete, with
completionTime, or Failed) follows. A finished Job with
ttlSecondsAfterFinished is deleted that long after it finished.

Terminal pods are remembered per Job while this process runs, so a succeeded
or failed pod that someone deletes still counts; the counts never fall below
what the Job's status already says."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controllers.base import BY_CONTROLLER, Expectations, Key, WorkQueue, controller_of, indexed, key_of, run_workers
from controllers.pods import is_active, is_ready, is_terminal, new_pod, parse_time, rfc3339
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError
from kubelite.events import EventRecorder

log = logging.getLogger(__name__)
Obj = dict[str, Any]
BACKOFF_BASE = 10.0   # seconds before the first replacement of a failed pod
BACKOFF_MAX = 360.0   # the delay doubles per consecutive failure up to this
BURST = 500           # pod creates at most per sync
FINAL = ("Complete", "Failed")

BACKOFF_REASON = "BackoffLimitExceeded"
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_REASON = "CompletionsReached"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


def least_valuable(pods: list[Obj], count: int) -> list[Obj]:
    """The pods to delete first: unscheduled, then pending, then not ready, newest first."""
    def rank(pod: Obj) -> tuple[int, int, int, float]:
        phase = (pod.get("status") or {}).get("phase") or "Pending"
        created = parse_time((pod.get("metadata") or {}).get("creationTimestamp")) or 0.0
        return (1 if (pod.get("spec") or {}).get("nodeName") else 0, 0 if phase == "Pending" else 1,
                1 if is_ready(pod) else 0, -created)
    return sorted(pods, key=rank)[:max(0, count)]


def true_condition(job: Obj, kind: str) -> Obj | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return dict(condition)
    return None


def finished_condition(job: Obj) -> Obj | None:
    """The Complete or Failed condition, when the Job has finished."""
    for kind in FINAL:
        condition = true_condition(job, kind)
        if condition is not None:
            return condition
    return None


def is_finished(job: Obj) -> bool:
    return finished_condition(job) is not None


def finish_time(job: Obj) -> float | None:
    """When the Job finished: its completionTime, else its final condition's transition."""
    done = parse_time((job.get("status") or {}).get("completionTime"))
    if done is not None:
        return done
    condition = finished_condition(job)
    return parse_time(condition.get("lastTransitionTime")) if condition else None


def pod_finish_time(pod: Obj) -> float | None:
    """When a terminal pod ended: its last container's finishedAt, else when it stopped being ready."""
    status = pod.get("status") or {}
    times = [parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))
             for s in [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]]
    known = [t for t in times if t is not None]
    if known:
        return max(known)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return parse_time(condition.get("lastTransitionTime"))
    return None


def backoff_delay(failures: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_MAX) -> float:
    """How long to wait before replacing a pod after `failures` consecutive failures."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** (failures - 1)))


def past_backoff_limit_on_failure(job: Obj, active: list[Obj], backoff_limit: int) -> bool:
    """restartPolicy OnFailure restarts containers in place: their restarts count as failures."""
    template_spec = (((job.get("spec") or {}).get("template") or {}).get("spec") or {})
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in active:
        status = pod.get("status") or {}
        if status.get("phase") not in (None, "Pending", "Running"):
            continue
        for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
            restarts += int(container.get("restartCount") or 0)
    return restarts > 0 if backoff_limit == 0 else restarts >= backoff_limit


def criteria_met(spec: Obj, succeeded: int, active: list[Obj]) -> bool:
    """Enough pods succeeded: `completions` of them, or for a work queue any one with none left running."""
    completions = spec.get("completions")
    if completions is None:
        return succeeded > 0 and not active
    return succeeded >= int(completions)


def set_condition(conditions: list[Obj], kind: str, status: str, reason: str, message: str, now: str) -> bool:
    """Set a condition in place, as the Job controller's ensureJobConditionStatus: a
    condition that is not there yet is only added when True; the transition time
    moves only when the status does. True when the status changed (or it was added)."""
    for condition in conditions:
        if condition.get("type") != kind:
            continue
        if condition.get("status") != status:
            condition.update(status=status, reason=reason, message=message, lastProbeTime=now,
                             lastTransitionTime=now)
            return True
        if condition.get("reason") != reason or condition.get("message") != message:
            condition.update(reason=reason, message=message, lastProbeTime=now)
        return False
    if status == "True":
        conditions.append({"type": kind, "status": status, "lastProbeTime": now, "lastTransitionTime": now,
                           "reason": reason, "message": message})
        return True
    return False


@dataclass
class _Memory:
    """What this process saw of one Job's pods: terminal ones by uid, with
    (phase, finish time), and the ones it deleted itself (never failures)."""

    uid: str
    finished: dict[str, tuple[str, float]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)


@dataclass
class _Counts:
    succeeded: int
    failed: int
    failures_in_a_row: int    # failures since the last success: what the backoff grows with
    last_failure: float


class JobController:
    def __init__(self, client: Any, informers: Any, workers: int = 4, clock: Callable[[], float] = time.time,
                 backoff_base: float = BACKOFF_BASE, backoff_max: float = BACKOFF_MAX) -> None:
        self.client = client
        self.jobs = informers.informer("jobs")
        self.pods = indexed(informers.informer("pods"))
        self.queue = WorkQueue()
        self.expectations = Expectations()
        self.workers = workers
        self.clock = clock
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._memory: dict[Key, _Memory] = {}
        self.events = EventRecorder(client, "job-controller")
        self.jobs.add_handler(lambda kind, obj, old: self.queue.add(key_of(obj)))
        self.pods.add_handler(self._pod_event)

    def _pod_event(self, kind: str, pod: Obj, old: Obj | None) -> None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return
        key = ((pod.get("metadata") or {}).get("namespace", ""), ref["name"])
        deleting = bool(pod["metadata"].get("deletionTimestamp"))
        if kind == "ADDED":
            self.expectations.created(key)
        elif kind == "MODIFIED" and deleting and not (old or {}).get("metadata", {}).get("deletionTimestamp"):
            self.expectations.deleted(key)  # a graceful delete: seen when it starts
        elif kind == "DELETED" and not deleting:
            self.expectations.deleted(key)
        self.queue.add(key)

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("job", self.queue, self.sync, stop, self.workers)

    def _pods_of(self, job: Obj) -> list[Obj]:
        return self.pods.by_index(BY_CONTROLLER, str(job["metadata"].get("uid", "")))

    def _remember(self, key: Key, job: Obj) -> _Memory:
        memory = self._memory.get(key)
        if memory is None or memory.uid != job["metadata"].get("uid"):
            memory = self._memory[key] = _Memory(job["metadata"].get("uid", ""))
        return memory

    def _count(self, memory: _Memory, job: Obj, pods: list[Obj], now: float) -> _Counts:
        for pod in pods:
            uid = pod["metadata"].get("uid", "")
            if is_terminal(pod) and uid not in memory.finished:
                phase = pod["status"]["phase"]
                if phase == "Failed" and uid in memory.deleted:
                    continue  # we stopped it: not the pod's failure
                finished = pod_finish_time(pod)
                memory.finished[uid] = (phase, now if finished is None else finished)
        wins = [at for phase, at in memory.finished.values() if phase == "Succeeded"]
        losses = [at for phase, at in memory.finished.values() if phase == "Failed"]
        last_win = max(wins, default=float("-inf"))
        in_a_row = [at for at in losses if at >= last_win]
        status = job.get("status") or {}
        return _Counts(max(len(wins), int(status.get("succeeded") or 0)),
                       max(len(losses), int(status.get("failed") or 0)),
                       len(in_a_row), max(in_a_row, default=0.0))

    async def sync(self, key: Key) -> None:
        job = self.jobs.get(*key)
        if job is None:
            self.expectations.forget(key)
            self._memory.pop(key, None)
            return
        if job["metadata"].get("deletionTimestamp"):
            return
        now = self.clock()
        stamp = rfc3339(now)
        spec = job.get("spec") or {}
        memory = self._remember(key, job)
        pods = self._pods_of(job)
        active = [p for p in pods if is_active(p)]
        if is_finished(job):
            if active:
                await self._delete_pods(key, job, memory, active)
            await self._expire(key, job, now)
            return
        counts = self._count(memory, job, pods, now)
        status = copy.deepcopy(job.get("status") or {})
        conditions: list[Obj] = status.get("conditions") or []
        suspended = bool(spec.get("suspend"))
        if not suspended and not status.get("startTime"):
            status["startTime"] = stamp
        failure = true_condition(job, "FailureTarget")
        success = true_condition(job, "SuccessCriteriaMet")
        if failure is None and success is None:
            backoff_limit = 6 if spec.get("backoffLimit") is None else int(spec["backoffLimit"])
            deadline = spec.get("activeDeadlineSeconds")
            started = parse_time(status.get("startTime"))
            if counts.failed > backoff_limit or past_backoff_limit_on_failure(job, active, backoff_limit):
                failure = {"reason": BACKOFF_REASON, "message": BACKOFF_MESSAGE}
            elif deadline is not None and not suspended and started is not None and now - started >= deadline:
                failure = {"reason": DEADLINE_REASON, "message": DEADLINE_MESSAGE}
            elif deadline is not None and not suspended and started is not None:
                self.queue.add_after(key, started + deadline - now)
            if failure is not None:
                log.info("job %s/%s failed: %s", key[0], key[1], failure["message"])
                set_condition(conditions, "FailureTarget", "True", failure["reason"], failure["message"], stamp)
        if failure is None and success is None:
            if suspended:
                if active:
                    await self._delete_pods(key, job, memory, active)
                    active = []
                if set_condition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", stamp):
                    self.events.event(job, "Normal", "Suspended", "Job suspended")
            else:
                if any(c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions):
                    set_condition(conditions, "Suspended", "False", "JobResumed", "Job resumed", stamp)
                    status["startTime"] = stamp  # the active deadline counts from the resume
                    self.events.event(job, "Normal", "Resumed", "Job resumed")
                if self.expectations.satisfied(key):
                    active = await self._manage(key, job, memory, active, pods, counts, now)
                if criteria_met(spec, counts.succeeded, active):
                    success = {"reason": COMPLETIONS_REASON, "message": COMPLETIONS_MESSAGE}
                    set_condition(conditions, "SuccessCriteriaMet", "True", COMPLETIONS_REASON,
                                  COMPLETIONS_MESSAGE, stamp)
        if failure is not None or success is not None:
            if active:
                await self._delete_pods(key, job, memory, active)
            if not [p for p in self._pods_of(job) if not is_terminal(p)]:  # nothing runs any more
                if failure is not None:
                    set_condition(conditions, "Failed", "True", failure["reason"], failure["message"], stamp)
                    self.events.event(job, "Warning", failure["reason"], failure["message"])
                else:
                    set_condition(conditions, "Complete", "True", COMPLETIONS_REASON, COMPLETIONS_MESSAGE, stamp)
                    status["completionTime"] = stamp
                    self.events.event(job, "Normal", "Completed", "Job completed")
        now_pods = self._pods_of(job)
        running = [p for p in now_pods if is_active(p)]
        status.update(active=len(running), ready=sum(1 for p in running if is_ready(p)),
                      succeeded=counts.succeeded, failed=counts.failed,
                      terminating=sum(1 for p in now_pods if not is_terminal(p) and not is_active(p)))
        if conditions:
            status["conditions"] = conditions
        updated = await self._write_status(key, job, status)
        if updated is not None and is_finished(updated):
            await self._expire(key, updated, now)

    async def _manage(self, key: Key, job: Obj, memory: _Memory, active: list[Obj], pods: list[Obj],
                      counts: _Counts, now: float) -> list[Obj]:
        """Create or delete pods so min(parallelism, missing completions) are active; the pods still active."""
        spec = job.get("spec") or {}
        parallelism = 1 if spec.get("parallelism") is None else int(spec["parallelism"])
        completions = spec.get("completions")
        if completions is None:  # a work queue: once one pod succeeded, let the others finish, start no more
            want = min(parallelism, len(active)) if counts.succeeded > 0 else parallelism
        else:
            want = max(0, min(parallelism, int(completions) - counts.succeeded))
        if len(active) > want:
            victims = least_valuable(active, len(active) - want)
            await self._delete_pods(key, job, memory, victims)
            gone = {id(p) for p in victims}
            return [p for p in active if id(p) not in gone]
        if len(active) == want:
            return active
        terminating = [p for p in pods if not is_terminal(p) and not is_active(p)]
        if spec.get("podReplacementPolicy") == "Failed" and terminating:
            return active  # replace a pod only once it is fully gone
        wait = counts.last_failure + backoff_delay(counts.failures_in_a_row, self.backoff_base,
                                                   self.backoff_max) - now
        if counts.failures_in_a_row and wait > 0:
            self.queue.add_after(key, wait)
            return active
        await self._create(key, job, min(want - len(active), BURST))
        return active

    async def _create(self, key: Key, job: Obj, count: int) -> None:
        self.expectations.expect(key, creates=count)
        results = await asyncio.gather(*(self._create_one(job) for _ in range(count)))
        failed = results.count(False)
        for _ in range(failed):
            self.expectations.created(key)
        if failed:
            raise StatusError(f"{failed} pod creates failed for Job {key[0]}/{key[1]}")

    async def _create_one(self, job: Obj) -> bool:
        try:
            pod = await self.client.create("pods", new_pod(job, "batch/v1", "Job"), job["metadata"]["namespace"])
        except AlreadyExists:
            return True
        except StatusError as err:
            log.info("job %s: creating a pod failed: %s", job["metadata"]["name"], err.message)
            self.events.event(job, "Warning", "FailedCreate", f"Error creating: {err.message}")
            return False
        self.events.event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return True

    async def _delete_pods(self, key: Key, job: Obj, memory: _Memory, pods: list[Obj]) -> None:
        for pod in pods:
            meta = pod["metadata"]
            self.expectations.expect(key, deletes=1)
            memory.deleted.add(meta.get("uid", ""))
            try:
                await self.client.delete("pods", meta["name"], meta.get("namespace", ""))
            except NotFound:
                self.expectations.deleted(key)
                continue
            except StatusError:
                self.expectations.deleted(key)
                raise
            self.events.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")

    async def _write_status(self, key: Key, job: Obj, status: Obj) -> Obj | None:
        """Write the status if it changed; the Job as it now is (None if it is gone)."""
        if status == (job.get("status") or {}):
            return job
        try:
            result: Obj = await self.client.update_status("jobs", {**job, "status": status},
                                                          job["metadata"].get("namespace", ""))
            return result
        except Conflict:
            self.queue.add(key)
        except NotFound:
            pass
        return None

    async def _expire(self, key: Key, job: Obj, now: float) -> None:
        """ttlSecondsAfterFinished: delete the finished Job once its time is up, else come back then."""
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        finished = finish_time(job)
        expires = (now if finished is None else finished) + int(ttl)
        if now < expires:
            self.queue.add_after(key, expires - now)
            return
        meta = job["metadata"]
        log.info("job %s/%s finished %ss ago: deleting it", key[0], key[1], ttl)
        try:
            await self.client.delete("jobs", meta["name"], meta.get("namespace", ""),
                                     propagation_policy="Background", precondition_uid=meta.get("uid", ""))
        except (NotFound, Conflict):
            pass
