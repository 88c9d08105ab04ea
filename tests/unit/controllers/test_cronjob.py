"""The CronJob controller against the fake world and a fake clock: a Job per
scheduled time (named by minutes since the epoch), only the most recent of
missed times, startingDeadlineSeconds, the three concurrency policies,
suspension, status (active, lastScheduleTime, lastSuccessfulTime), history
limits and the wake-up at the next time of the schedule."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from controllers.cronjob import SCHEDULED_AT, CronJobController, job_name, most_recent_time, next_time
from controllers.pods import rfc3339

Obj = dict[str, Any]
NS = "default"
T0 = 1767225600.0  # 2026-01-01T00:00:00Z, a multiple of five minutes
UID = "uid-report"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def cronjob(schedule: str = "*/5 * * * *", **spec: Any) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "report", "namespace": NS, "uid": UID, "creationTimestamp": rfc3339(T0)},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Allow", "suspend": False,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"metadata": {"labels": {"app": "report"}, "annotations": {"team": "data"}},
                                     "spec": {"backoffLimit": 2, "template": {"spec": {
                                         "restartPolicy": "OnFailure",
                                         "containers": [{"name": "r", "image": "busybox"}]}}}},
                     **spec}}


def owned_job(name: str, state: str = "", started: float = T0, done: float | None = None) -> Obj:
    status: Obj = {"startTime": rfc3339(started)}
    if state:
        status["conditions"] = [{"type": state, "status": "True", "lastTransitionTime": rfc3339(done or started)}]
    if state == "Complete":
        status["completionTime"] = rfc3339(done or started)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}",
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "report",
                                              "uid": UID, "controller": True, "blockOwnerDeletion": True}]},
            "status": status}


@pytest.fixture
def setup(world: Any) -> tuple[Any, CronJobController, Clock, list[float]]:
    client, informers = world
    clock = Clock()
    controller = CronJobController(client, informers, clock=clock)
    wakes: list[float] = []
    controller.queue.add_after = lambda key, delay: wakes.append(round(delay, 3))  # type: ignore[method-assign]
    return client, controller, clock, wakes


def sync(controller: CronJobController) -> None:
    asyncio.run(controller.sync((NS, "report")))


def jobs(client: Any) -> dict[str, Obj]:
    return {name: o for (r, _, name), o in client.objects.items() if r == "jobs"}


def status(client: Any) -> Obj:
    return dict(client.objects[("cronjobs", NS, "report")].get("status") or {})


def record_deletes(client: Any) -> list[tuple[str, str, dict[str, Any]]]:
    deleted: list[tuple[str, str, dict[str, Any]]] = []
    real = client.delete

    async def delete(resource: str, name: str, namespace: str = "", **options: Any) -> Obj:
        deleted.append((resource, name, options))
        result: Obj = await real(resource, name, namespace, **options)
        return result

    client.delete = delete
    return deleted


def test_schedule_arithmetic() -> None:
    assert most_recent_time("*/5 * * * *", T0, T0 + 299) is None
    assert most_recent_time("*/5 * * * *", T0, T0 + 300) == T0 + 300  # a time exactly now counts
    assert most_recent_time("*/5 * * * *", T0, T0 + 3599) == T0 + 3300
    assert most_recent_time("*/5 * * * *", T0 + 300, T0 + 300) is None  # already run
    assert next_time("*/5 * * * *", T0 + 300) == T0 + 600
    assert next_time("@hourly", T0 + 1) == T0 + 3600
    assert job_name("report", T0 + 300) == f"report-{int((T0 + 300) // 60)}"


def test_nothing_runs_before_the_first_time_and_it_wakes_then(setup: Any) -> None:
    client, controller, clock, wakes = setup
    client.put("cronjobs", cronjob())
    clock.now = T0 + 60
    sync(controller)
    assert not jobs(client) and wakes == [240.1]


def test_a_job_is_created_from_the_template_at_the_scheduled_time(setup: Any) -> None:
    client, controller, clock, wakes = setup
    client.put("cronjobs", cronjob())
    clock.now = T0 + 303
    sync(controller)
    name = job_name("report", T0 + 300)
    [job] = jobs(client).values()
    meta = job["metadata"]
    assert meta["name"] == name and meta["namespace"] == NS and meta["labels"] == {"app": "report"}
    assert meta["annotations"] == {"team": "data", SCHEDULED_AT: "2026-01-01T00:05:00Z"}
    assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "report", "uid": UID,
                                        "controller": True, "blockOwnerDeletion": True}]
    assert job["spec"]["backoffLimit"] == 2 and job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    s = status(client)
    assert s["lastScheduleTime"] == "2026-01-01T00:05:00Z"
    assert [(r["kind"], r["name"], r["uid"]) for r in s["active"]] == [("Job", name, meta["uid"])]
    assert wakes == [297.1]
    sync(controller)  # the same time again: nothing new, nothing rewritten
    assert len(client.writes("create", "jobs")) == 1 and len(client.writes("update_status", "cronjobs")) == 1


def test_after_missed_times_only_the_most_recent_runs(setup: Any) -> None:
    client, controller, clock, _ = setup
    client.put("cronjobs", cronjob())
    clock.now = T0 + 3600 + 30
    sync(controller)
    assert list(jobs(client)) == [job_name("report", T0 + 3600)]


def test_a_time_missed_by_more_than_the_starting_deadline_is_skipped(setup: Any) -> None:
    client, controller, clock, wakes = setup
    client.put("cronjobs", cronjob(startingDeadlineSeconds=30))
    clock.now = T0 + 300 + 31
    sync(controller)
    assert not jobs(client) and "lastScheduleTime" not in status(client)
    assert wakes == [round(600 - 331 + 0.1, 3)]
    clock.now = T0 + 600 + 29  # within the deadline
    sync(controller)
    assert list(jobs(client)) == [job_name("report", T0 + 600)]


def test_forbid_waits_for_the_running_job(setup: Any) -> None:
    client, controller, clock, _ = setup
    client.put("cronjobs", cronjob(concurrencyPolicy="Forbid"))
    clock.now = T0 + 300
    sync(controller)
    first = job_name("report", T0 + 300)
    clock.now = T0 + 600
    sync(controller)
    assert list(jobs(client)) == [first]
    done = copy.deepcopy(client.objects[("jobs", NS, first)])
    done["status"] = {"completionTime": rfc3339(T0 + 610),
                      "conditions": [{"type": "Complete", "status": "True"}]}
    client.put("jobs", done)
    clock.now = T0 + 620
    sync(controller)  # the 00:10 time was never met: it runs now
    assert sorted(jobs(client)) == sorted([first, job_name("report", T0 + 600)])
    s = status(client)
    assert s["lastSuccessfulTime"] == rfc3339(T0 + 610) and s["lastScheduleTime"] == rfc3339(T0 + 600)
    assert [r["name"] for r in s["active"]] == [job_name("report", T0 + 600)]


def test_replace_deletes_the_running_job_first(setup: Any) -> None:
    client, controller, clock, _ = setup
    deleted = record_deletes(client)
    client.put("cronjobs", cronjob(concurrencyPolicy="Replace"))
    clock.now = T0 + 300
    sync(controller)
    first = job_name("report", T0 + 300)
    clock.now = T0 + 600
    sync(controller)
    second = job_name("report", T0 + 600)
    assert list(jobs(client)) == [second]
    [(resource, name, options)] = deleted
    assert (resource, name, options["propagation_policy"]) == ("jobs", first, "Background")
    assert [r["name"] for r in status(client)["active"]] == [second]


def test_allow_runs_jobs_side_by_side(setup: Any) -> None:
    client, controller, clock, _ = setup
    client.put("cronjobs", cronjob())
    for minutes in (5, 10):
        clock.now = T0 + minutes * 60
        sync(controller)
    assert len(jobs(client)) == 2 and len(status(client)["active"]) == 2


def test_a_suspended_cronjob_starts_nothing(setup: Any) -> None:
    client, controller, clock, wakes = setup
    client.put("cronjobs", cronjob(suspend=True))
    clock.now = T0 + 900
    sync(controller)
    assert not jobs(client) and not wakes


def test_finished_jobs_beyond_the_history_limits_are_deleted_oldest_first(setup: Any) -> None:
    client, controller, clock, _ = setup
    deleted = record_deletes(client)
    for i in range(4):
        client.put("jobs", owned_job(f"ok-{i}", "Complete", started=T0 + 10 * i))
    for i in range(2):
        client.put("jobs", owned_job(f"bad-{i}", "Failed", started=T0 + 10 * i))
    client.put("jobs", owned_job("running"))
    client.put("cronjobs", cronjob(successfulJobsHistoryLimit=2))
    clock.now = T0 + 60
    sync(controller)
    assert sorted(d[1] for d in deleted) == ["bad-0", "ok-0", "ok-1"]
    assert sorted(jobs(client)) == ["bad-1", "ok-2", "ok-3", "running"]
    s = status(client)
    assert [r["name"] for r in s["active"]] == ["running"]
    assert s["lastSuccessfulTime"] == rfc3339(T0 + 30)


def test_a_job_that_already_exists_counts_as_run(setup: Any) -> None:
    client, controller, clock, _ = setup
    name = job_name("report", T0 + 300)
    client.put("jobs", {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS}})
    client.put("cronjobs", cronjob())
    clock.now = T0 + 300
    sync(controller)
    assert status(client)["lastScheduleTime"] == rfc3339(T0 + 300) and "active" not in status(client)
    assert not client.writes("create", "jobs")


def test_a_listed_job_that_is_gone_leaves_the_active_list(setup: Any) -> None:
    client, controller, clock, _ = setup
    cj = cronjob()
    cj["status"] = {"active": [{"kind": "Job", "name": "report-1", "namespace": NS, "uid": "uid-old"}],
                    "lastScheduleTime": rfc3339(T0)}
    client.put("cronjobs", cj)
    clock.now = T0 + 60
    sync(controller)
    assert "active" not in status(client)


def test_a_deleted_cronjob_is_ignored(setup: Any) -> None:
    client, controller, _, wakes = setup
    sync(controller)
    assert not client.actions and not wakes
