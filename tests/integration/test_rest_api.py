"""The Kubernetes REST transport of a real API server process over a real
three-replica etcdlite, spoken to as any HTTP client would: TLS with a client
certificate or a bearer token on one port, Status errors with the right codes
for every mistake (never a 500), the watch framing, Tables, discovery, size
limits, and garbage thrown at every route and content type."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from collections.abc import Iterator
from http.client import HTTPResponse
from pathlib import Path
from typing import Any
from urllib import request as urlrequest
from urllib.error import HTTPError

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdlite.localcluster import LocalCluster
from kubelite.errors import RequestEntityTooLarge
from kubelite.localapiserver import LocalApiServer

pytestmark = pytest.mark.integration
TOKEN = "rest-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_etcdlite: LocalCluster) -> Iterator[LocalApiServer]:
    apiserver = LocalApiServer(tmp_path_factory.mktemp("rest"), shared_etcdlite.endpoints,
                               tokens={TOKEN: ("tokenuser", "u-1", ("devs",))})
    try:
        apiserver.start()
        yield apiserver
    finally:
        apiserver.stop()


def tls(server: LocalApiServer, cert: str | None = "admin") -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(server.pki / "ca.crt"))
    if cert:
        context.load_cert_chain(str(server.pki / f"{cert}.crt"), str(server.pki / f"{cert}.key"))
    return context


class Reply:
    def __init__(self, code: int, headers: Any, body: bytes) -> None:
        self.code, self.headers, self.body = code, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def call(server: LocalApiServer, method: str, path: str, body: bytes | None = None,
         content_type: str = "application/json", cert: str | None = "admin", token: str | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    sent = {"Content-Type": content_type, **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    req = urlrequest.Request(server.rest_url + path, data=body, method=method, headers=sent)
    try:
        with urlrequest.urlopen(req, context=tls(server, cert), timeout=30) as response:
            assert isinstance(response, HTTPResponse)
            return Reply(response.status, response.headers, response.read())
    except HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def configmap(name: str, **data: str) -> bytes:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}).encode()


def assert_status(reply: Reply, code: int, reason: str) -> dict[str, Any]:
    assert reply.code == code, reply.body
    status = reply.json()
    assert (status["kind"], status["status"], status["reason"], status["code"]) == ("Status", "Failure", reason, code)
    assert reply.headers["Audit-Id"]
    return dict(status)


def test_health_and_version_need_no_credentials(server: LocalApiServer) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        reply = call(server, "GET", path, cert=None)
        assert (reply.code, reply.body) == (200, b"ok")
    version = call(server, "GET", "/version/", cert=None).json()
    assert version["gitVersion"].startswith("v1.") and {"major", "minor", "gitCommit", "buildDate", "goVersion",
                                                        "platform", "compiler", "gitTreeState"} <= set(version)


def test_no_or_bad_credentials_are_401_status(server: LocalApiServer) -> None:
    assert_status(call(server, "GET", "/api/v1/namespaces/default/configmaps", cert=None), 401, "Unauthorized")
    assert_status(call(server, "GET", "/api", cert=None, token="wrong"), 401, "Unauthorized")
    assert_status(call(server, "GET", "/api", cert=None, headers={"Authorization": "Basic eDp5"}), 401,
                  "Unauthorized")


def test_a_bearer_token_and_a_client_certificate_share_the_port(server: LocalApiServer) -> None:
    denied = assert_status(call(server, "GET", "/api/v1/namespaces/default/configmaps", cert=None, token=TOKEN),
                           403, "Forbidden")
    assert 'User "tokenuser" cannot list resource "configmaps"' in denied["message"]
    assert call(server, "GET", "/api/v1/namespaces/default/configmaps").code == 200
    as_jane = call(server, "GET", "/api/v1/namespaces/default/configmaps", headers={"Impersonate-User": "jane"})
    assert 'User "jane" cannot list' in assert_status(as_jane, 403, "Forbidden")["message"]


def test_crud_with_kubernetes_codes(server: LocalApiServer) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    created = call(server, "POST", base, configmap("rest-a", k="v"))
    assert created.code == 201
    obj = created.json()
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"] and obj["kind"] == "ConfigMap"
    assert_status(call(server, "POST", base, configmap("rest-a")), 409, "AlreadyExists")
    obj["data"] = {"k": "w"}
    assert call(server, "PUT", f"{base}/rest-a", json.dumps(obj).encode()).json()["data"] == {"k": "w"}
    assert_status(call(server, "PUT", f"{base}/rest-a", json.dumps(obj).encode()), 409, "Conflict")
    patched = call(server, "PATCH", f"{base}/rest-a", b'{"data":{"x":"1"}}', "application/merge-patch+json")
    assert patched.json()["data"] == {"k": "w", "x": "1"}
    listed = call(server, "GET", f"{base}?labelSelector=&fieldSelector=metadata.name%3Drest-a").json()
    assert listed["kind"] == "ConfigMapList" and [i["metadata"]["name"] for i in listed["items"]] == ["rest-a"]
    assert listed["items"][0]["kind"] == "ConfigMap"
    dry = call(server, "DELETE", f"{base}/rest-a?dryRun=All")
    assert dry.code == 200 and call(server, "GET", f"{base}/rest-a").code == 200
    assert call(server, "DELETE", f"{base}/rest-a", b'{"propagationPolicy":"Background"}').code == 200
    assert_status(call(server, "GET", f"{base}/rest-a"), 404, "NotFound")


def test_field_validation_strict_warn_ignore(server: LocalApiServer) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rest-fv"}, "date": {}}).encode()
    strict = assert_status(call(server, "POST", f"{base}?fieldValidation=Strict", body), 400, "BadRequest")
    assert 'strict decoding error: unknown field "date"' in strict["message"]
    warned = call(server, "POST", f"{base}?fieldValidation=Warn&dryRun=All", body)
    assert warned.code == 201 and warned.headers["Warning"] == '299 - "unknown field \\"date\\""'
    ignored = call(server, "POST", f"{base}?fieldValidation=Ignore", body)
    assert ignored.code == 201 and "Warning" not in ignored.headers and "date" not in ignored.json()
    assert_status(call(server, "POST", f"{base}?fieldValidation=Loose", body), 400, "BadRequest")


def test_user_mistakes_get_the_right_status(server: LocalApiServer) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    assert_status(call(server, "GET", "/api/v1/nosuchthings"), 404, "NotFound")
    assert_status(call(server, "GET", "/apis/nosuch.group/v1/things"), 404, "NotFound")
    assert_status(call(server, "POST", base, b"{not json"), 400, "BadRequest")
    assert_status(call(server, "POST", base, b"a: [unclosed", "application/yaml"), 400, "BadRequest")
    assert_status(call(server, "POST", base, b"\x00\x01", "application/vnd.kubernetes.protobuf"), 400, "BadRequest")
    assert_status(call(server, "POST", base, b"x", "text/html"), 415, "UnsupportedMediaType")
    assert_status(call(server, "PATCH", f"{base}/x", b"{}", "application/json"), 415, "UnsupportedMediaType")
    assert_status(call(server, "GET", f"{base}?limit=lots"), 400, "BadRequest")
    assert_status(call(server, "GET", f"{base}?watch=maybe"), 400, "BadRequest")
    assert_status(call(server, "GET", f"{base}?resourceVersion=abc"), 400, "BadRequest")
    assert_status(call(server, "POST", f"{base}?dryRun=Some", configmap("rest-dry")), 400, "BadRequest")
    assert_status(call(server, "GET", base, headers={"Accept": "application/vnd.kubernetes.protobuf"}), 406,
                  "NotAcceptable")
    big = configmap("rest-big", blob="x" * (3 * 1024 * 1024 + 10))
    assert "Request entity too large" in assert_status(call(server, "POST", base, big), 413,
                                                        "RequestEntityTooLarge")["message"]
    nearly = configmap("rest-nearly", blob="x" * (1600 * 1024))
    assert_status(call(server, "POST", base, nearly), 413, "RequestEntityTooLarge")
    annotated = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "rest-annotated", "annotations": {"a": "x" * 300_000}}}).encode()
    invalid = assert_status(call(server, "POST", base, annotated), 422, "Invalid")
    assert "metadata.annotations: Too long: must have at most 262144 bytes" in invalid["message"]
    assert_status(call(server, "DELETE", f"{base}/nosuch"), 404, "NotFound")
    assert_status(call(server, "PUT", "/api/v1/configmaps/x", configmap("x")), 405, "MethodNotAllowed")


BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]) + "\n"


def test_a_yaml_alias_bomb_is_refused_at_once(server: LocalApiServer) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    created = assert_status(call(server, "POST", base, BOMB.encode(), "application/yaml"), 400, "BadRequest")
    assert "excessive aliasing" in created["message"]
    applied = assert_status(call(server, "PATCH", f"{base}/bomb?fieldManager=x", BOMB.encode(),
                                 "application/apply-patch+yaml"), 400, "BadRequest")
    assert "excessive aliasing" in applied["message"]
    assert call(server, "GET", "/healthz").code == 200


def test_discovery_aggregated_by_accept_and_legacy(server: LocalApiServer) -> None:
    v2 = call(server, "GET", "/api", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"})
    assert v2.headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
    pods = next(r for r in v2.json()["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert {s["subresource"] for s in pods["subresources"]} == {"status", "binding", "eviction", "log"}
    beta = call(server, "GET", "/apis", headers={
        "Accept": "application/json;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io"})
    assert beta.json()["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    legacy = call(server, "GET", "/api/").json()
    assert legacy["kind"] == "APIVersions" and legacy["versions"] == ["v1"]
    groups = call(server, "GET", "/apis").json()
    assert "rbac.authorization.k8s.io" in [g["name"] for g in groups["groups"]]
    group = call(server, "GET", "/apis/rbac.authorization.k8s.io").json()
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["version"] == "v1"
    assert_status(call(server, "GET", "/apis/nosuch.io"), 404, "NotFound")
    resources = call(server, "GET", "/apis/rbac.authorization.k8s.io/v1/").json()
    assert resources["kind"] == "APIResourceList" and "roles" in [r["name"] for r in resources["resources"]]


def test_tables_for_humans(server: LocalApiServer) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = call(server, "GET", "/api/v1/namespaces", headers={"Accept": accept})
    assert table.headers["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    doc = table.json()
    assert [c["name"] for c in doc["columnDefinitions"]] == ["Name", "Status", "Age"]
    row = next(r for r in doc["rows"] if r["cells"][0] == "default")
    assert row["cells"][1] == "Active" and row["object"]["kind"] == "PartialObjectMetadata"


def test_watch_is_newline_delimited_and_honours_timeout_and_initial_events(server: LocalApiServer) -> None:
    base = "/api/v1/namespaces/default/configmaps"
    call(server, "POST", base, configmap("rest-w1", a="1"))
    reply = call(server, "GET", f"{base}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Drest-w1")
    lines = reply.body.split(b"\n")
    assert lines[-1] == b"" and [json.loads(x)["type"] for x in lines[:-1]] == ["ADDED"]
    listing = call(server, "GET", f"{base}?watch=1&timeoutSeconds=1&sendInitialEvents=true&allowWatchBookmarks=true"
                               "&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Drest-w1")
    events = [json.loads(x) for x in listing.body.splitlines()]
    assert [e["type"] for e in events[:2]] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert_status(call(server, "GET", f"{base}?watch=1&sendInitialEvents=true"), 400, "BadRequest")
    rv = call(server, "GET", f"{base}/rest-w1").json()["metadata"]["resourceVersion"]

    def change() -> None:
        call(server, "PATCH", f"{base}/rest-w1", b'{"data":{"a":"2"}}', "application/merge-patch+json")
    timer = threading.Timer(0.5, change)
    timer.start()
    try:
        changed = call(server, "GET", f"{base}?watch=true&timeoutSeconds=3&resourceVersion={rv}")
    finally:
        timer.join()
    modified = [json.loads(x) for x in changed.body.splitlines()]
    assert [(e["type"], e["object"]["data"]) for e in modified] == [("MODIFIED", {"a": "2"})]


METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
SEGMENTS = st.sampled_from(["api", "apis", "v1", "namespaces", "default", "pods", "configmaps", "nodes", "status",
                            "log", "binding", "eviction", "rbac.authorization.k8s.io", "x", "", "..", "%00", "watch"])
CONTENT_TYPES = st.sampled_from(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                                 "application/merge-patch+json", "application/strategic-merge-patch+json",
                                 "application/json-patch+json", "application/apply-patch+yaml", "text/plain", ""])
QUERIES = st.sampled_from(["", "?watch=true&timeoutSeconds=0", "?limit=-1", "?fieldSelector=%3D%3D",
                           "?labelSelector=a%20in%20(", "?continue=zzz", "?resourceVersion=-5", "?dryRun=All",
                           "?fieldManager=x&force=true", "?includeObject=Bogus", "?gracePeriodSeconds=x"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, segments=st.lists(SEGMENTS, max_size=6), content_type=CONTENT_TYPES, query=QUERIES,
       body=st.one_of(st.binary(max_size=200), st.just(b"k8s\x00\x0a\x00"), st.just(b'{"kind":"Pod"}')))
def test_garbage_at_every_route_is_a_status_never_a_500(server: LocalApiServer, method: str, segments: list[str],
                                                        content_type: str, query: str, body: bytes) -> None:
    path = "/" + "/".join(segments) + query
    reply = call(server, method, path, body if method in ("POST", "PUT", "PATCH", "DELETE") else None, content_type)
    assert reply.code < 500, (method, path, reply.body[:300])
    if reply.code >= 400 and method != "HEAD":
        assert reply.json()["kind"] == "Status"


def test_every_rest_request_has_an_audit_line(server: LocalApiServer) -> None:
    reply = call(server, "GET", "/apis", token=TOKEN, cert=None)
    assert reply.code == 200
    denied = call(server, "GET", "/api/v1/namespaces/default/pods", cert=None, token=TOKEN)
    assert denied.code == 403
    lines = [json.loads(line) for line in server.audit_log.read_text().splitlines()]
    assert any(line.get("nonResourceURL") == "/apis" and line["user"] == "tokenuser" for line in lines)
    assert any(line.get("resource") == "pods" and line["user"] == "tokenuser" and line["decision"] == "forbid"
               for line in lines)


def test_orphan_and_foreground_deletion_wait_for_the_garbage_collector(server: LocalApiServer) -> None:
    # without a controller-manager nobody removes the finalizer: the object stays, marked
    base = "/api/v1/namespaces/default/configmaps"
    for name, policy, finalizer in (("rest-orphan", "Orphan", "orphan"), ("rest-fg", "Foreground",
                                                                          "foregroundDeletion")):
        call(server, "POST", base, configmap(name))
        reply = call(server, "DELETE", f"{base}/{name}", json.dumps({"propagationPolicy": policy}).encode())
        assert reply.code == 200
        stored = json.loads(call(server, "GET", f"{base}/{name}").body)
        assert stored["metadata"]["deletionTimestamp"] and finalizer in stored["metadata"]["finalizers"]
        stored["metadata"]["finalizers"] = []
        assert call(server, "PUT", f"{base}/{name}", json.dumps(stored).encode()).code == 200
        assert call(server, "GET", f"{base}/{name}").code == 404  # the last finalizer gone: deleted
    assert_status(call(server, "DELETE", f"{base}/x", b'{"propagationPolicy":"Sideways"}'), 400, "BadRequest")


def test_grpc_refuses_an_oversized_object_with_413(server: LocalApiServer) -> None:
    async def create() -> None:
        async with server.client() as client:
            with pytest.raises(RequestEntityTooLarge, match="Request entity too large: limit is 3145728"):
                await client.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "grpc-big"},
                                                   "data": {"blob": "x" * (5 * 1024 * 1024)}}, "default")
            with pytest.raises(RequestEntityTooLarge, match="request is too large"):
                await client.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "grpc-nearly"},
                                                   "data": {"blob": "x" * (1600 * 1024)}}, "default")
    asyncio.run(create())


def test_the_server_log_has_no_traceback(server: LocalApiServer) -> None:
    assert "Traceback" not in Path(server.log_path).read_text()
