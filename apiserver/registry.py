"""The generic store: one implementation of create/get/list/update/delete/watch
for every kind, over etcdlite, as kube-apiserver's generic registry does.

Objects are stored as their Kubernetes JSON under
`/registry/<resource>/<namespace>/<name>` (cluster-scoped: no namespace part).
The stored JSON never holds metadata.resourceVersion: it is the etcd
mod_revision of the key, injected on every read, so it can never disagree with
the store. Every update is a compare-and-swap transaction on that revision;
losing the race is a Conflict. What is special about a kind lives in its
`Strategy` (its definition in kubelite/kinds/), never here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apiserver.encryption import Transformer
from apiserver.selectors import Selector
from etcdlite.client import EtcdClient
from etcdlite.errors import Compacted, EtcdliteError, Unavailable
from etcdlite.keyrange import prefix_end
from etcdlite.raft_entry import RaftEntry
from kubelite.api import ResourceInfo
from kubelite.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Expired,
    Invalid,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    StatusError,
)
from kubelite.gen.etcdserverpb import rpc_pb2
from kubelite.gen.mvccpb import kv_pb2

Obj = dict[str, Any]
REGISTRY_PREFIX = "/registry"
UPDATE_RETRIES = 16


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_prefix(info: ResourceInfo, namespace: str = "") -> str:
    if info.namespaced and namespace:
        return f"{REGISTRY_PREFIX}/{info.resource}/{namespace}/"
    return f"{REGISTRY_PREFIX}/{info.resource}/"


def object_key(info: ResourceInfo, namespace: str, name: str) -> str:
    return key_prefix(info, namespace) + name


def decode(kv: kv_pb2.KeyValue, revision: int | None = None, value: bytes | None = None) -> Obj:
    obj: Obj = json.loads(kv.value if value is None else value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision or kv.mod_revision)
    return obj


def encode(obj: Obj) -> bytes:
    """The stored form: the object without metadata.resourceVersion."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return json.dumps({**obj, "metadata": meta}, separators=(",", ":"), sort_keys=True).encode()


def _meta(obj: Obj) -> dict[str, Any]:
    meta: dict[str, Any] = obj.setdefault("metadata", {})
    return meta


@dataclass(frozen=True)
class WriteResult:
    obj: Obj
    revision: int
    member_id: int = 0  # the etcdlite member that answered (header.member_id)
    raft_term: int = 0
    entry: RaftEntry | None = None  # None when the store is real etcd

    @classmethod
    def of(cls, obj: Obj, header: Any, entry: RaftEntry | None = None) -> WriteResult:
        """The write's result from the etcd ResponseHeader that confirmed it."""
        return cls(obj, header.revision, header.member_id, header.raft_term, entry)

    def describe(self) -> str:
        answered = f"answered by member {self.member_id:x}, raft term {self.raft_term}"
        if self.entry is None:
            return f"etcdlite revision {self.revision} ({answered})"
        return (f"etcdlite revision {self.revision}, raft index {self.entry.index} (leader {self.entry.leader_id:x}, "
                f"committed in {self.entry.commit_ms:.1f} ms; {answered})")


@dataclass(frozen=True)
class ListResult:
    items: list[Obj]
    resource_version: str
    continue_token: str


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    obj: Obj


