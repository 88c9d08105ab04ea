"""The API server as a real process over a real three-replica etcdlite: the
Kubernetes verbs, errors with Kubernetes wording, watches, RBAC, the node
authorizer, TLS and token authentication, audit and the request's journey."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdlite.localcluster import LocalCluster
from kubelite.client import ApiClient, Credentials
from kubelite.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
    StatusError,
    Unauthorized,
)
from kubelite.localapiserver import LocalApiServer
from kubelite.pki import issue, load, make_ca, write

pytestmark = pytest.mark.integration

NGINX = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"},
         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}]}}
NGINX_RESOURCES = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "frontend"},
                   "spec": {"containers": [{"name": "app", "image": "images.my-company.example/app:v4",
                                            "resources": {"requests": {"memory": "64Mi", "cpu": "250m"},
                                                          "limits": {"memory": "128Mi", "cpu": "500m"}}}]}}


def pod(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory, shared_etcdlite: LocalCluster) -> Iterator[LocalApiServer]:
    server = LocalApiServer(tmp_path_factory.mktemp("apiserver"), shared_etcdlite.endpoints)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def with_client(server: LocalApiServer, body: Any, stem: str = "admin") -> Any:
    async with server.client(stem) as client:
        return await body(client)


def test_docs_nginx_pods_apply_and_come_back_defaulted(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        for manifest in (NGINX, NGINX_RESOURCES):
            created = await c.create("pods", manifest, "default")
            meta, spec = created["metadata"], created["spec"]
            assert meta["uid"] and meta["creationTimestamp"] and int(meta["resourceVersion"]) > 0
            assert spec["restartPolicy"] == "Always" and spec["terminationGracePeriodSeconds"] == 30
            assert created["status"]["phase"] == "Pending"
            got = await c.get("pods", meta["name"], "default")
            assert got == created
        guaranteed = await c.get("pods", "frontend", "default")
        assert guaranteed["status"]["qosClass"] == "Burstable"
    run(with_client(apiserver, body))


def test_errors_read_like_kubernetes(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("pods", pod("dup"), "default")
        with pytest.raises(AlreadyExists, match='pods "dup" already exists'):
            await c.create("pods", pod("dup"), "default")
        with pytest.raises(NotFound, match='pods "ghost" not found'):
            await c.get("pods", "ghost", "default")
        bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
               "spec": {"restartPolicy": "Sometimes", "containers": [{"name": "a"}, {"name": "a", "image": "x"}]}}
        with pytest.raises(Invalid) as caught:
            await c.create("pods", bad, "default")
        fields = {cause["field"] for cause in caught.value.causes}
        assert fields == {"spec.containers[0].image", "spec.containers[1].name", "spec.restartPolicy"}
        assert str(caught.value).startswith('Pod "bad" is invalid: [')
        with pytest.raises(Invalid, match=r'unknown field "spec\.colour"'):
            await c.create("pods", {**pod("x"), "spec": {**pod("x")["spec"], "colour": "blue"}}, "default")
        with pytest.raises(NotFound, match='namespaces "nope" not found'):
            await c.create("pods", pod("lost"), "nope")
        with pytest.raises(BadRequest, match='no matches for kind "Pdo"'):
            await c.create("pods", {**pod("y"), "kind": "Pdo"}, "default")
        with pytest.raises(NotFound):
            await c.get("pods", "dup", "nope")
    run(with_client(apiserver, body))


def test_update_is_compare_and_swap_on_resource_version(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        created = await c.create("pods", pod("cas"), "default")
        created["metadata"]["labels"] = {"v": "1"}
        updated = await c.update("pods", created)
        assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
        created["metadata"]["labels"] = {"v": "stale"}
        with pytest.raises(Conflict, match='Operation cannot be fulfilled on pods "cas": the object has been '
                                           "modified; please apply your changes to the latest version"):
            await c.update("pods", created)
        del updated["metadata"]["resourceVersion"]
        with pytest.raises(Invalid, match=r"metadata\.resourceVersion"):
            await c.update("pods", updated)
        fresh = await c.get("pods", "cas", "default")
        fresh["spec"]["restartPolicy"] = "Never"
        with pytest.raises(Invalid, match="pod updates may not change fields"):
            await c.update("pods", fresh)
    run(with_client(apiserver, body))


def test_patch_and_status_subresource(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("pods", pod("patched", {"app": "a"}), "default")
        patched = await c.patch("pods", "patched", {"metadata": {"labels": {"app": None, "tier": "web"}}},
                                "default")
        assert patched["metadata"]["labels"] == {"tier": "web"}
        current = await c.get("pods", "patched", "default")
        current["status"] = {"phase": "Running", "hostIP": "10.0.0.1"}
        current["spec"]["nodeName"] = "sneaky"  # ignored: the status subresource writes only .status
        written = await c.update_status("pods", current)
        assert written["status"]["phase"] == "Running" and "nodeName" not in written["spec"]
        status_patch = await c.patch("pods", "patched", {"status": {"podIP": "10.1.0.5"}}, "default", status=True)
        assert status_patch["status"]["podIP"] == "10.1.0.5" and status_patch["status"]["phase"] == "Running"
    run(with_client(apiserver, body))


def test_list_filters_and_pages(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "paging"}})
        for i in range(7):
            await c.create("pods", pod(f"p{i}", {"batch": "odd" if i % 2 else "even"}), "paging")
        odd = await c.list("pods", "paging", label_selector="batch=odd")
        assert [p["metadata"]["name"] for p in odd["items"]] == ["p1", "p3", "p5"]
        assert odd["kind"] == "PodList" and odd["metadata"]["resourceVersion"]
        named = await c.list("pods", "paging", field_selector="metadata.name=p4")
        assert [p["metadata"]["name"] for p in named["items"]] == ["p4"]
        names, token = [], ""
        while True:
            page = await c.list("pods", "paging", limit=3, continue_token=token)
            names += [p["metadata"]["name"] for p in page["items"]]
            token = page["metadata"].get("continue", "")
            if not token:
                break
        assert names == [f"p{i}" for i in range(7)]
        with pytest.raises(BadRequest, match="field label not supported"):
            await c.list("pods", "paging", field_selector="spec.colour=blue")
        with pytest.raises(BadRequest):
            await c.list("pods", "paging", label_selector="a in (")
    run(with_client(apiserver, body))


def test_bind_assigns_once_and_delete_is_graceful_for_bound_pods(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        created = await c.create("pods", pod("bindme"), "default")
        bound = await c.bind("default", "bindme", "node-1", created["metadata"]["uid"])
        assert bound["spec"]["nodeName"] == "node-1"
        assert any(cond["type"] == "PodScheduled" and cond["status"] == "True"
                   for cond in bound["status"]["conditions"])
        with pytest.raises(Conflict, match='pod bindme is already assigned to node "node-1"'):
            await c.bind("default", "bindme", "node-2")
        terminating = await c.delete("pods", "bindme", "default")
        assert terminating["metadata"]["deletionTimestamp"] and terminating["metadata"][
            "deletionGracePeriodSeconds"] == 30
        assert (await c.get("pods", "bindme", "default"))["metadata"]["deletionTimestamp"]
        await c.delete("pods", "bindme", "default", grace_period_seconds=0)
        with pytest.raises(NotFound):
            await c.get("pods", "bindme", "default")
        await c.create("pods", pod("unbound"), "default")
        await c.delete("pods", "unbound", "default")
        with pytest.raises(NotFound):
            await c.get("pods", "unbound", "default")
    run(with_client(apiserver, body))


def test_watch_delivers_added_modified_deleted_and_honours_selectors(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        start = (await c.list("pods", "default"))["metadata"]["resourceVersion"]
        events: list[tuple[str, str]] = []

        async def follow() -> None:
            async for kind, obj in c.watch("pods", "default", label_selector="watched=yes", resource_version=start):
                events.append((kind, obj["metadata"]["name"]))
                if len(events) == 4:
                    return

        task = asyncio.create_task(follow())
        await c.create("pods", pod("w1", {"watched": "yes"}), "default")
        await c.create("pods", pod("w2", {"watched": "no"}), "default")
        await c.patch("pods", "w2", {"metadata": {"labels": {"watched": "yes"}}}, "default")
        await c.patch("pods", "w1", {"metadata": {"labels": {"extra": "1"}}}, "default")
        await c.delete("pods", "w1", "default")
        await asyncio.wait_for(task, 10)
        assert events == [("ADDED", "w1"), ("ADDED", "w2"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    run(with_client(apiserver, body))


def test_watch_from_a_compacted_resource_version_is_expired(apiserver: LocalApiServer,
                                                            shared_etcdlite: LocalCluster) -> None:
    async def body(c: ApiClient) -> None:
        old = (await c.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm1"},
                                             "data": {"a": "1"}}, "default"))["metadata"]["resourceVersion"]
        newer = await c.patch("configmaps", "cm1", {"data": {"a": "2"}}, "default")
        from etcdlite.client import EtcdClient

        async with EtcdClient(shared_etcdlite.endpoints) as etcd:
            await etcd.compact(int(newer["metadata"]["resourceVersion"]))
        with pytest.raises(Expired, match="too old resource version"):
            async for _ in c.watch("configmaps", "default", resource_version=str(int(old) - 1)):
                pass
    run(with_client(apiserver, body))


def test_rbac_denies_then_a_rolebinding_allows_in_its_namespace(apiserver: LocalApiServer) -> None:
    async def body(admin: ApiClient) -> None:
        await admin.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
        async with apiserver.client("user:bob:devs") as bob:
            with pytest.raises(Forbidden, match='pods is forbidden: User "bob" cannot create resource "pods" in '
                                                'API group "" in the namespace "dev"'):
                await bob.create("pods", pod("bobs"), "dev")
            await admin.create("rolebindings", {
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "devs-edit", "namespace": "dev"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [{"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}]}, "dev")
            for _ in range(50):  # the authorizer's cache follows a watch
                try:
                    await bob.create("pods", pod("bobs"), "dev")
                    break
                except Forbidden:
                    await asyncio.sleep(0.1)
            assert (await bob.get("pods", "bobs", "dev"))["metadata"]["name"] == "bobs"
            authz = next(s for s in bob.last_trace if s["stage"] == "authorize")
            assert 'RoleBinding "devs-edit"' in authz["detail"]
            with pytest.raises(Forbidden, match='in the namespace "default"'):
                await bob.create("pods", pod("bobs"), "default")
            with pytest.raises(Forbidden, match='nodes is forbidden: User "bob" cannot list resource "nodes" in '
                                                'API group "" at the cluster scope'):
                await bob.list("nodes")
    run(with_client(apiserver, body))


def test_node_agent_may_touch_only_its_own_pods(apiserver: LocalApiServer) -> None:
    async def body(admin: ApiClient) -> None:
        for name, node in (("on-1", "node-1"), ("on-2", "node-2")):
            await admin.create("pods", pod(name), "default")
            await admin.bind("default", name, node)
        async with apiserver.client("node-node-1") as kubelet:
            mine = await kubelet.get("pods", "on-1", "default")
            mine["status"] = {"phase": "Running"}
            assert (await kubelet.update_status("pods", mine))["status"]["phase"] == "Running"
            with pytest.raises(Forbidden, match="no relationship found between node 'node-1'"):
                await kubelet.get("pods", "on-2", "default")
            with pytest.raises(Forbidden):
                await kubelet.patch("pods", "on-2", {"status": {"phase": "Failed"}}, "default", status=True)
            with pytest.raises(Forbidden, match=r"spec\.nodeName=node-1"):
                await kubelet.list("pods", "default")
            listed = await kubelet.list("pods", "default", field_selector="spec.nodeName=node-1")
            assert {p["metadata"]["name"] for p in listed["items"]} == {"on-1"}
            lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
                     "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}
            await kubelet.create("leases", lease, "kube-node-lease")
            with pytest.raises(Forbidden):
                await kubelet.create("leases", {**lease, "metadata": {"name": "node-2",
                                                                      "namespace": "kube-node-lease"}},
                                     "kube-node-lease")
    run(with_client(apiserver, body))


def test_request_journey_and_audit_line(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        await c.create("pods", pod("traced"), "default")
        stages = [s["stage"] for s in c.last_trace]
        assert stages == ["authenticate", "audit", "authorize", "decode", "admit-mutating", "validate",
                          "admit-validating", "store"]
        assert "etcdlite revision" in c.last_trace[-1]["detail"]
    run(with_client(apiserver, body))
    lines = [json.loads(line) for line in apiserver.audit_log.read_text().splitlines()]
    mine = [line for line in lines if line["name"] == "traced" and line["verb"] == "create"]
    assert mine and mine[-1]["user"] == "kubelite-admin" and mine[-1]["decision"] == "allow"
    assert mine[-1]["code"] == 200 and mine[-1]["latencyMs"] > 0


def test_foreign_and_expired_certificates_and_no_credentials_are_refused(apiserver: LocalApiServer,
                                                                         tmp_path: Path) -> None:
    foreign = make_ca("someone-else")
    write(tmp_path, "foreign", issue(foreign, "mallory", ("system:masters",)))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    write(tmp_path, "expired", issue(load(apiserver.pki, "ca"), "old-admin", ("system:masters",), days=1,
                                     not_before=past))
    ca = str(apiserver.pki / "ca.crt")
    attempts = [Credentials.from_files(ca, str(tmp_path / "foreign.crt"), str(tmp_path / "foreign.key")),
                Credentials.from_files(ca, str(tmp_path / "expired.crt"), str(tmp_path / "expired.key")),
                Credentials.from_files(ca)]

    async def attempt(creds: Credentials) -> None:
        async with ApiClient(apiserver.endpoint, creds, timeout=5) as c:
            with pytest.raises((ServiceUnavailable, Unauthorized)):
                await c.list("pods", "default")

    for creds in attempts:
        run(attempt(creds))


def test_bearer_tokens_authenticate_on_a_tls_only_server(tmp_path: Path, shared_etcdlite: LocalCluster) -> None:
    server = LocalApiServer(tmp_path / "tokens", shared_etcdlite.endpoints, client_ca=False,
                            tokens={"s3cret-admin": ("token-admin", "1", ("system:masters",))})
    try:
        server.start()
    except TimeoutError:
        pytest.fail("token-only apiserver did not come up")
    try:
        async def body() -> None:
            async with server.client(token="s3cret-admin") as good:
                assert (await good.list("namespaces"))["items"]
            async with server.client(token="wrong") as bad:
                with pytest.raises(Unauthorized, match="Unauthorized"):
                    await bad.list("namespaces")
        run(body())
    finally:
        server.stop()


ANY_RPC = ["Create", "Get", "List", "Update", "UpdateStatus", "Patch", "Delete", "Bind"]


@pytest.mark.parametrize("method", ANY_RPC)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=80))
def test_garbage_to_every_rpc_gets_a_deliberate_status(apiserver: LocalApiServer, method: str,
                                                       payload: bytes) -> None:
    creds = apiserver.credentials()
    channel_creds = grpc.ssl_channel_credentials(creds.ca_cert, creds.client_key, creds.client_cert)
    with grpc.secure_channel(apiserver.endpoint, channel_creds) as channel:
        try:
            channel.unary_unary(f"/kubelite.v1.Api/{method}")(payload, timeout=10)
            code = grpc.StatusCode.OK
        except grpc.RpcError as err:
            code = err.code()  # type: ignore[attr-defined]
    assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), f"{method}({payload!r}) -> {code}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=4), max_leaves=12))
def test_random_json_objects_never_fail_internally_or_write(apiserver: LocalApiServer, doc: Any) -> None:
    async def body(c: ApiClient) -> None:
        before = (await c.list("pods", "default"))["items"]
        try:
            await c.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fuzz"}, "spec": doc}
                           if isinstance(doc, dict) else doc, "default", dry_run=True)
        except StatusError as err:
            assert err.reason != "InternalError", err.message
        after = (await c.list("pods", "default"))["items"]
        assert [p["metadata"]["name"] for p in after] == [p["metadata"]["name"] for p in before]
    run(with_client(apiserver, body))


def test_watch_resumes_across_an_etcdlite_leader_kill_without_gaps_or_duplicates(
        tmp_path: Path, etcdlite_cluster: LocalCluster) -> None:
    server = LocalApiServer(tmp_path / "resume", etcdlite_cluster.endpoints,
                            extra_args=["--watch-bookmark-interval", "0.5"])
    server.start()
    try:
        async def body() -> None:
            async with server.client() as c:
                start = (await c.list("configmaps", "default"))["metadata"]["resourceVersion"]
                seen: list[str] = []
                last_rv = start

                async def follow(since: str) -> None:
                    nonlocal last_rv
                    async for kind, obj in c.watch("configmaps", "default", resource_version=since,
                                                   allow_bookmarks=True):
                        last_rv = obj["metadata"]["resourceVersion"]
                        if kind == "ADDED":
                            seen.append(obj["metadata"]["name"])
                        if len(seen) == 20:
                            return

                async def create(names: range) -> None:
                    for i in names:
                        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i:02d}"}}
                        for _ in range(100):  # writes during the election may fail: retry, as a controller would
                            try:
                                await c.create("configmaps", cm, "default")
                                break
                            except AlreadyExists:
                                break
                            except StatusError:
                                await asyncio.sleep(0.1)

                watcher = asyncio.create_task(follow(start))
                await create(range(10))
                etcdlite_cluster.kill_member(etcdlite_cluster.leader() or "etcd-1")
                await create(range(10, 20))
                try:
                    await asyncio.wait_for(asyncio.shield(watcher), 15)
                except (TimeoutError, StatusError):
                    # the stream broke with the replica it was on: resume from the last resourceVersion
                    watcher.cancel()
                    await asyncio.wait_for(follow(last_rv), 20)
                assert seen == [f"cm-{i:02d}" for i in range(20)]
        run(body())
    finally:
        server.stop()


def test_bookmarks_carry_the_current_resource_version(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        listed = await c.list("leases", "kube-system")
        async for kind, obj in c.watch("leases", "kube-system", resource_version=listed["metadata"]["resourceVersion"],
                                       allow_bookmarks=True):
            assert kind == "BOOKMARK"
            assert int(obj["metadata"]["resourceVersion"]) >= int(listed["metadata"]["resourceVersion"])
            return
    # the shared server uses the default 60 s interval; a dedicated one is faster
    server = LocalApiServer(apiserver.base_dir / "bookmarks", apiserver.etcd_endpoints,
                            extra_args=["--watch-bookmark-interval", "0.3"])
    server.start()
    try:
        run(asyncio.wait_for(with_client(server, body), 10))
    finally:
        server.stop()


def test_two_api_servers_share_one_store(apiserver: LocalApiServer) -> None:
    second = LocalApiServer(apiserver.base_dir / "second", apiserver.etcd_endpoints)
    # same PKI, so the same admin certificate works on both
    second.base_dir.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(apiserver.pki, second.pki, dirs_exist_ok=True)
    second.start()
    try:
        async def body() -> None:
            async with apiserver.client() as one, second.client() as two:
                created = await one.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": "shared"}, "data": {"k": "1"}},
                                           "default")
                got = await two.get("configmaps", "shared", "default")
                assert got["metadata"]["uid"] == created["metadata"]["uid"]
                got["data"]["k"] = "2"
                await two.update("configmaps", got)
                created["data"]["k"] = "3"
                with pytest.raises(Conflict):
                    await one.update("configmaps", created)
        run(body())
    finally:
        second.stop()


def test_update_without_server_owned_metadata_keeps_uid_and_creation_time(apiserver: LocalApiServer) -> None:
    async def body(c: ApiClient) -> None:
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": "holder", "namespace": "kube-system"}, "spec": {"holderIdentity": "a"}}
        created = await c.create("leases", lease, "kube-system")
        again = {**lease, "metadata": {**lease["metadata"], "resourceVersion": created["metadata"]["resourceVersion"]},
                 "spec": {"holderIdentity": "b"}}
        updated = await c.update("leases", again, "kube-system")
        assert updated["metadata"]["uid"] == created["metadata"]["uid"]
        assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
        assert updated["spec"]["holderIdentity"] == "b"
    run(with_client(apiserver, body))
