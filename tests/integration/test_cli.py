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
    """Still running: it exists and is not a zombie waiting for init to reap it."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


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
    assert status.splitlines()[0].split() == ["NAME", "COMPONENT", "PID", "ADDRESS", "STATE", "HEALTH", "ROLE"]
    rows = [line.split() for line in status.splitlines()[1:]]
    assert all(row[4] == "running" for row in rows) and len(rows) == 8
    etcd = [row for row in rows if row[1] == "etcdlite"]
    assert all(row[5] == "healthy" for row in etcd)
    assert sorted(row[6] for row in etcd) == ["follower", "follower", "leader"]


def test_get_nodes_prints_kubectl_columns(state: Path) -> None:
    lines = kubelite("get", "nodes", state=state).stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[:2] for line in lines[1:]] == [["node-1", "Ready"], ["node-2", "Ready"]]
    columns = kubelite("get", "nodes", "--sort-by", "{.metadata.name}", "-o", "custom-columns=NAME:.metadata.name,"
                       'READY:.status.conditions[?(@.type=="Ready")].status', state=state).stdout.splitlines()
    assert [line.split() for line in columns] == [["NAME", "READY"], ["node-1", "True"], ["node-2", "True"]]
    both = kubelite("get", "namespaces,nodes", state=state).stdout.split("\n\n")
    assert both[0].splitlines()[0].split() == ["NAME", "STATUS", "AGE"] and "namespace/default" in both[0]
    assert [line.split()[0] for line in both[1].splitlines()] == ["NAME", "node/node-1", "node/node-2"]
    names = kubelite("get", "no,ns", "-o", "name", state=state).stdout.splitlines()
    assert names[:2] == ["node/node-1", "node/node-2"] and "namespace/kube-system" in names


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
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    assert wide[1].split()[:3] == ["sleeper", "1/1", "Running"] and wide[1].split()[-2:] == ["<none>", "<none>"]
    nodes = kubelite("get", "nodes", "-o", "wide", state=state).stdout.splitlines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    assert nodes[1].split()[:3] == ["node-1", "Ready", "<none>"] and nodes[1].split()[-1] == "process://kubelite"
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
    (("apply", "-f", "-"), "apiVersion: v1\nkind: Widget\nmetadata:\n  name: x\n",
     'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind "Widget" '
     'in version "v1"'),
    (("apply", "-f", "-"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{name: c}]\n",
     'Error from server (Invalid): Pod "x" is invalid: spec.containers[0].image: Required value'),
    (("--server", "127.0.0.1:1", "get", "pods"), None,
     "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"),
    (("--server", "https://127.0.0.1:1", "get", "pods"), None,
     "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"),
    (("--certificate-authority", "/does/not/exist.crt", "get", "pods"), None,
     "error: unable to read certificate-authority /does/not/exist.crt: No such file or directory"),
    (("get", "pods", "-o", "table"), None,
     'error: unable to match a printer suitable for the output format "table", allowed formats are: '),
    (("get", "pods", "-o", "custom-columns=NAME"), None,
     "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
    (("get", "nodes", "--sort-by", ".spec.nope"), None,
     'error: couldn\'t find any field with path "{.spec.nope}" in the list of objects'),
    (("get", "pods", "--bogus"), None, "error: unknown flag: --bogus (see 'kubelite get --help')"),
    (("bogus",), None, 'error: unknown command "bogus" for "kubelite"'),
], ids=["not-found", "unknown-resource", "missing-file", "bad-yaml", "wrong-version", "unknown-kind", "invalid",
        "unreachable", "unreachable-https", "missing-ca-file", "bad-output", "bad-custom-columns", "bad-sort-by",
        "unknown-flag", "unknown-command"])
def test_user_mistakes_get_one_line_and_exit_1(state: Path, args: tuple[str, ...], stdin: str | None,
                                               message: str) -> None:
    result = kubelite(*args, state=state, stdin=stdin, check=False)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_dry_run_and_output_on_create_and_apply(state: Path) -> None:
    generated = kubelite("create", "namespace", "dry", "--dry-run=client", "-o", "yaml", state=state).stdout
    assert generated == "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dry\n"
    assert kubelite("create", "ns", "dry", "--dry-run=server", state=state).stdout == (
        "namespace/dry created (server dry run)\n")
    assert kubelite("get", "ns", "dry", state=state, check=False).returncode == 1
    assert kubelite("create", "role", "r", "--verb=get", "--resource=pods", "--dry-run", "-o", "name",
                    state=state).stdout == "role.rbac.authorization.k8s.io/r\n"
    manifest = pod_manifest("dry-pod")
    assert kubelite("apply", "-f", "-", "--dry-run=server", state=state, stdin=manifest).stdout == (
        "pod/dry-pod created (server dry run)\n")
    admitted = json.loads(kubelite("apply", "-f", "-", "--dry-run=server", "-o", "json", state=state,
                                   stdin=manifest).stdout)
    assert admitted["spec"]["restartPolicy"] == "Always"  # defaulted by the server's admission
    assert kubelite("get", "pod", "dry-pod", state=state, check=False).returncode == 1
    invalid = kubelite("apply", "-f", "-", "--dry-run=server", state=state, check=False,
                       stdin=manifest.replace("image: python:3.11", "image: ''"))
    assert (invalid.returncode, invalid.stderr.strip()) == (
        1, 'Error from server (Invalid): Pod "dry-pod" is invalid: spec.containers[0].image: Required value')
    kubelite("apply", "-f", "-", state=state, stdin=manifest)
    changed = manifest.replace("labels: {}", "labels: {dry: run}")
    for mode, suffix in (("client", "(dry run)"), ("server", "(server dry run)")):
        assert kubelite("apply", "-f", "-", f"--dry-run={mode}", state=state, stdin=changed).stdout == (
            f"pod/dry-pod configured {suffix}\n")
    assert json.loads(kubelite("get", "pod", "dry-pod", "-o", "json", state=state).stdout)["metadata"].get(
        "labels") in (None, {})
    kubelite("delete", "pod", "dry-pod", "--grace-period", "0", state=state)


def test_run_creates_a_pod_from_the_command_line(state: Path) -> None:
    created = kubelite("run", "quick", "--image=python:3.11", "--env", "WHO=kubelite", "--", "python3", "-c",
                       "import os, time; print('hi', os.environ['WHO'], flush=True); time.sleep(600)", state=state)
    assert created.stdout == "pod/quick created\n"
    kubelite("wait", "--for=condition=Ready", "pod/quick", "--timeout", "60s", state=state)
    pod = json.loads(kubelite("get", "pod", "quick", "-o", "json", state=state).stdout)
    assert pod["metadata"]["labels"] == {"run": "quick"} and pod["spec"]["containers"][0]["args"][0] == "python3"
    deadline = time.monotonic() + 10
    while kubelite("logs", "quick", state=state).stdout != "hi kubelite\n":
        assert time.monotonic() < deadline, "no log line"
        time.sleep(0.3)
    kubelite("delete", "pod", "quick", "--grace-period", "0", state=state)


def test_edit_saves_through_the_editor_or_keeps_the_changes(state: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("edited", "{tier: front}"))
    monkeypatch.setenv("KUBE_EDITOR", "sed -i s/tier:\\ front/tier:\\ back/")
    assert kubelite("edit", "pod", "edited", state=state).stdout == "pod/edited edited\n"
    assert kubelite("get", "pod", "edited", "-o", "jsonpath={.metadata.labels.tier}", state=state).stdout == "back"
    monkeypatch.setenv("KUBE_EDITOR", "true")
    unchanged = kubelite("edit", "pod/edited", state=state)
    assert unchanged.stderr == "Edit cancelled, no changes made.\n"
    monkeypatch.setenv("KUBE_EDITOR", "sed -i s/restartPolicy:\\ Always/restartPolicy:\\ Sometimes/")
    invalid = kubelite("edit", "pod", "edited", state=state, check=False)
    assert invalid.returncode == 1 and invalid.stderr.startswith('error: Pod "edited" is invalid: spec')
    assert len(invalid.stderr.splitlines()) == 1 and "; your changes are in " in invalid.stderr
    kept = Path(invalid.stderr.strip().rsplit(" ", 1)[-1])
    assert "restartPolicy: Sometimes" in kept.read_text()
    kept.unlink()
    assert kubelite("get", "pod", "edited", "-o", "jsonpath={.spec.restartPolicy}", state=state).stdout == "Always"
    kubelite("delete", "pod", "edited", "--grace-period", "0", state=state)


def test_patch_strategic_merge_and_json(state: Path) -> None:
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("patched", "{app: web}"))
    assert kubelite("patch", "pod", "patched", "-p", '{"metadata":{"labels":{"tier":"front"}}}',
                    state=state).stdout == "pod/patched patched\n"
    assert kubelite("patch", "pod/patched", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"front"}}}',
                    state=state).stdout == "pod/patched patched (no change)\n"
    assert kubelite("patch", "pod", "patched", "--type", "json", "-p",
                    '[{"op":"replace","path":"/spec/containers/0/image","value":"python:3.12"}]',
                    state=state).stdout == "pod/patched patched\n"
    assert kubelite("patch", "pod", "patched", "--dry-run=server", "-p", '{"metadata":{"labels":{"x":"y"}}}',
                    state=state).stdout == "pod/patched patched (server dry run)\n"
    pod = json.loads(kubelite("get", "pod", "patched", "-o", "json", state=state).stdout)
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert pod["spec"]["containers"][0]["image"] == "python:3.12"
    refused = kubelite("patch", "pod", "patched", "-p", '{"spec":{"restartPolicy":"Never"}}', state=state,
                       check=False)
    assert refused.returncode == 1 and refused.stderr.startswith('Error from server (Invalid): Pod "patched" is '
                                                                 "invalid: spec: Forbidden: pod updates may not")
    bad = kubelite("patch", "pod", "patched", "--type", "json", "-p", '[{"op":"remove","path":"/nope"}]',
                   state=state, check=False)
    # the server applies the patch now, with Kubernetes' (evanphx/json-patch's) words
    assert (bad.returncode, bad.stderr.strip()) == (1, "The request is invalid: error in remove for path: '/nope': "
                                                       "unable to remove nonexistent key: nope: missing value")
    kubelite("delete", "pod", "patched", "--grace-period", "0", state=state)


def test_label_and_annotate(state: Path) -> None:
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("labeled", "{app: web}"))
    labeled = kubelite("--trace", "label", "pod", "labeled", "tier=front", state=state)
    assert labeled.stdout == "pod/labeled labeled\n"
    # --trace on a verb that does not show a journey itself: every request it made
    assert [line for line in labeled.stderr.splitlines() if line.startswith("  journey")] == [
        "  journey of get pods/labeled:", "  journey of patch pods/labeled:"]
    clash = kubelite("label", "pod", "labeled", "tier=back", state=state, check=False)
    assert (clash.returncode, clash.stderr.strip()) == (
        1, "error: 'tier' already has a value (front), and --overwrite is false")
    assert kubelite("label", "pod/labeled", "tier=back", "--overwrite", state=state).stdout == "pod/labeled labeled\n"
    assert kubelite("get", "pods", "-l", "tier=back", "-o", "name", state=state).stdout == "pod/labeled\n"
    assert kubelite("label", "pod", "labeled", "tier-", state=state).stdout == "pod/labeled unlabeled\n"
    assert kubelite("label", "pod", "labeled", "tier-", state=state).stdout == "pod/labeled not labeled\n"
    assert kubelite("annotate", "pods", "-l", "app=web", "note=hi", state=state).stdout == "pod/labeled annotated\n"
    assert "note=hi" in kubelite("annotate", "pod", "labeled", "--list", state=state).stdout.splitlines()
    invalid = kubelite("label", "pod", "labeled", "bad=not valid", state=state, check=False)
    assert invalid.returncode == 1 and invalid.stderr.startswith('Error from server (Invalid): Pod "labeled" is '
                                                                 "invalid: metadata.labels")
    assert kubelite("label", "node", "node-1", "disktype=ssd", state=state).stdout == "node/node-1 labeled\n"
    assert kubelite("get", "nodes", "-l", "disktype=ssd", "-o", "name", state=state).stdout == "node/node-1\n"
    kubelite("label", "node", "node-1", "disktype-", state=state)
    kubelite("delete", "pod", "labeled", "--grace-period", "0", state=state)


def test_taint_keeps_new_pods_off_a_node(state: Path) -> None:
    assert kubelite("taint", "nodes", "node-1", "dedicated=lab:NoSchedule", state=state).stdout == (
        "node/node-1 tainted\n")
    try:
        taints = json.loads(kubelite("get", "node", "node-1", "-o", "json", state=state).stdout)["spec"]["taints"]
        assert {"key": "dedicated", "value": "lab", "effect": "NoSchedule"} in taints
        # three pods, which the scheduler would otherwise spread over both nodes
        manifests = "---\n".join(pod_manifest(f"untolerated-{i}", "{taint: test}") for i in range(3))
        kubelite("apply", "-f", "-", state=state, stdin=manifests)
        kubelite("wait", "--for=condition=PodScheduled", "pod", "-l", "taint=test", "--timeout", "60s", state=state)
        assert kubelite("get", "pods", "-l", "taint=test", "-o", "jsonpath={.items[*].spec.nodeName}",
                        state=state).stdout == "node-2 node-2 node-2"
        again = kubelite("taint", "node/node-1", "dedicated=other:NoSchedule", state=state, check=False)
        assert (again.returncode, again.stderr.strip()) == (
            1, "error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false")
    finally:
        untainted = kubelite("taint", "nodes", "node-1", "dedicated-", state=state, check=False)
    assert untainted.stdout == "node/node-1 untainted\n"
    kubelite("delete", "pods", "-l", "taint=test", "--grace-period", "0", state=state)


def test_tls_mistakes_read_like_kubectl(state: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "kubelite.pki", "init", "--dir", str(tmp_path / "other")], check=True,
                   capture_output=True)
    wrong_ca = kubelite("--certificate-authority", str(tmp_path / "other" / "ca.crt"), "get", "pods", state=state,
                        check=False)
    assert (wrong_ca.returncode, wrong_ca.stderr) == (
        1, "Unable to connect to the server: x509: certificate signed by unknown authority\n")
    etcd = f"127.0.0.1:{json.loads((state / 'cluster.json').read_text())['ports']['etcd-1']}"
    not_tls = kubelite("--server", etcd, "get", "pods", state=state, check=False)
    assert (not_tls.returncode, not_tls.stderr) == (
        1, f"Unable to connect to the server: tls: first record does not look like a TLS handshake ({etcd})\n")


def test_empty_list_says_no_resources_found(state: Path) -> None:
    result = kubelite("get", "pods", "-n", "kube-public", state=state)
    assert result.stderr.strip() == "No resources found in kube-public namespace."
    # as kubectl: -o json|yaml of nothing is an empty List on stdout, and no message
    listed = kubelite("get", "pods", "-n", "kube-public", "-o", "json", state=state)
    assert json.loads(listed.stdout) == {"apiVersion": "v1", "kind": "List", "items": [],
                                         "metadata": {"resourceVersion": ""}} and listed.stderr == ""


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
    assert "Kubernetes control plane is running at https://127.0.0.1:" in kubelite("cluster-info", state=state).stdout


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
    assert "raft index" in result.stderr and "committed in" in result.stderr
    assert "Scheduled: Successfully assigned default/traced to node-" in result.stderr
    assert "Started: Started container main" in result.stderr
    story = kubelite("trace", "pod/traced", state=state).stdout
    assert "Scheduled" in story and "Started" in story
    kubelite("delete", "pod", "traced", "--grace-period", "0", state=state)


def pod_manifest(name: str, labels: str = "{}", node: str = "") -> str:
    pinned = f"  nodeName: {node}\n" if node else ""
    return (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {labels}\nspec:\n{pinned}"
            "  containers:\n  - name: main\n    image: python:3.11\n    command: [\"sleep\", \"600\"]\n")


def test_wait_describe_jsonpath_and_labels(state: Path) -> None:
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("described", "{app: web, tier: front}"))
    waited = kubelite("wait", "--for=condition=Ready", "pod/described", "--timeout", "60s", state=state)
    assert waited.stdout == "pod/described condition met\n"
    text = kubelite("describe", "pod", "described", state=state).stdout
    assert text.splitlines()[0].split() == ["Name:", "described"]
    assert "Status:           Running" in text
    events = text.split("Events:")[1].splitlines()
    assert events[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    reasons = [line.split()[1] for line in events[3:]]
    assert reasons.index("Scheduled") < reasons.index("Started")
    node = kubelite("get", "pod", "described", "-o", "jsonpath={.spec.nodeName}", state=state).stdout
    assert node in ("node-1", "node-2")
    assert "described" in kubelite("describe", "node", node, state=state).stdout.split("Non-terminated Pods")[1]
    ready = kubelite("get", "pods", "-l", "app=web", "-o",
                     'jsonpath={range .items[*]}{.metadata.name}:{.status.conditions[?(@.type=="Ready")].status}'
                     '{"\\n"}{end}', state=state).stdout
    assert ready == "described:True\n"
    labels = kubelite("get", "pod", "described", "--show-labels", state=state).stdout.splitlines()
    assert labels[0].split()[-1] == "LABELS" and labels[1].split()[-1] == "app=web,tier=front"
    timed_out = kubelite("wait", "--for=condition=Nope", "pod/described", "--timeout", "1s", state=state,
                         check=False)
    assert timed_out.returncode == 1
    assert timed_out.stderr.strip() == "error: timed out waiting for the condition on pods/described"
    kubelite("delete", "pod", "described", "--now", state=state)


def test_get_watch_prints_a_row_per_change(state: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig")}
    watcher = subprocess.Popen([sys.executable, "-m", "cli", "get", "pods", "-l", "watched=yes", "-w"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(1.5)  # the watch is open once the (empty) list is printed; give the process time to start
        kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("watched", "{watched: 'yes'}"))
        seen: list[list[str]] = []
        assert watcher.stdout is not None
        while not any(row[2:3] == ["Running"] for row in seen):
            line = watcher.stdout.readline()
            assert line, watcher.stderr.read() if watcher.stderr else "watch ended"
            seen.append(line.split())
        assert all(row[0] == "watched" for row in seen)
        assert seen[0][2] == "Pending"
    finally:
        watcher.kill()
        watcher.wait()
    kubelite("delete", "pod", "watched", "--now", state=state)


def test_delete_by_selector_and_all_waits_until_gone(state: Path) -> None:
    for name in ("sel-a", "sel-b"):
        kubelite("apply", "-f", "-", state=state, stdin=pod_manifest(name, "{group: sel}"))
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("other", "{group: other}"))
    kubelite("wait", "--for=condition=Ready", "pods", "-l", "group=sel", "--timeout", "60s", state=state)
    out = kubelite("delete", "pods", "-l", "group=sel", state=state).stdout
    assert out == 'pod "sel-a" deleted\npod "sel-b" deleted\n'
    # --wait (the default) returned only once they were gone, as kubectl does
    left = kubelite("get", "pods", "-o", "name", state=state).stdout.split()
    assert "pod/sel-a" not in left and "pod/sel-b" not in left and "pod/other" in left
    assert kubelite("delete", "pods", "-l", "group=none", state=state).stderr.strip() == (
        "No resources found in default namespace.")
    named = kubelite("delete", "pods", "other", "-l", "group=x", state=state, check=False)
    assert named.returncode == 1 and "name cannot be provided when a selector is specified" in named.stderr
    kubelite("create", "namespace", "scratch", state=state)
    kubelite("apply", "-n", "scratch", "-f", "-", state=state, stdin=pod_manifest("s1"))
    assert kubelite("delete", "pods", "--all", "-n", "scratch", "--now", state=state).stdout == 'pod "s1" deleted\n'
    kubelite("delete", "pod", "other", "--now", state=state)


def test_drain_refuses_unmanaged_pods_then_evicts_them_with_force(state: Path) -> None:
    kubelite("apply", "-f", "-", state=state, stdin=pod_manifest("drained", node="node-2"))
    kubelite("wait", "--for=condition=Ready", "pod/drained", "--timeout", "60s", state=state)
    refused = kubelite("drain", "node-2", state=state, check=False)
    assert refused.returncode == 1
    assert "cannot delete Pods that declare no controller (use --force to override): default/drained" in (
        refused.stderr)
    out = kubelite("drain", "node-2", "--force", "--grace-period", "1", state=state).stdout
    assert "evicting pod default/drained" in out and out.endswith("pod/drained evicted\nnode/node-2 drained\n")
    assert "SchedulingDisabled" in kubelite("get", "node", "node-2", state=state).stdout
    assert "pod/drained" not in kubelite("get", "pods", "-o", "name", state=state).stdout
    kubelite("uncordon", "node-2", state=state)


def test_second_user_is_limited_by_a_rolebinding(state: Path) -> None:
    subprocess.run([sys.executable, "-m", "kubelite.pki", "user", "--dir", str(state / "pki"), "--name", "jane",
                    "--group", "developers"], check=True, capture_output=True)
    pki = state / "pki"
    assert kubelite("config", "set-credentials", "jane", "--client-certificate", str(pki / "user-jane.crt"),
                    "--client-key", str(pki / "user-jane.key"), state=state).stdout == 'User "jane" set.\n'
    assert kubelite("config", "set-context", "jane", "--cluster", "kubelite", "--user", "jane",
                    state=state).stdout == 'Context "jane" created.\n'
    denied = kubelite("--context", "jane", "get", "pods", state=state, check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User "jane" cannot list '
                                     'resource "pods" in API group "" in the namespace "default"')
    no = kubelite("--context", "jane", "auth", "can-i", "list", "pods", state=state, check=False)
    assert (no.returncode, no.stdout) == (1, "no\n")
    assert kubelite("auth", "can-i", "list", "pods", state=state).stdout == "yes\n"
    assert kubelite("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods",
                    state=state).stdout == "role.rbac.authorization.k8s.io/pod-reader created\n"
    assert kubelite("create", "rolebinding", "jane-reads", "--role=pod-reader", "--user=jane",
                    state=state).stdout == "rolebinding.rbac.authorization.k8s.io/jane-reads created\n"
    yes = kubelite("--context", "jane", "auth", "can-i", "list", "pods", state=state)
    assert yes.stdout == "yes\n"
    assert kubelite("--context", "jane", "get", "pods", state=state).returncode == 0
    assert kubelite("--context", "jane", "auth", "can-i", "delete", "pods", state=state, check=False
                    ).returncode == 1
    other_ns = kubelite("--context", "jane", "get", "pods", "-n", "kube-system", state=state, check=False)
    assert other_ns.returncode == 1 and "Forbidden" in other_ns.stderr
    bindings = kubelite("get", "rolebindings", "-o", "wide", state=state).stdout.splitlines()
    assert bindings[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS"]
    assert bindings[1].split()[:2] == ["jane-reads", "Role/pod-reader"]
    view = kubelite("--context", "jane", "config", "view", "--minify", state=state).stdout
    assert "name: jane" in view and "kubelite-admin" not in view


def test_as_impersonates_when_rbac_allows_impersonation(state: Path) -> None:
    denied = kubelite("--as", "bob", "get", "pods", state=state, check=False)
    assert (denied.returncode, denied.stderr.strip()) == (1, 'Error from server (Forbidden): pods is forbidden: User '
                                                          '"bob" cannot list resource "pods" in API group "" in the '
                                                          'namespace "default"')
    # kubectl's global flags also go after the verb
    assert kubelite("auth", "can-i", "list", "pods", "--as", "bob", state=state, check=False).stdout == "no\n"
    assert kubelite("auth", "can-i", "list", "pods", "--as", "bob", "--as-group", "system:masters",
                    state=state).stdout == "yes\n"
    assert kubelite("auth", "whoami", state=state).stdout.splitlines() == [
        "ATTRIBUTE   VALUE", "Username    kubelite-admin", "Groups      [system:masters system:authenticated]"]
    who = json.loads(kubelite("auth", "whoami", "-o", "json", "--as=bob", "--as-group=dev", state=state).stdout)
    assert who["kind"] == "SelfSubjectReview"
    assert who["status"]["userInfo"] == {"username": "bob", "groups": ["dev", "system:authenticated"]}
    traced = kubelite("--trace", "--as", "bob", "--as-group", "system:masters", "get", "pods", state=state)
    assert 'acting as user "bob" groups [system:masters,system:authenticated]' in traced.stderr
    # a refused request's journey says which stage refused it
    refused = kubelite("--trace", "--as", "bob", "get", "pods", state=state, check=False).stderr.splitlines()
    assert refused[0] == "  journey of list pods:" and refused[-1].startswith("Error from server (Forbidden)")
    assert [line.split()[:2] for line in refused[1:-1]][-1] == ["authorize", "denied"]
    audit = [json.loads(line) for line in (state / "logs" / "audit.log").read_text().splitlines()]
    assert any(a["user"] == "kubelite-admin" and a.get("impersonatedUser") == "bob" and a["resource"] == "pods"
               for a in audit)
    no_user = kubelite("--as-group", "system:masters", "get", "pods", state=state, check=False)
    assert (no_user.returncode, no_user.stderr.strip()) == (
        1, "error: requesting groups without impersonating a user: --as-group needs --as")
    subprocess.run([sys.executable, "-m", "kubelite.pki", "user", "--dir", str(state / "pki"), "--name", "mallory"],
                   check=True, capture_output=True)
    pki = state / "pki"
    kubelite("config", "set-credentials", "mallory", "--client-certificate", str(pki / "user-mallory.crt"),
             "--client-key", str(pki / "user-mallory.key"), state=state)
    kubelite("config", "set-context", "mallory", "--cluster", "kubelite", "--user", "mallory", state=state)
    escalate = kubelite("--context", "mallory", "--as", "kubelite-admin", "get", "pods", state=state, check=False)
    assert (escalate.returncode, escalate.stderr.strip()) == (
        1, 'Error from server (Forbidden): users "kubelite-admin" is forbidden: User "mallory" cannot impersonate '
           'resource "users" in API group "" at the cluster scope')


def test_version_and_an_expired_certificate(state: Path, tmp_path: Path) -> None:
    lines = kubelite("version", state=state).stdout.splitlines()
    assert lines[0].startswith("Client Version: v1.") and lines[1].startswith("Server Version: v1.")
    import datetime as dt

    from kubelite import pki
    old = pki.issue(pki.load(state / "pki", "ca"), "late", days=1,
                    not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    pki.write(tmp_path, "late", old)
    config = tmp_path / "late.yaml"
    config.write_text((state / "kubeconfig").read_text().replace("pki/admin.crt", str(tmp_path / "late.crt"))
                      .replace("pki/admin.key", str(tmp_path / "late.key"))
                      .replace("pki/ca.crt", str(state / "pki" / "ca.crt")))
    expired = kubelite("--kubeconfig", str(config), "get", "pods", check=False)
    assert expired.returncode == 1
    assert expired.stderr.startswith("Unable to connect to the server: x509: certificate has expired")
    assert len(expired.stderr.strip().splitlines()) == 1
