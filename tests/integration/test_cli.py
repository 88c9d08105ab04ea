"""The `kubelite` command as a user types it: `up` brings a whole cluster up as
real processes, kubectl verbs work against it with kubectl's output and error
lines, `down` stops every process by PID, and a second `up` keeps the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

POD = """apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  containers:
  - name: main
    image: python:3.11
    command: ["python3", "-c", "import time; print('hi', flush=True); time.sleep(600)"]
"""


def kubelite(*args: str, state: Path | None = None, stdin: str | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if state is not None:
        env["KUBECONFIG"] = str(state / "kubeconfig")
    result = subprocess.run([sys.executable, "-m", "cli", *args], input=stdin, capture_output=True, text=True,
                            env=env, timeout=180)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def pids(state: Path) -> list[int]:
    return list(json.loads((state / "cluster.json").read_text())["pids"].values())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("kubelite") / "state"
    try:
        out = kubelite("up", "--state-dir", str(directory), "--nodes", "2")
        assert "kubelite is up" in out.stdout and "nodes: 2/2 Ready" in out.stdout
        yield directory
    finally:
        kubelite("down", "--state-dir", str(directory), check=False)


def test_second_up_reports_the_running_cluster(state: Path) -> None:
    out = kubelite("up", "--state-dir", str(state))
    assert "already running" in out.stdout
    status = kubelite("status", "--state-dir", str(state)).stdout
    assert status.splitlines()[0].split() == ["NAME", "COMPONENT", "PID", "ADDRESS", "STATE"]
    assert status.count("running") == 8


def test_get_nodes_prints_kubectl_columns(state: Path) -> None:
    lines = kubelite("get", "nodes", state=state).stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[:2] for line in lines[1:]] == [["node-1", "Ready"], ["node-2", "Ready"]]


def test_apply_get_and_delete_a_pod(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    assert kubelite("apply", "-f", str(manifest), state=state).stdout == "pod/sleeper created\n"
    assert kubelite("apply", "-f", str(manifest), state=state).stdout == "pod/sleeper unchanged\n"
    deadline = time.monotonic() + 30
    while True:
        pod = json.loads(kubelite("get", "pod", "sleeper", "-o", "json", state=state).stdout)
        if pod["status"].get("phase") == "Running":
            break
        assert time.monotonic() < deadline, "sleeper did not start"
        time.sleep(0.3)
    wide = kubelite("get", "pods", "-o", "wide", state=state).stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert wide[1].split()[:3] == ["sleeper", "1/1", "Running"]
    assert kubelite("get", "pods", "-o", "name", state=state).stdout == "pod/sleeper\n"
    deadline = time.monotonic() + 10
    while kubelite("logs", "sleeper", state=state).stdout != "hi\n":
        assert time.monotonic() < deadline, "no log line"
        time.sleep(0.3)
    assert kubelite("logs", "pod/sleeper", "--tail", "1", state=state).stdout == "hi\n"
    assert kubelite("delete", "-f", str(manifest), state=state).stdout == 'pod "sleeper" deleted\n'


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("get", "pod", "nope"), None, 'Error from server (NotFound): pods "nope" not found'),
    (("get", "widgets"), None, 'error: the server doesn\'t have a resource type "widgets"'),
    (("apply", "-f", "/does/not/exist.yaml"), None, 'error: the path "/does/not/exist.yaml" does not exist'),
    (("apply", "-f", "-"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n", "error: error parsing STDIN: line 5"),
    (("apply", "-f", "-"), "apiVersion: v9\nkind: Pod\nmetadata:\n  name: x\n",
     'no matches for kind "Pod" in version "v9"'),
    (("apply", "-f", "-"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{name: c}]\n",
     'Error from server (Invalid): Pod "x" is invalid: spec.containers[0].image: Required value'),
    (("--server", "127.0.0.1:1", "get", "pods"), None,
     "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"),
], ids=["not-found", "unknown-resource", "missing-file", "bad-yaml", "wrong-version", "invalid", "unreachable"])
def test_user_mistakes_get_one_line_and_exit_1(state: Path, args: tuple[str, ...], stdin: str | None,
                                               message: str) -> None:
    result = kubelite(*args, state=state, stdin=stdin, check=False)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_empty_list_says_no_resources_found(state: Path) -> None:
    result = kubelite("get", "pods", "-n", "kube-public", state=state)
    assert result.stderr.strip() == "No resources found in kube-public namespace."


def test_down_stops_every_process_and_up_again_keeps_the_data(state: Path) -> None:
    kubelite("apply", "-f", "-", state=state, stdin="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n"
                                                    "data:\n  k: v\n")
    started = pids(state)
    kubelite("down", "--state-dir", str(state))
    assert not any(alive(pid) for pid in started)
    kubelite("up", "--state-dir", str(state))
    out = kubelite("get", "configmap", "keep", "-o", "json", state=state).stdout
    assert json.loads(out)["data"] == {"k": "v"}


def test_cordon_uncordon_namespaces_and_discovery(state: Path) -> None:
    assert kubelite("cordon", "node-2", state=state).stdout == "node/node-2 cordoned\n"
    assert "Ready,SchedulingDisabled" in kubelite("get", "node", "node-2", state=state).stdout
    assert kubelite("uncordon", "node-2", state=state).stdout == "node/node-2 uncordoned\n"
    assert kubelite("create", "namespace", "team-a", state=state).stdout == "namespace/team-a created\n"
    duplicate = kubelite("create", "namespace", "team-a", state=state, check=False)
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == 'Error from server (AlreadyExists): namespaces "team-a" already exists'
    resources = kubelite("api-resources", state=state).stdout.splitlines()
    assert resources[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert any(line.split()[:2] == ["pods", "po"] for line in resources)
    assert "Kubernetes control plane is running at" in kubelite("cluster-info", state=state).stdout


def test_kubeconfig_contexts(state: Path) -> None:
    assert kubelite("config", "current-context", state=state).stdout == "kubelite\n"
    contexts = kubelite("config", "get-contexts", state=state).stdout.splitlines()
    assert contexts[0].split() == ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
    assert contexts[1].split()[:2] == ["*", "kubelite"]
    assert kubelite("config", "use-context", "kubelite", state=state).stdout == 'Switched to context "kubelite".\n'
    missing = kubelite("config", "use-context", "nope", state=state, check=False)
    assert missing.returncode == 1 and 'no context exists with the name: "nope"' in missing.stderr
    other = kubelite("--context", "nope", "get", "pods", state=state, check=False)
    assert other.returncode == 1 and 'context "nope" does not exist' in other.stderr


def test_trace_shows_the_journey_and_the_pod_being_scheduled_and_started(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "traced.yaml"
    manifest.write_text(POD.replace("name: sleeper", "name: traced"))
    result = kubelite("--trace", "apply", "-f", str(manifest), state=state)
    stages = [line.split()[0] for line in result.stderr.splitlines() if line.startswith("    ") and "ms" in line]
    assert stages == ["authenticate", "audit", "authorize", "decode", "admit-mutating", "validate",
                      "admit-validating", "store"]
    assert "etcdlite revision" in result.stderr and "answered by member" in result.stderr
    assert "Scheduled: Successfully assigned default/traced to node-" in result.stderr
    assert "Started: Started container main" in result.stderr
    story = kubelite("trace", "pod/traced", state=state).stdout
    assert "Scheduled" in story and "Started" in story
    kubelite("delete", "pod", "traced", "--grace-period", "0", state=state)
