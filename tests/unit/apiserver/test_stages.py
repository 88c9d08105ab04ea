"""Each pipeline stage on its own, with fake services: what it sets on the
request, which error it raises, what it notes for the request's journey."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from apiserver import pipeline
from apiserver.context import Credential, Request, UserInfo
from apiserver.stages import admission, authenticate, authorize, decode, impersonate, validate
from kubelite import api
from kubelite.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthorized

PODS = api.resource_by_name("pods")


@dataclass
class Decision:
    allowed: bool
    reason: str = ""
    message: str = ""


@dataclass
class FakeServices:
    users: dict[str, UserInfo] = field(default_factory=dict)
    allow: bool = True
    phases: dict[str, str] = field(default_factory=lambda: {"default": "Active", "old": "Terminating"})
    stored: dict[str, Any] = field(default_factory=dict)
    checked: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def authenticator(self) -> FakeServices:
        return self

    def authenticate(self, credential: Credential) -> UserInfo | None:
        return self.users.get(credential.bearer_token or "")

    @property
    def authorizer(self) -> FakeServices:
        return self

    async def authorize(self, request: Request) -> Decision:
        return Decision(self.allow, "test rule", "" if self.allow else "pods is forbidden: test")

    @property
    def audit(self) -> FakeServices:
        return self

    def record(self, request: Request, error: Exception | None) -> None:
        self.checked.append((request.user.name if request.user else "", "audited", "", ""))

    async def check(self, user: UserInfo, verb: str, resource: str, *, name: str = "") -> Decision:
        self.checked.append((user.name, verb, resource, name))
        allowed = self.allow and name != "forbidden-group"
        return Decision(allowed, "test rule", "" if allowed else f'{resource} "{name}" is forbidden: test')

    @property
    def namespaces(self) -> FakeServices:
        return self

    def phase(self, name: str) -> str | None:
        return self.phases.get(name)

    @property
    def store(self) -> FakeServices:
        return self

    async def get(self, info: Any, namespace: str, name: str) -> Any:
        if name not in self.stored:
            raise NotFound.of(info.resource, name)
        return self.stored[name]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def nginx() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}


def test_authenticate_sets_the_user_or_refuses() -> None:
    services = FakeServices(users={"t": UserInfo("alice", groups=("devs",), authenticated_by="token")})
    request = Request("get", PODS, "default", "p", credential=Credential(bearer_token="t"))
    run(authenticate.run(request, services))
    assert request.user is not None and request.user.name == "alice"
    assert "alice" in request.take_notes()
    with pytest.raises(Unauthorized, match="Unauthorized"):
        run(authenticate.run(Request("get", PODS), services))


def test_authorize_raises_forbidden_with_the_authorizers_message() -> None:
    request = Request("create", PODS, "default", user=UserInfo("bob"))
    with pytest.raises(Forbidden, match="pods is forbidden: test"):
        run(authorize.run(request, FakeServices(allow=False)))
    run(authorize.run(request, FakeServices()))
    assert request.authorization == "test rule"


def test_impersonate_checks_each_user_and_group_then_acts_as_them() -> None:
    admin = UserInfo("admin", groups=("system:masters", "system:authenticated"), authenticated_by="x509")
    services = FakeServices()
    request = Request("get", PODS, "default", "p", user=admin,
                      credential=Credential(impersonate_user="bob", impersonate_groups=("dev", "ops")))
    run(impersonate.run(request, services))
    assert services.checked == [("admin", "impersonate", "users", "bob"), ("admin", "impersonate", "groups", "dev"),
                                ("admin", "impersonate", "groups", "ops")]
    assert request.user == UserInfo("bob", "", ("dev", "ops", "system:authenticated"), "impersonation by admin")
    assert request.impersonated_by == admin
    assert 'acting as user "bob"' in request.take_notes()
    plain = Request("get", PODS, "default", "p", user=admin)
    run(impersonate.run(plain, services))
    assert plain.user == admin and plain.options.get("_skipped")
    with pytest.raises(Forbidden, match='users "bob" is forbidden'):
        run(impersonate.run(Request("get", PODS, user=admin, credential=Credential(impersonate_user="bob")),
                            FakeServices(allow=False)))
    with pytest.raises(Forbidden, match='groups "forbidden-group" is forbidden'):
        run(impersonate.run(Request("get", PODS, user=admin, credential=Credential(
            impersonate_user="bob", impersonate_groups=("forbidden-group",))), services))
    with pytest.raises(BadRequest, match="without impersonating a user"):
        run(impersonate.run(Request("get", PODS, user=admin, credential=Credential(impersonate_groups=("dev",))),
                            services))


def test_pipeline_leaves_no_span_for_a_stage_with_nothing_to_do() -> None:
    services = FakeServices(users={"t": UserInfo("alice", authenticated_by="token")})
    request = Request("get", PODS, "default", "p", credential=Credential(bearer_token="t"))
    with pytest.raises(NotFound):
        run(pipeline.run(request, services))
    assert [s.stage for s in request.spans][:3] == ["authenticate", "audit", "authorize"]


def test_decode_builds_the_object_for_each_verb() -> None:
    services = FakeServices(stored={"nginx": {**nginx(), "metadata": {"name": "nginx", "namespace": "default",
                                                                       "resourceVersion": "7", "uid": "u1"}}})
    create = Request("create", PODS, "default", "nginx", body=nginx())
    run(decode.run(create, services))
    assert create.obj is not None and create.obj["metadata"]["namespace"] == "default"
    patch = Request("patch", PODS, "default", "nginx", options={"patch": b'{"metadata": {"labels": {"a": "b"}}}'})
    run(decode.run(patch, services))
    assert patch.obj is not None and patch.obj["metadata"]["labels"] == {"a": "b"}
    assert patch.options["retryable"]
    stale = Request("patch", PODS, "default", "nginx", options={"patch": b'{"metadata": {"resourceVersion": "3"}}'})
    with pytest.raises(Conflict):
        run(decode.run(stale, services))
    wrong_ns = Request("create", PODS, "default", body={**nginx(), "metadata": {"name": "x", "namespace": "prod"}})
    with pytest.raises(BadRequest, match="does not match the namespace"):
        run(decode.run(wrong_ns, services))
    bind = Request("create", PODS, "default", "nginx", subresource="binding", body={"target": {"name": "n1"}})
    run(decode.run(bind, services))
    assert bind.obj is not None and bind.obj["spec"]["nodeName"] == "n1"


def test_mutating_admission_defaults_and_notes_what_it_changed() -> None:
    request = Request("create", PODS, "default", "nginx", obj={**nginx(), "metadata": {"name": "nginx",
                                                                                       "namespace": "default"}})
    run(admission.mutate(request, FakeServices()))
    assert request.obj is not None and request.obj["spec"]["restartPolicy"] == "Always"
    assert request.obj["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert "spec.restartPolicy" in request.take_notes()


def test_validating_admission_needs_a_live_namespace() -> None:
    with pytest.raises(NotFound, match='namespaces "nope" not found'):
        run(admission.check(Request("create", PODS, "nope", "p"), FakeServices()))
    with pytest.raises(Forbidden, match="because it is being terminated"):
        run(admission.check(Request("create", PODS, "old", "p"), FakeServices()))
    run(admission.check(Request("create", PODS, "default", "p"), FakeServices()))


def test_validate_reports_every_cause() -> None:
    bad = {**nginx(), "spec": {"restartPolicy": "Sometimes", "containers": [{"name": "a"}]}}
    with pytest.raises(Invalid) as caught:
        run(validate.run(Request("create", PODS, "default", "nginx", obj=bad), FakeServices()))
    assert {c["field"] for c in caught.value.causes} == {"spec.containers[0].image", "spec.restartPolicy"}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}
    with pytest.raises(BadRequest, match="does not match the resource"):
        run(validate.run(Request("create", PODS, "default", "n", obj=node), FakeServices()))


def test_pipeline_lists_the_seed_stages_in_order_and_records_spans() -> None:
    assert [name for name, _ in pipeline.STAGES] == [
        "authenticate", "audit", "impersonate", "authorize", "decode", "admit-mutating", "validate",
        "admit-validating", "store"]
    request = Request("get", PODS, "default", "p")
    with pytest.raises(Unauthorized):
        run(pipeline.run(request, FakeServices()))
    assert [(s.stage, s.outcome) for s in request.spans] == [("authenticate", "unauthenticated")]
