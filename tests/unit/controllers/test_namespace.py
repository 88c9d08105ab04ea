"""The namespace controller empties a Terminating namespace, then removes its
`kubernetes` finalizer (finalize subresource); while something remains it
looks again later and says what in the namespace's conditions."""

from __future__ import annotations

import asyncio
from typing import Any

from controllers.namespace import FINALIZER, NamespaceController

Obj = dict[str, Any]


def namespace(name: str, deleting: bool = True, finalizers: tuple[str, ...] = (FINALIZER,)) -> Obj:
    meta: Obj = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta, "spec": {"finalizers": list(finalizers)},
            "status": {"phase": "Terminating" if deleting else "Active"}}


def obj(kind: str, api_version: str, name: str, ns: str, **meta: Any) -> Obj:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns, **meta}}


def seed(client: Any) -> None:
    for ns in ("team", "other"):
        client.put("pods", obj("Pod", "v1", "web-1", ns))
        client.put("configmaps", obj("ConfigMap", "v1", "settings", ns))
    client.put("deployments", obj("Deployment", "apps/v1", "web", "team"))
    client.put("roles", obj("Role", "rbac.authorization.k8s.io/v1", "reader", "team"))
    client.put("poddisruptionbudgets", obj("PodDisruptionBudget", "policy/v1", "web", "team"))


def in_namespace(client: Any, ns: str) -> set[tuple[str, str]]:
    return {(r, n) for (r, o_ns, n) in client.objects if o_ns == ns}


def test_a_terminating_namespace_is_emptied_then_finalized(world: Any) -> None:
    client, informers = world
    controller = NamespaceController(client, informers)
    seed(client)
    client.put("namespaces", namespace("team", finalizers=(FINALIZER, "example.com/keep")))
    assert len(controller.queue) == 1
    asyncio.run(controller.sync(("", "team")))
    assert in_namespace(client, "team") == set()
    assert in_namespace(client, "other") == {("pods", "web-1"), ("configmaps", "settings")}
    assert client.objects[("namespaces", "", "team")]["spec"]["finalizers"] == ["example.com/keep"]
    assert client.writes("update", "namespaces") == [("update", "namespaces", "", "team")]
    deleted = {(a[1], a[3]) for a in client.writes("delete")}
    assert deleted == {("pods", "web-1"), ("configmaps", "settings"), ("deployments", "web"), ("roles", "reader"),
                       ("poddisruptionbudgets", "web")}


def test_an_active_namespace_is_left_alone(world: Any) -> None:
    client, informers = world
    controller = NamespaceController(client, informers)
    seed(client)
    client.put("namespaces", namespace("team", deleting=False))
    asyncio.run(controller.sync(("", "team")))
    assert client.actions == [] and len(controller.queue) == 0


def test_what_is_still_going_is_waited_for_and_reported(world: Any) -> None:
    client, informers = world
    controller = NamespaceController(client, informers, retry=0.05)
    client.put("pods", obj("Pod", "v1", "slow", "team", deletionTimestamp="2026-01-01T00:01:00Z",
                           finalizers=["example.com/hold"]))
    client.put("namespaces", namespace("team"))

    async def first_look() -> None:
        await controller.sync(("", "team"))
        assert ("", "team") in controller.queue._timers  # looks again after `retry`

    asyncio.run(first_look())
    assert client.writes("delete") == []  # already being deleted: not asked again
    ns = client.objects[("namespaces", "", "team")]
    assert ns["spec"]["finalizers"] == [FINALIZER]
    conditions = {c["type"]: c for c in ns["status"]["conditions"]}
    assert conditions["NamespaceContentRemaining"]["status"] == "True"
    assert conditions["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: pods. has 1 resource instances"
    assert conditions["NamespaceFinalizersRemaining"]["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert ns["status"]["phase"] == "Terminating"
    asyncio.run(controller.sync(("", "team")))
    assert len(client.writes("update_status")) == 1  # nothing changed: not written again
    del client.objects[("pods", "team", "slow")]  # its finalizer done
    asyncio.run(controller.sync(("", "team")))
    assert client.objects[("namespaces", "", "team")]["spec"]["finalizers"] == []
