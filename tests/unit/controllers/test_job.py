"""The Job controller against the fake world: how many pods it keeps running
(parallelism, completions, work queues), the backoff between failed pods and
backoffLimit, the active deadline, suspension, the two-step finish
(SuccessCriteriaMet/FailureTarget then Complete/Failed), TTL after finishing,
and writing status only when it changed."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from controllers.job import JobController, backoff_delay
from controllers.pods import rfc3339
from kubelite.kinds.job import UID_LABEL

Obj = dict[str, Any]
NS = "default"
T0 = 1767225600.0  # 2026-01-01T00:00:00Z


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def job(name: str = "pi", **spec: Any) -> Obj:
    uid = f"uid-{name}"
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": NS, "uid": uid, "generation": 1},
            "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6,
                     "selector": {"matchLabels": {UID_LABEL: uid}},
                     "template": {"metadata": {"labels": {UID_LABEL: uid, "job-name": name}},
                                  "spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "pi", "image": "perl"}]}},
                     **spec}}


@pytest.fixture
def setup(world: Any) -> tuple[Any, JobController, Clock, list[float]]:
    client, informers = world
    clock = Clock()
    controller = JobController(client, informers, clock=clock)
    delays: list[float] = []
    controller.queue.add_after = lambda key, delay: delays.append(round(delay, 3))  # type: ignore[method-assign]
    return client, controller, clock, delays


def sync(controller: JobController, name: str = "pi") -> None:
    asyncio.run(controller.sync((NS, name)))


def pods(client: Any) -> list[Obj]:
    return sorted((o for (r, _, _), o in client.objects.items() if r == "pods"), key=lambda p: p["metadata"]["name"])


def running(client: Any) -> list[Obj]:
    return [p for p in pods(client) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def status(client: Any, name: str = "pi") -> Obj:
    return dict(client.objects[("jobs", NS, name)].get("status") or {})


def conditions(client: Any, name: str = "pi") -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in status(client, name).get("conditions") or []]


def finish(client: Any, pod: Obj, phase: str, at: float | None = None, **extra: Any) -> None:
    """The pod ended (as its node agent reports it)."""
    current = copy.deepcopy(client.objects[("pods", NS, pod["metadata"]["name"])])
    state = {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1, "finishedAt": rfc3339(at or T0)}}
    current["status"] = {"phase": phase, "containerStatuses": [{"name": "pi", "state": state}], **extra}
    asyncio.run(client.update_status("pods", current))


def test_pods_are_made_from_the_template_and_owned_by_the_job(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(parallelism=3, completions=5))
    sync(controller)
    made = pods(client)
    assert len(made) == 3
    meta = made[0]["metadata"]
    assert meta["name"].startswith("pi-") and meta["generateName"] == "pi-" and meta["namespace"] == NS
    assert meta["labels"] == {UID_LABEL: "uid-pi", "job-name": "pi"}
    assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "pi", "uid": "uid-pi",
                                        "controller": True, "blockOwnerDeletion": True}]
    assert made[0]["spec"]["containers"][0]["image"] == "perl"
    s = status(client)
    assert s["active"] == 3 and s["succeeded"] == 0 and s["failed"] == 0 and s["startTime"] == rfc3339(T0)


def test_parallel_pods_run_until_the_completions_are_reached(setup: Any) -> None:
    client, controller, clock, _ = setup
    client.put("jobs", job(parallelism=3, completions=5))
    sync(controller)
    for pod in pods(client)[:2]:
        finish(client, pod, "Succeeded")
    sync(controller)
    assert len(running(client)) == 3 and len(client.writes("create", "pods")) == 5
    assert status(client)["succeeded"] == 2
    clock.now = T0 + 42
    for pod in running(client):
        finish(client, pod, "Succeeded")
    sync(controller)
    assert len(client.writes("create", "pods")) == 5
    s = status(client)
    assert s["succeeded"] == 5 and s["active"] == 0
    assert conditions(client) == [("SuccessCriteriaMet", "True", "CompletionsReached"),
                                  ("Complete", "True", "CompletionsReached")]
    assert s["completionTime"] == rfc3339(T0 + 42)


def test_no_more_pods_run_than_completions_are_missing(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(parallelism=4, completions=2))
    sync(controller)
    assert len(pods(client)) == 2


def test_a_work_queue_finishes_once_one_pod_succeeded_and_none_runs(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(parallelism=2, completions=None))
    sync(controller)
    first, second = pods(client)
    finish(client, first, "Succeeded")
    sync(controller)
    assert len(client.writes("create", "pods")) == 2  # no new pod once one succeeded
    assert conditions(client) == []
    finish(client, second, "Succeeded")
    sync(controller)
    assert [c[0] for c in conditions(client)] == ["SuccessCriteriaMet", "Complete"]


def test_failed_pods_are_replaced_after_a_growing_backoff_until_the_limit(setup: Any) -> None:
    client, controller, clock, delays = setup
    client.put("jobs", job(backoffLimit=2))
    sync(controller)
    finish(client, pods(client)[0], "Failed", at=T0 + 5)
    clock.now = T0 + 5
    sync(controller)
    assert len(pods(client)) == 1 and delays == [10.0]  # the first retry waits 10 s
    assert status(client)["failed"] == 1
    clock.now = T0 + 15
    sync(controller)
    assert len(running(client)) == 1
    finish(client, running(client)[0], "Failed", at=T0 + 16)
    clock.now = T0 + 16
    sync(controller)
    assert delays[-1] == 20.0 and not running(client)  # doubled
    clock.now = T0 + 36
    sync(controller)
    finish(client, running(client)[0], "Failed", at=T0 + 40)
    clock.now = T0 + 40
    sync(controller)
    assert not running(client) and len(client.writes("create", "pods")) == 3
    s = status(client)
    assert s["failed"] == 3 and "completionTime" not in s
    assert conditions(client) == [("FailureTarget", "True", "BackoffLimitExceeded"),
                                  ("Failed", "True", "BackoffLimitExceeded")]
    assert s["conditions"][1]["message"] == "Job has reached the specified backoff limit"


def test_the_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n) for n in (0, 1, 2, 3)] == [0.0, 10.0, 20.0, 40.0]
    assert backoff_delay(10) == 360.0
    assert backoff_delay(3, base=0.5, cap=100) == 2.0


def test_a_success_resets_the_backoff(setup: Any) -> None:
    client, controller, clock, delays = setup
    client.put("jobs", job(completions=3))
    sync(controller)
    finish(client, pods(client)[0], "Failed", at=T0 + 1)
    clock.now = T0 + 20
    sync(controller)
    finish(client, running(client)[0], "Succeeded", at=T0 + 25)
    clock.now = T0 + 25
    sync(controller)
    assert len(running(client)) == 1 and not delays  # no failure since the last success


def test_restarts_of_on_failure_pods_count_against_the_backoff_limit(setup: Any) -> None:
    client, controller, _, _ = setup
    spec = job(backoffLimit=2)["spec"]
    spec["template"]["spec"]["restartPolicy"] = "OnFailure"
    client.put("jobs", job(**spec))
    sync(controller)
    pod = copy.deepcopy(pods(client)[0])
    pod["status"] = {"phase": "Running", "containerStatuses": [{"name": "pi", "restartCount": 2}]}
    asyncio.run(client.update_status("pods", pod))
    sync(controller)
    assert not pods(client)
    assert [c[2] for c in conditions(client)] == ["BackoffLimitExceeded", "BackoffLimitExceeded"]


def test_a_job_running_past_its_deadline_fails_and_its_pods_go(setup: Any) -> None:
    client, controller, clock, delays = setup
    client.put("jobs", job(parallelism=2, completions=4, activeDeadlineSeconds=30))
    sync(controller)
    assert len(pods(client)) == 2 and delays == [30.0]
    clock.now = T0 + 30
    sync(controller)
    assert not pods(client) and len(client.writes("delete", "pods")) == 2
    assert conditions(client) == [("FailureTarget", "True", "DeadlineExceeded"), ("Failed", "True", "DeadlineExceeded")]
    assert status(client)["conditions"][1]["message"] == "Job was active longer than specified deadline"
    assert status(client)["failed"] == 0  # pods the controller stopped are not failures


def test_a_finished_job_goes_its_ttl_after_completion(setup: Any) -> None:
    client, controller, clock, delays = setup
    deleted: list[tuple[str, str, dict[str, Any]]] = []
    real_delete = client.delete

    async def delete(resource: str, name: str, namespace: str = "", **options: Any) -> Obj:
        deleted.append((resource, name, options))
        result: Obj = await real_delete(resource, name, namespace, **options)
        return result

    client.delete = delete
    client.put("jobs", job(ttlSecondsAfterFinished=60))
    sync(controller)
    clock.now = T0 + 10
    finish(client, pods(client)[0], "Succeeded", at=T0 + 10)
    sync(controller)
    assert status(client)["completionTime"] == rfc3339(T0 + 10) and delays[-1] == 60.0
    clock.now = T0 + 50
    sync(controller)
    assert ("jobs", NS, "pi") in client.objects and delays[-1] == 20.0
    clock.now = T0 + 70
    sync(controller)
    assert ("jobs", NS, "pi") not in client.objects
    assert deleted[-1][:2] == ("jobs", "pi") and deleted[-1][2]["propagation_policy"] == "Background"


def test_a_suspended_job_runs_nothing_until_resumed(setup: Any) -> None:
    client, controller, clock, _ = setup
    client.put("jobs", job(parallelism=2, completions=2))
    sync(controller)
    assert len(pods(client)) == 2
    suspended = copy.deepcopy(client.objects[("jobs", NS, "pi")])
    suspended["spec"]["suspend"] = True
    client.put("jobs", suspended)
    clock.now = T0 + 5
    sync(controller)
    assert not pods(client)
    assert conditions(client) == [("Suspended", "True", "JobSuspended")]
    assert status(client)["failed"] == 0
    resumed = copy.deepcopy(client.objects[("jobs", NS, "pi")])
    resumed["spec"]["suspend"] = False
    client.put("jobs", resumed)
    clock.now = T0 + 100
    sync(controller)
    assert len(pods(client)) == 2
    assert conditions(client) == [("Suspended", "False", "JobResumed")]
    assert status(client)["startTime"] == rfc3339(T0 + 100)


def test_a_job_created_suspended_has_no_start_time(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(suspend=True))
    sync(controller)
    assert not pods(client) and "startTime" not in status(client)


def test_pods_still_running_when_the_job_succeeds_are_deleted(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(parallelism=2, completions=2))
    sync(controller)
    stale = copy.deepcopy(job(parallelism=2, completions=2))
    spec = job(parallelism=2, completions=1)["spec"]
    client.put("jobs", {**stale, "spec": spec})  # fewer completions: one pod is a straggler
    finish(client, pods(client)[0], "Succeeded")
    sync(controller)
    assert len(pods(client)) == 1 and not running(client)
    assert [c[0] for c in conditions(client)] == ["SuccessCriteriaMet", "Complete"]


def test_expectations_keep_it_from_creating_twice(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(parallelism=2, completions=2))
    informers, client.informers = client.informers, None  # the informer does not see the creates yet
    sync(controller)
    sync(controller)
    client.informers = informers
    assert len(client.writes("create", "pods")) == 2


def test_status_is_written_only_when_it_changed(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job())
    sync(controller)
    sync(controller)
    assert len(client.writes("update_status", "jobs")) == 1


def test_a_succeeded_pod_that_was_deleted_still_counts(setup: Any) -> None:
    client, controller, _, _ = setup
    client.put("jobs", job(completions=2))
    sync(controller)
    first = pods(client)[0]
    finish(client, first, "Succeeded")
    sync(controller)
    asyncio.run(client.delete("pods", first["metadata"]["name"], NS))
    sync(controller)
    assert status(client)["succeeded"] == 1 and len(client.writes("create", "pods")) == 2


def test_a_deleted_job_is_forgotten(setup: Any) -> None:
    client, controller, _, _ = setup
    sync(controller, "gone")
    assert not client.actions
