"""The service-account controller gives every live namespace its `default`
ServiceAccount, and gives it back when it is deleted."""

from __future__ import annotations

import asyncio
from typing import Any

from controllers.serviceaccount import ServiceAccountController

Obj = dict[str, Any]


def namespace(name: str, terminating: bool = False) -> Obj:
    meta: Obj = {"name": name, **({"deletionTimestamp": "2026-01-01T00:01:00Z"} if terminating else {})}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
            "status": {"phase": "Terminating" if terminating else "Active"}}


async def drain(controller: ServiceAccountController) -> None:
    while len(controller.queue):
        key = await controller.queue.get()
        try:
            await controller.sync(key)
        finally:
            controller.queue.done(key)


def test_a_new_namespace_gets_a_default_service_account(world: Any) -> None:
    client, informers = world
    controller = ServiceAccountController(client, informers)
    client.put("namespaces", namespace("team"))
    asyncio.run(drain(controller))
    assert client.writes("create") == [("create", "serviceaccounts", "team", "default")]
    account = client.objects[("serviceaccounts", "team", "default")]
    assert account["kind"] == "ServiceAccount" and account["metadata"]["namespace"] == "team"


def test_an_existing_account_or_a_terminating_namespace_gets_none(world: Any) -> None:
    client, informers = world
    controller = ServiceAccountController(client, informers)
    client.put("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                   "metadata": {"name": "default", "namespace": "team"}})
    client.put("namespaces", namespace("team"))
    client.put("namespaces", namespace("going", terminating=True))
    asyncio.run(controller.sync(("", "going")))
    asyncio.run(drain(controller))
    assert client.writes("create") == []


def test_a_deleted_default_account_comes_back(world: Any) -> None:
    client, informers = world
    controller = ServiceAccountController(client, informers)
    client.put("namespaces", namespace("team"))
    asyncio.run(drain(controller))
    asyncio.run(client.delete("serviceaccounts", "default", "team"))
    asyncio.run(drain(controller))
    assert client.writes("create") == [("create", "serviceaccounts", "team", "default")] * 2


def test_already_exists_is_fine(world: Any) -> None:
    client, informers = world
    controller = ServiceAccountController(client, informers)
    client.put("namespaces", namespace("team"))
    client.informers = None  # the account exists, but the cache has not seen it
    client.put("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                   "metadata": {"name": "default", "namespace": "team"}})
    asyncio.run(controller.sync(("", "team")))  # AlreadyExists: no error
    assert client.writes("create") == []