def _store_errors(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except Unavailable as err:
            raise ServiceUnavailable(f"etcdlite is unavailable: {err.message}") from None
        except EtcdliteError as err:
            if "request is too large" in err.message:  # over etcd's --max-request-bytes: the client's mistake
                raise RequestEntityTooLarge(err.message) from None
            raise StatusError(f"storage error: {err.message}") from None
    return wrapper


class GenericStore:
    """CRUD + watch of Kubernetes objects in etcdlite, for any kind."""

    def __init__(self, etcd: EtcdClient, transformer: Transformer | None = None) -> None:
        self.etcd = etcd
        self.transformer = transformer or Transformer()

    def _encode(self, info: ResourceInfo, key: str, obj: Obj) -> bytes:
        data = encode(obj)
        if self.transformer:
            return self.transformer.to_storage(info.resource, key.encode(), data)
        return data

    def _decode(self, info: ResourceInfo, kv: kv_pb2.KeyValue, revision: int | None = None) -> Obj:
        if not self.transformer:
            return decode(kv, revision)
        try:
            value = self.transformer.from_storage(info.resource, kv.key, kv.value)
        except Exception as err:
            raise StatusError(f"unable to transform key {kv.key.decode(errors='replace')!r} from storage: "
                              f"{err or type(err).__name__}") from None
        return decode(kv, revision, value)

    # ------------------------------------------------------------------ create
    @_store_errors
    async def create(self, info: ResourceInfo, obj: Obj, dry_run: bool = False) -> WriteResult:
        meta = _meta(obj)
        if meta.get("resourceVersion"):
            raise Invalid(f'{info.kind} "{meta.get("name", "")}" is invalid: metadata.resourceVersion: '
                          "Invalid value: must not be set on create", kind=info.resource, name=meta.get("name", ""))
        meta["uid"] = meta.get("uid") or str(uuid.uuid4())  # admission sets it (the server's, never the client's)
        meta["creationTimestamp"] = now_rfc3339()
        meta.setdefault("generation", 1)
        key = object_key(info, meta.get("namespace", ""), meta["name"])
        if dry_run:
            existing = await self.etcd.get(key, count_only=True)
            if existing.count:
                raise AlreadyExists.of(info.resource, meta["name"], info.group)
            return WriteResult(obj, existing.header.revision)
        txn = rpc_pb2.TxnRequest(
            compare=[rpc_pb2.Compare(key=key.encode(), target=rpc_pb2.Compare.CREATE, create_revision=0)],
            success=[rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key.encode(),
                                                                      value=self._encode(info, key, obj)))],
        )
        response, entry = await self.etcd.txn_with_entry(txn)
        if not response.succeeded:
            raise AlreadyExists.of(info.resource, meta["name"], info.group)
        meta["resourceVersion"] = str(response.header.revision)
        return WriteResult.of(obj, response.header, entry)

    # --------------------------------------------------------------------- get
    @_store_errors
    async def get(self, info: ResourceInfo, namespace: str, name: str) -> Obj:
        response = await self.etcd.get(object_key(info, namespace, name))
        if not response.kvs:
            raise NotFound.of(info.resource, name, info.group)
        return self._decode(info, response.kvs[0])

    # -------------------------------------------------------------------- list
    @_store_errors
    async def list(self, info: ResourceInfo, namespace: str, selector: Selector, limit: int = 0,
                   continue_token: str = "", resource_version: str = "") -> ListResult:
        prefix = key_prefix(info, namespace)
        start, revision = prefix, 0
        if continue_token:
            start, revision = _decode_continue(continue_token, prefix)
        elif resource_version not in ("", "0"):
            revision = _parse_rv(resource_version)
        end = prefix_end(prefix.encode())
        items: list[Obj] = []
        page = max(limit, 100) if limit else 0
        next_key = start.encode()
        while True:
            try:
                response = await self.etcd.get(next_key, range_end=end, revision=revision, limit=page)
            except Compacted:
                raise Expired("The provided continue parameter is too old to display a consistent list result. "
                              "You can start a new list without the continue parameter.") from None
            revision = revision or response.header.revision
            count = len(response.kvs)
            for index, kv in enumerate(response.kvs):
                obj = self._decode(info, kv)
                if selector.matches(obj):
                    items.append(obj)
                    if limit and len(items) == limit:
                        more = index < count - 1 or response.more
                        token = _encode_continue(kv.key.decode() + "\x00", revision, prefix) if more else ""
                        return ListResult(items, str(revision), token)
            if not response.more or not response.kvs:
                return ListResult(items, str(revision), "")
            next_key = response.kvs[-1].key + b"\x00"

    # ------------------------------------------------------------------ update
    @_store_errors
    async def update(self, info: ResourceInfo, obj: Obj, expected_rv: str) -> WriteResult:
        """Store `obj` if the stored object is still at `expected_rv`."""
        meta = _meta(obj)
        key = object_key(info, meta.get("namespace", ""), meta["name"])
        txn = rpc_pb2.TxnRequest(
            compare=[rpc_pb2.Compare(key=key.encode(), target=rpc_pb2.Compare.MOD,
                                     mod_revision=_parse_rv(expected_rv))],
            success=[rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key.encode(),
                                                                      value=self._encode(info, key, obj)))],
            failure=[rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=key.encode(), count_only=True))],
        )
        response, entry = await self.etcd.txn_with_entry(txn)
        if not response.succeeded:
            if response.responses[0].response_range.count == 0:
                raise NotFound.of(info.resource, meta["name"], info.group)
            raise Conflict.modified(info.resource, meta["name"], info.group)
        meta["resourceVersion"] = str(response.header.revision)
        return WriteResult.of(obj, response.header, entry)

    async def guaranteed_update(self, info: ResourceInfo, namespace: str, name: str,
                                mutate: Callable[[Obj], Obj]) -> WriteResult:
        """Read-modify-write with retries on Conflict, for server-side changes
        (patch, status, bind) that are computed from the current object."""
        for _ in range(UPDATE_RETRIES):
            current = await self.get(info, namespace, name)
            updated = mutate(json.loads(json.dumps(current)))
            try:
                return await self.update(info, updated, current["metadata"]["resourceVersion"])
            except Conflict:
                continue
        raise Conflict.modified(info.resource, name, info.group)

    # ------------------------------------------------------------------ delete
    @_store_errors
    async def delete(self, info: ResourceInfo, namespace: str, name: str, precondition_uid: str = "",
                     precondition_rv: str = "") -> WriteResult:
        key = object_key(info, namespace, name).encode()
        for _ in range(UPDATE_RETRIES):
            current = await self.get(info, namespace, name)
            meta = current["metadata"]
            if precondition_uid and meta.get("uid") != precondition_uid:
                raise Conflict(f'Operation cannot be fulfilled on {info.resource} "{name}": Precondition failed: '
                               f'UID in precondition: {precondition_uid}, UID in object meta: {meta.get("uid")}',
                               kind=info.resource, name=name)
            if precondition_rv and meta["resourceVersion"] != precondition_rv:
                raise Conflict(f'Operation cannot be fulfilled on {info.resource} "{name}": Precondition failed: '
                               f"ResourceVersion in precondition: {precondition_rv}, ResourceVersion in object "
                               f'meta: {meta["resourceVersion"]}', kind=info.resource, name=name)
            txn = rpc_pb2.TxnRequest(
                compare=[rpc_pb2.Compare(key=key, target=rpc_pb2.Compare.MOD,
                                         mod_revision=int(meta["resourceVersion"]))],
                success=[rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=key))],
            )
            response, entry = await self.etcd.txn_with_entry(txn)
            if response.succeeded:
                meta["resourceVersion"] = str(response.header.revision)
                return WriteResult.of(current, response.header, entry)
        raise Conflict.modified(info.resource, name, info.group)

    @_store_errors
    async def delete_all(self, info: ResourceInfo, namespace: str) -> int:
        """Remove every object of a kind in a namespace (namespace deletion)."""
        response = await self.etcd.delete(key_prefix(info, namespace), prefix=True)
        return int(response.deleted)

    # ------------------------------------------------------------------- watch
    async def watch(self, info: ResourceInfo, namespace: str, selector: Selector, resource_version: str,
                    bookmark_interval: float = 0.0) -> AsyncIterator[WatchEvent]:
        """Changes after `resource_version` (a list's RV, or any newer one).
        Raises Expired ("too old resource version") when it was compacted.
        With a bookmark interval, a BOOKMARK carrying the current revision
        comes at least that often, from an etcd progress request."""
        prefix = key_prefix(info, namespace)
        start = _parse_rv(resource_version) + 1
        watch = self.etcd.watch(prefix, prefix=True, start_revision=start, prev_kv=True)
        ticker = asyncio.create_task(_request_progress(watch, bookmark_interval)) if bookmark_interval else None
        try:
            async for response in watch:
                if not response.events:
                    yield WatchEvent("BOOKMARK", {"kind": info.kind, "apiVersion": info.api_version,
                                                  "metadata": {"resourceVersion": str(response.header.revision)}})
                    continue
                for event in response.events:
                    translated = self._translate(info, event, selector)
                    if translated is not None:
                        yield translated
        except Compacted as err:
            raise Expired(f"too old resource version: {resource_version} ({err.compact_revision})") from None
        except Unavailable as err:
            raise ServiceUnavailable(f"etcdlite is unavailable: {err.message}") from None
        finally:
            if ticker is not None:
                ticker.cancel()
            watch.cancel()

    def _translate(self, info: ResourceInfo, event: kv_pb2.Event, selector: Selector) -> WatchEvent | None:
        """etcd event -> Kubernetes watch event, honouring the selector the way
        kube-apiserver does: leaving the selection is a DELETED, entering an ADDED."""
        revision = event.kv.mod_revision
        old = self._decode(info, event.prev_kv, revision) if event.HasField("prev_kv") else None
        if event.type == kv_pb2.Event.DELETE:
            if old is not None and selector.matches(old):
                return WatchEvent("DELETED", old)
            return None
        new = self._decode(info, event.kv)
        new_matches = selector.matches(new)
        old_matches = old is not None and selector.matches(old)
        if new_matches and old_matches:
            return WatchEvent("MODIFIED", new)
        if new_matches:
            return WatchEvent("ADDED", new)
        if old_matches:
            return WatchEvent("DELETED", new)
        return None


async def _request_progress(watch: Any, interval: float) -> None:
    await watch.created.wait()
    while True:
        await asyncio.sleep(interval)
        await watch.request_progress()


def _parse_rv(resource_version: str) -> int:
    if resource_version in ("", "0"):
        return 0
    try:
        value = int(resource_version)
    except ValueError:
        raise BadRequest(f'Invalid value: "{resource_version}": resourceVersion must be an integer') from None
    if value < 0:
        raise BadRequest(f'Invalid value: "{resource_version}": resourceVersion must not be negative')
    return value


def _encode_continue(start_key: str, revision: int, prefix: str) -> str:
    raw = json.dumps({"v": 1, "rv": revision, "start": start_key[len(prefix):]}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str, prefix: str) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return prefix + str(data["start"]), int(data["rv"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("continue key is not valid: the token is malformed") from None
