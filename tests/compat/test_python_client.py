"""The official Python client (`kubernetes` on PyPI) against a real kubelite
cluster brought up by `kubelite up`, with the kubeconfig `up` wrote: typed
CRUD, selectors, watches (with 410 Expired and resuming), the three patch
types, logs, and the dynamic client with its legacy discovery. The client
checks responses against the Kubernetes schema, so a required field we leave
out fails here."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, dynamic, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from etcdlite.client import EtcdClient  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.integration]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyclient") / "state"


@pytest.fixture(scope="module")
def api(state: Path) -> Iterator[client.ApiClient]:
    directory = state
    up = subprocess.run([sys.executable, "-m", "cli", "up", "--state-dir", str(directory), "--nodes", "1"],
                        capture_output=True, text=True, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        api_client = config.new_client_from_config(config_file=str(directory / "kubeconfig"))
        yield api_client
        api_client.close()
    finally:
        subprocess.run([sys.executable, "-m", "cli", "down", "--state-dir", str(directory)], capture_output=True,
                       timeout=120)


def pod(name: str, labels: dict[str, str] | None = None, text: str = "hi") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "main", "image": "python:3.11", "command": [
                "python3", "-c", f"import time; print({text!r}, flush=True); time.sleep(600)"]}]}}


def configmap(name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data}


def test_version_and_typed_crud_of_configmaps(api: client.ApiClient) -> None:
    info = client.VersionApi(api).get_code()
    assert info.git_version.startswith("v1.") and info.platform
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map("default", configmap("py-a", {"k": "v"}, {"team": "a"}))
    assert created.metadata.uid and created.metadata.resource_version and created.data == {"k": "v"}
    read = core.read_namespaced_config_map("py-a", "default")
    assert read.metadata.uid == created.metadata.uid
    read.data["k"] = "w"
    replaced = core.replace_namespaced_config_map("py-a", "default", read)
    assert replaced.data == {"k": "w"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    stale = read
    stale.metadata.resource_version = created.metadata.resource_version
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("py-a", "default", stale)
    assert conflict.value.status == 409
    core.delete_namespaced_config_map("py-a", "default")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("py-a", "default")
    assert missing.value.status == 404 and '"reason":"NotFound"' in missing.value.body.replace(" ", "")


def test_list_with_label_and_field_selectors(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    for name, team in (("py-s1", "x"), ("py-s2", "x"), ("py-s3", "y")):
        core.create_namespaced_config_map("default", configmap(name, {"n": name}, {"team": team}))
    names = sorted(c.metadata.name for c in core.list_namespaced_config_map("default", label_selector="team=x").items)
    assert names == ["py-s1", "py-s2"]
    by_name = core.list_namespaced_config_map("default", field_selector="metadata.name=py-s3").items
    assert [c.metadata.name for c in by_name] == ["py-s3"]
    page = core.list_namespaced_config_map("default", label_selector="team in (x,y)", limit=2)
    assert len(page.items) == 2 and page.metadata._continue
    rest = core.list_namespaced_config_map("default", label_selector="team in (x,y)", limit=2,
                                           _continue=page.metadata._continue)
    assert len(rest.items) == 1
    everywhere = client.CoreV1Api(api).list_config_map_for_all_namespaces(label_selector="team")
    assert len(everywhere.items) == 3


def test_watch_sends_current_objects_then_resumes_from_a_version(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", configmap("py-w", {"a": "1"}))
    seen: list[tuple[str, str]] = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                      field_selector="metadata.name=py-w", timeout_seconds=2):
        seen.append((event["type"], event["object"].metadata.name))
    assert seen == [("ADDED", "py-w")]  # no resourceVersion: the current objects first
    rv = core.read_namespaced_config_map("py-w", "default").metadata.resource_version
    core.patch_namespaced_config_map("py-w", "default", {"data": {"a": "2"}})
    core.delete_namespaced_config_map("py-w", "default")
    resumed = [(e["type"], e["object"].data) for e in watch.Watch().stream(
        core.list_namespaced_config_map, "default", field_selector="metadata.name=py-w", resource_version=rv,
        timeout_seconds=2)]
    assert [t for t, _ in resumed] == ["MODIFIED", "DELETED"]
    assert resumed[0][1] == {"a": "2"}


def test_watch_from_a_compacted_version_is_410_expired(api: client.ApiClient, state: Path) -> None:
    core = client.CoreV1Api(api)
    old = core.create_namespaced_config_map("default", configmap("py-old", {"a": "1"})).metadata.resource_version
    core.patch_namespaced_config_map("py-old", "default", {"data": {"a": "2"}})
    latest = core.patch_namespaced_config_map("py-old", "default", {"data": {"a": "3"}}).metadata.resource_version
    port = json.loads((state / "cluster.json").read_text())["ports"]["etcd-1"]

    async def compact() -> None:
        async with EtcdClient([f"127.0.0.1:{port}"]) as etcd:
            await etcd.compact(int(latest))
    asyncio.run(compact())
    with pytest.raises(ApiException) as expired:
        list(watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=old,
                                  timeout_seconds=2))
    assert expired.value.status == 410 and "too old resource version" in str(expired.value)


def test_the_three_patch_types(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", configmap("py-p", {"a": "1", "b": "2"}))
    strategic = core.patch_namespaced_config_map("py-p", "default", {"data": {"c": "3", "a": None}})
    assert strategic.data == {"b": "2", "c": "3"}
    json_patch = core.patch_namespaced_config_map("py-p", "default", [
        {"op": "replace", "path": "/data/b", "value": "two"}, {"op": "add", "path": "/metadata/labels",
                                                                "value": {"x": "y"}}])
    assert json_patch.data == {"b": "two", "c": "3"} and json_patch.metadata.labels == {"x": "y"}
    merged = core.patch_namespaced_config_map("py-p", "default", {"data": {"c": None}},
                                              _content_type="application/merge-patch+json")
    assert merged.data == {"b": "two"}
    with pytest.raises(ApiException) as bad:
        core.patch_namespaced_config_map("py-p", "default", [{"op": "test", "path": "/data/b", "value": "x"}])
    assert bad.value.status in (409, 422, 400)
    assert core.read_namespaced_config_map("py-p", "default").data == {"b": "two"}


def test_pod_status_and_logs(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod("default", pod("py-log", {"app": "py"}, "hello from python"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = core.read_namespaced_pod("py-log", "default")
        if current.status.phase == "Running":
            break
        time.sleep(0.3)
    assert current.status.phase == "Running" and current.spec.node_name == "node-1"
    pods = core.list_namespaced_pod("default", label_selector="app=py").items  # strict schema: imageID etc.
    assert [p.metadata.name for p in pods] == ["py-log"]
    while time.monotonic() < deadline:
        text = core.read_namespaced_pod_log("py-log", "default")
        if "hello" in text:
            break
        time.sleep(0.3)
    assert "hello from python" in text
    core.delete_namespaced_pod("py-log", "default", grace_period_seconds=0)


def test_dynamic_client_uses_legacy_discovery(api: client.ApiClient) -> None:
    dyn = dynamic.DynamicClient(api)
    configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
    dyn.create(configmaps, body=configmap("py-d", {"x": "1"}), namespace="default")
    got = configmaps.get(name="py-d", namespace="default")
    assert got.data.x == "1"
    roles = dyn.resources.get(api_version="rbac.authorization.k8s.io/v1", kind="Role")
    assert roles.namespaced
    configmaps.delete(name="py-d", namespace="default")


def test_every_kind_lists_through_the_strict_models(api: client.ApiClient) -> None:
    """The client decodes each list into its typed models, which refuse a
    response that lacks a required field or has one of the wrong type."""
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    assert [n.metadata.name for n in core.list_node().items] == ["node-1"]
    assert core.list_node().items[0].status.node_info.kubelet_version.startswith("v1.")
    assert "kube-system" in [n.metadata.name for n in core.list_namespace().items]
    events = core.list_event_for_all_namespaces().items
    assert all(e.involved_object is not None for e in events)
    assert client.CoordinationV1Api(api).list_namespaced_lease("kube-node-lease").items
    assert "cluster-admin" in [r.metadata.name for r in rbac.list_cluster_role().items]
    assert rbac.list_cluster_role_binding().items and rbac.list_role_for_all_namespaces() is not None
    assert rbac.list_role_binding_for_all_namespaces() is not None
    review = client.AuthorizationV1Api(api).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="list", resource="pods", namespace="default"))))
    assert review.status.allowed is True
    rules = client.AuthorizationV1Api(api).create_self_subject_rules_review(client.V1SelfSubjectRulesReview(
        spec=client.V1SelfSubjectRulesReviewSpec(namespace="default")))
    assert rules.status.resource_rules[0].verbs == ["*"]
