"""kubectl's workload verbs typed at `kubelite` against a cluster from
`kubelite up --nodes 2`, controller-manager included: create deployment ->
scale -> set image -> rollout status/history/undo, pause/resume/restart, the
create verbs for jobs, cronjobs, secrets and service accounts, `get all`, and
`delete --cascade`. Every line checked is the one kubectl 1.37 prints."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
SLEEP = ["python3", "-c", "import time; time.sleep(3600)"]


def kubelite(*args: str, state: Path | None = None, check: bool = True,
             timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if state is not None:
        env["KUBECONFIG"] = str(state / "kubeconfig")
    result = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, f"kubelite {' '.join(args)}:\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def get(state: Path, *args: str) -> Any:
    return json.loads(kubelite("get", *args, "-o", "json", state=state).stdout)


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def refused(state: Path, *args: str) -> str:
    """The one error line of a command that must fail with exit code 1."""
    result = kubelite(*args, state=state, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr.strip()


def rolled_out(state: Path, name: str) -> list[str]:
    lines = kubelite("rollout", "status", f"deployment/{name}", "--timeout=120s", state=state,
                     timeout=150).stdout.splitlines()
    assert lines[-1] == f'deployment "{name}" successfully rolled out', lines
    return lines


def template_images(state: Path, name: str) -> list[str]:
    deploy = get(state, "deployment", name)
    return [c["image"] for c in deploy["spec"]["template"]["spec"]["containers"]]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("workload-cli") / "state"
    try:
        out = kubelite("up", "--state-dir", str(directory), "--nodes", "2")
        assert "kubelite is up" in out.stdout
        # made first, so that its first firing (at most a minute away) overlaps the other tests
        kubelite("create", "cronjob", "minutely", "--image=python:3.11", "--schedule=*/1 * * * *", "--",
                 "python3", "-c", "print('fired')", state=directory)
        yield directory
    finally:
        kubelite("down", "--state-dir", str(directory), check=False)


def test_create_scale_set_image_and_roll_back(state: Path) -> None:
    created = kubelite("create", "deployment", "web", "--image=python:3.11", "--replicas=2", "--", *SLEEP,
                       state=state)
    assert created.stdout == "deployment.apps/web created\n"
    deploy = get(state, "deployment", "web")
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert deploy["spec"]["template"]["spec"]["containers"][0]["name"] == "python"
    rolled_out(state, "web")

    assert kubelite("scale", "deployment/web", "--replicas=3", state=state).stdout == "deployment.apps/web scaled\n"
    assert refused(state, "scale", "deployment", "web", "--replicas=4", "--current-replicas=2") == (
        "error: Expected replicas to be 2, was 3")
    rolled_out(state, "web")
    assert get(state, "deployment", "web")["status"]["availableReplicas"] == 3

    assert kubelite("set", "image", "deployment/web", "python=python:3.12", state=state).stdout == (
        "deployment.apps/web image updated\n")
    assert kubelite("set", "image", "deployment/web", "python=python:3.12", state=state).stdout == ""  # no change
    assert refused(state, "set", "image", "deployment/web", "nope=x") == 'error: unable to find container named "nope"'
    rolled_out(state, "web")
    assert template_images(state, "web") == ["python:3.12"]

    history = kubelite("rollout", "history", "deployment/web", state=state).stdout
    assert history == ("deployment.apps/web \n"
                       "REVISION  CHANGE-CAUSE\n"
                       "1         <none>\n"
                       "2         <none>\n\n")
    second = kubelite("rollout", "history", "deployment/web", "--revision=2", state=state).stdout
    assert second.startswith("deployment.apps/web with revision #2\nPod Template:\n  Labels:\tapp=web\n")
    assert "    Image:\tpython:3.12\n" in second
    assert refused(state, "rollout", "history", "deployment/web", "--revision=9") == (
        "error: unable to find the specified revision")

    assert kubelite("rollout", "undo", "deployment/web", state=state).stdout == "deployment.apps/web rolled back\n"
    rolled_out(state, "web")
    assert template_images(state, "web") == ["python:3.11"]
    assert "pod-template-hash" not in get(state, "deployment", "web")["spec"]["template"]["metadata"]["labels"]
    revisions = kubelite("rollout", "history", "deployment/web", state=state).stdout.splitlines()
    assert [line.split()[0] for line in revisions[2:] if line] == ["2", "3"]  # revision 1 came back as 3
    assert refused(state, "rollout", "undo", "deployment/web", "--to-revision=99") == (
        "error: unable to find specified revision 99 in history")
    assert kubelite("rollout", "undo", "deployment/web", "--to-revision=2", state=state).stdout == (
        "deployment.apps/web rolled back\n")
    rolled_out(state, "web")
    assert template_images(state, "web") == ["python:3.12"]


def test_rollout_status_follows_a_slow_rollout(state: Path) -> None:
    kubelite("create", "deployment", "slow", "--image=python:3.11", "--replicas=2", "--", *SLEEP, state=state)
    kubelite("patch", "deployment", "slow", "--type", "merge", "-p", '{"spec":{"minReadySeconds":3}}', state=state)
    rolled_out(state, "slow")
    kubelite("set", "image", "deployment/slow", "python=python:3.12", state=state)
    lines = rolled_out(state, "slow")
    # every new pod must stay ready 3s before it counts, so the watch sees the rollout progress
    assert any(line.startswith('Waiting for deployment "slow" rollout to finish: ') for line in lines), lines
    once = kubelite("rollout", "status", "deployment/slow", "--watch=false", state=state).stdout
    assert once == 'deployment "slow" successfully rolled out\n'


def test_pause_resume_and_restart(state: Path) -> None:
    kubelite("create", "deployment", "paused", "--image=python:3.11", "--", *SLEEP, state=state)
    rolled_out(state, "paused")
    assert kubelite("rollout", "pause", "deployment/paused", state=state).stdout == "deployment.apps/paused paused\n"
    assert get(state, "deployment", "paused")["spec"]["paused"] is True
    assert refused(state, "rollout", "pause", "deployment/paused") == (
        'error: deployments.apps "paused" is already paused')
    assert refused(state, "rollout", "restart", "deployment/paused") == (
        'error: deployments.apps "paused" can\'t restart paused deployment (run rollout resume first)')
    assert kubelite("rollout", "resume", "deployment", "paused", state=state).stdout == (
        "deployment.apps/paused resumed\n")
    assert refused(state, "rollout", "resume", "deployment/paused") == 'error: deployments.apps "paused" is not paused'
    assert kubelite("rollout", "restart", "deployment/paused", state=state).stdout == (
        "deployment.apps/paused restarted\n")
    annotations = get(state, "deployment", "paused")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    rolled_out(state, "paused")
    assert refused(state, "rollout", "status", "pod/nope") == 'Error from server (NotFound): pods "nope" not found'


def test_jobs_cronjobs_secrets_and_service_accounts(state: Path) -> None:
    assert kubelite("create", "cronjob", "tick", "--image=python:3.11", "--schedule=*/30 * * * *", "--", "python3",
                    "-c", "print('tick')", state=state).stdout == "cronjob.batch/tick created\n"
    assert kubelite("create", "job", "tick-now", "--from=cronjob/tick", state=state).stdout == (
        "job.batch/tick-now created\n")
    job = get(state, "job", "tick-now")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "tick", True)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python3", "-c", "print('tick')"]
    assert kubelite("create", "job", "once", "--image=python:3.11", "--", "python3", "-c", "print(1)",
                    state=state).stdout == "job.batch/once created\n"
    assert get(state, "job", "once")["spec"]["template"]["spec"]["restartPolicy"] == "Never"

    assert kubelite("create", "secret", "generic", "creds", "--from-literal=user=admin", "--from-literal=pw=s3=cr",
                    state=state).stdout == "secret/creds created\n"
    data = get(state, "secret", "creds")["data"]
    assert {k: base64.b64decode(v).decode() for k, v in data.items()} == {"user": "admin", "pw": "s3=cr"}
    assert kubelite("create", "secret", "docker-registry", "pull", "--docker-server=r.io", "--docker-username=u",
                    "--docker-password=p", state=state).stdout == "secret/pull created\n"
    pull = get(state, "secret", "pull")
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    assert json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]["r.io"]["auth"] == "dTpw"
    assert refused(state, "create", "secret", "generic", "creds", "--from-literal=a=b") == (
        'Error from server (AlreadyExists): secrets "creds" already exists')
    assert kubelite("create", "serviceaccount", "bot", state=state).stdout == "serviceaccount/bot created\n"
    assert kubelite("create", "sa", "bot2", "--dry-run=server", state=state).stdout == (
        "serviceaccount/bot2 created (server dry run)\n")
    assert kubelite("get", "sa", "bot2", state=state, check=False).returncode == 1


def test_get_all_lists_every_workload_kind(state: Path) -> None:
    kubelite("create", "deployment", "listed", "--image=python:3.11", "--", *SLEEP, state=state)
    rolled_out(state, "listed")
    blocks = kubelite("get", "all", state=state).stdout.rstrip("\n").split("\n\n")
    firsts = [block.splitlines()[1].split()[0].split("/")[0] for block in blocks]
    assert firsts[:3] == ["pod", "deployment.apps", "replicaset.apps"]
    assert all(block.splitlines()[0].startswith("NAME ") for block in blocks)
    names = kubelite("get", "all", "-o", "name", state=state).stdout.splitlines()
    assert "deployment.apps/listed" in names and any(n.startswith("replicaset.apps/listed-") for n in names)
    assert kubelite("get", "all", "-n", "kube-public", state=state).stderr == (
        "No resources found in kube-public namespace.\n")


def test_delete_cascade_modes(state: Path) -> None:
    for name in ("orphan", "fg"):
        kubelite("create", "deployment", name, "--image=python:3.11", "--", *SLEEP, state=state)
    for name in ("orphan", "fg"):
        rolled_out(state, name)
    assert kubelite("delete", "deployment", "orphan", "--cascade=orphan", state=state).stdout == (
        'deployment.apps "orphan" deleted\n')
    wait_for(lambda: [rs for rs in get(state, "replicasets", "-l", "app=orphan")["items"]
                      if not rs["metadata"].get("ownerReferences")], what="the orphaned ReplicaSet, ownerless")
    kubelite("delete", "replicasets", "-l", "app=orphan", state=state)  # background: its pods follow
    # foreground: the deployment is gone only after its ReplicaSet, and delete waits for that
    assert kubelite("delete", "deployment", "fg", "--cascade=foreground", "--timeout=90s", state=state).stdout == (
        'deployment.apps "fg" deleted\n')
    assert kubelite("get", "replicasets", "-l", "app=fg", "-o", "name", state=state).stdout == ""
    warned = kubelite("delete", "deployment", "nope", "--cascade=false", "--ignore-not-found", state=state)
    assert warned.stderr == ("warning: --cascade=false is deprecated (boolean value) and can be replaced with "
                             "--cascade=orphan.\n")


def test_a_cronjob_fires_on_schedule_and_its_job_completes(state: Path) -> None:
    def finished_job() -> dict[str, Any] | None:
        for job in get(state, "jobs")["items"]:
            owners = job["metadata"].get("ownerReferences") or []
            if any(o["kind"] == "CronJob" and o["name"] == "minutely" for o in owners):
                conditions = {c["type"]: c["status"] for c in job.get("status", {}).get("conditions") or []}
                if conditions.get("Complete") == "True":
                    return job
        return None
    job = wait_for(finished_job, timeout=150, what="a Job of cronjob/minutely to complete")
    assert job["metadata"]["name"].startswith("minutely-")
    # the Job's name carries its scheduled time in minutes, as the CronJob controller names them
    scheduled = int(job["metadata"]["name"].removeprefix("minutely-")) * 60
    assert time.time() - 300 < scheduled <= time.time()
    status = wait_for(lambda: (lambda s: s if s.get("lastSuccessfulTime") else None)(
        get(state, "cronjob", "minutely").get("status", {})), what="lastSuccessfulTime on the CronJob")
    assert status["lastScheduleTime"] <= status["lastSuccessfulTime"]
    pod = get(state, "pods", "-l", f"job-name={job['metadata']['name']}")["items"][0]
    assert kubelite("logs", pod["metadata"]["name"], state=state).stdout == "fired\n"
    kubelite("delete", "cronjob", "minutely", state=state)
