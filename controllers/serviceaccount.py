"""The service-account controller, as kube-controller-manager's: every
namespace that is not being deleted has a ServiceAccount named `default`. It
is made when a namespace appears (or changes) without one, and made again
when someone deletes it. The queue holds namespace keys ("", name)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from controllers.base import Key, WorkQueue, key_of, run_workers
from kubelite.errors import AlreadyExists, Forbidden, NotFound

log = logging.getLogger(__name__)
Obj = dict[str, Any]
DEFAULT = "default"


def terminating(ns: Obj) -> bool:
    return bool((ns.get("metadata") or {}).get("deletionTimestamp")) or \
        (ns.get("status") or {}).get("phase") == "Terminating"


class ServiceAccountController:
    def __init__(self, client: Any, informers: Any, workers: int = 4, names: tuple[str, ...] = (DEFAULT,)) -> None:
        self.client = client
        self.workers = workers
        self.names = names
        self.queue = WorkQueue()
        self.namespaces = informers.informer("namespaces")
        self.accounts = informers.informer("serviceaccounts")
        self.namespaces.add_handler(self._namespace)
        self.accounts.add_handler(self._account)

    def _namespace(self, kind: str, ns: Obj, old: Obj | None) -> None:
        if kind != "DELETED" and not terminating(ns):
            self.queue.add(("", key_of(ns)[1]))

    def _account(self, kind: str, account: Obj, old: Obj | None) -> None:
        namespace, name = key_of(account)
        if kind == "DELETED" and name in self.names:
            self.queue.add(("", namespace))

    async def run(self, stop: asyncio.Event) -> None:
        await run_workers("serviceaccount", self.queue, self.sync, stop, self.workers)

    async def sync(self, key: Key) -> None:
        """`key` is a namespace's: ("", name)."""
        namespace = key[1]
        ns = self.namespaces.get("", namespace)
        if ns is None or terminating(ns):
            return
        for name in self.names:
            if self.accounts.get(namespace, name) is not None:
                continue
            account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}
            try:
                await self.client.create("serviceaccounts", account, namespace)
                log.info("serviceaccount: created %s/%s", namespace, name)
            except AlreadyExists:
                pass  # our cache is behind
            except (Forbidden, NotFound):
                # the namespace began terminating (or went) since the cache saw it; if it did not, retry
                if self.namespaces.get("", namespace) is ns:
                    raise
