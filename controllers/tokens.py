"""The token controller: a Secret of type kubernetes.io/service-account-token
that names a ServiceAccount (annotation kubernetes.io/service-account.name)
gets a signed, long-lived token for it in data.token, with the cluster's CA
(ca.crt) and the namespace, as kube-controller-manager's tokens controller
does. Its uid annotation ties it to that account: a token for an account that
is gone (or was recreated) is not refreshed."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path
from typing import Any

from controllers.base import Key, WorkQueue, key_of, run_workers
from kubelite import satoken
from kubelite.errors import Conflict, NotFound

log = logging.getLogger(__name__)
Obj = dict[str, Any]
TOKEN_TYPE = "kubernetes.io/service-account-token"
NAME_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


class TokenController:
    def __init__(self, client: Any, informers: Any, key_file: str = "", root_ca_file: str = "",
                 workers: int = 2) -> None:
        self.client = client
        self.key = satoken.load_private(key_file) if key_file else None
        self.root_ca = Path(root_ca_file).read_bytes() if root_ca_file else b""
        self.secrets = informers.informer("secrets")
        self.accounts = informers.informer("serviceaccounts")
        self.queue = WorkQueue()
        self.workers = workers
        self.secrets.add_handler(lambda kind, obj, old: self._secret(kind, obj))
        self.accounts.add_handler(lambda kind, obj, old: self._account(obj))

    def _secret(self, kind: str, obj: Obj) -> None:
        if kind != "DELETED" and obj.get("type") == TOKEN_TYPE:
            self.queue.add(key_of(obj))

    def _account(self, account: Obj) -> None:
        namespace, name = key_of(account)
        for secret in self.secrets.values():
            if key_of(secret)[0] == namespace and (secret["metadata"].get("annotations") or {}).get(
                    NAME_ANNOTATION) == name:
                self.queue.add(key_of(secret))

    async def run(self, stop: asyncio.Event) -> None:
        if self.key is None:
            log.info("token controller: no --service-account-private-key-file, not issuing tokens")
            await stop.wait()
            return
        await run_workers("tokens", self.queue, self.sync, stop, self.workers)

    async def sync(self, key: Key) -> None:
        secret = self.secrets.get(*key)
        if secret is None or secret.get("type") != TOKEN_TYPE or self.key is None:
            return
        annotations = secret["metadata"].get("annotations") or {}
        account = self.accounts.get(key[0], annotations.get(NAME_ANNOTATION, ""))
        if account is None:
            return  # the account does not exist (yet): its ADDED event brings us back
        uid = account["metadata"]["uid"]
        if annotations.get(UID_ANNOTATION) not in (None, uid):
            return  # made for an earlier account of that name
        data = secret.get("data") or {}
        if data.get("token") and annotations.get(UID_ANNOTATION) == uid:
            return
        token = satoken.sign(self.key, key[0], account["metadata"]["name"], uid, secret=key[1])
        updated = {**secret, "data": {**data, "token": _b64(token), "namespace": _b64(key[0]),
                                      **({"ca.crt": _b64(self.root_ca)} if self.root_ca else {})},
                   "metadata": {**secret["metadata"], "annotations": {**annotations, UID_ANNOTATION: uid}}}
        try:
            await self.client.update("secrets", updated, key[0])
        except (Conflict, NotFound):
            self.queue.add(key)
