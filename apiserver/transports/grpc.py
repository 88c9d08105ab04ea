"""The kubelite.v1.Api gRPC transport: each RPC is translated into a handler
call (apiserver/handlers.py) and back: objects as JSON bytes, a failure as a
Kubernetes Status in the gRPC status details, and the request's journey as
spans in the trailing metadata (`kubelite-trace-bin`)."""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from apiserver.context import Credential
from apiserver.handlers import (
    Call,
    DeleteOptions,
    Handlers,
    ListOptions,
    LogOptions,
    WatchOptions,
    WriteOptions,
    check_body_size,
)
from kubelite import api
from kubelite.errors import BadRequest, InternalError, NotFound, StatusError, to_rpc_status
from kubelite.gen.kubelite.v1 import api_pb2, api_pb2_grpc
from kubelite.pki import identity_from_cert

log = logging.getLogger(__name__)
TRACE_KEY = "kubelite-trace-bin"
MERGE_PATCH = "application/merge-patch+json"


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _parse_body(raw: bytes, what: str = "object") -> Any:
    check_body_size(len(raw))
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadRequest(f"the {what} is not valid JSON: {err}") from None


def resolve(ref: api_pb2.ResourceRef) -> api.ResourceInfo:
    for info in api.ALL_RESOURCES:
        if info.resource == ref.resource and info.group == ref.group:
            return info
    group = f".{ref.group}" if ref.group else ""
    raise NotFound(f'the server could not find the requested resource ({ref.resource}{group})')


def _name_of(raw: bytes) -> str:
    """The name a create on a subresource is for (an Eviction's metadata.name)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ""
    meta = body.get("metadata") if isinstance(body, dict) else None
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def list_document(info: api.ResourceInfo, items: list[Any], resource_version: str, continue_token: str) -> Any:
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    return {"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": meta, "items": items}


class ApiServicer(api_pb2_grpc.ApiServicer):
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers

    async def _run(self, context: grpc.aio.ServicerContext, handle: Callable[[Call], Awaitable[Any]]) -> Any:
        call = Call(credential(context))
        try:
            result = await handle(call)
            return api_pb2.Object(json=_json_bytes(result))
        except StatusError as err:
            await _fail(context, call, err)
        except Exception as err:  # a bug: log it, answer InternalError, never a stack trace
            log.exception("internal error")
            await _fail(context, call, InternalError(f"Internal error occurred: {err}"))
        finally:
            context.set_trailing_metadata(((TRACE_KEY, _trace(call)),))
        raise AssertionError("unreachable")

    async def Create(self, request: api_pb2.CreateRequest, context: Any) -> api_pb2.Object:
        return await self._run(context, lambda call: self.handlers.create(
            call, resolve(request.resource), request.resource.namespace, _parse_body(request.object),
            WriteOptions(dry_run=request.dry_run), request.resource.subresource,
            _name_of(request.object) if request.resource.subresource else ""))

    async def Get(self, request: api_pb2.GetRequest, context: Any) -> api_pb2.Object:
        return await self._run(context, lambda call: self.handlers.get(
            call, resolve(request.resource), request.resource.namespace, request.name,
            request.resource.subresource))

    async def List(self, request: api_pb2.ListRequest, context: Any) -> api_pb2.Object:
        async def handle(call: Call) -> Any:
            info = resolve(request.resource)
            result = await self.handlers.list(call, info, request.resource.namespace, ListOptions(
                request.label_selector, request.field_selector, request.limit, request.continue_token,
                request.resource_version))
            return list_document(info, result.items, result.resource_version, result.continue_token)
        return await self._run(context, handle)

    async def Update(self, request: api_pb2.UpdateRequest, context: Any) -> api_pb2.Object:
        return await self._update(request, context, request.resource.subresource)

    async def UpdateStatus(self, request: api_pb2.UpdateRequest, context: Any) -> api_pb2.Object:
        return await self._update(request, context, "status")

    async def _update(self, request: api_pb2.UpdateRequest, context: Any, sub: str) -> api_pb2.Object:
        async def handle(call: Call) -> Any:
            body = _parse_body(request.object)
            name = ((body.get("metadata") or {}).get("name") or "") if isinstance(body, dict) else ""
            return await self.handlers.update(call, resolve(request.resource), request.resource.namespace,
                                              str(name), body, WriteOptions(dry_run=request.dry_run), sub)
        return await self._run(context, handle)

    async def Patch(self, request: api_pb2.PatchRequest, context: Any) -> api_pb2.Object:
        async def handle(call: Call) -> Any:
            check_body_size(len(request.patch))
            obj, _ = await self.handlers.patch(
                call, resolve(request.resource), request.resource.namespace, request.name,
                request.patch_type or MERGE_PATCH, request.patch,
                WriteOptions(dry_run=request.dry_run, field_manager=request.field_manager),
                "status" if request.status else request.resource.subresource, request.force)
            return obj
        return await self._run(context, handle)

    async def Delete(self, request: api_pb2.DeleteRequest, context: Any) -> api_pb2.Object:
        grace = request.grace_period_seconds if request.HasField("grace_period_seconds") else None
        return await self._run(context, lambda call: self.handlers.delete(
            call, resolve(request.resource), request.resource.namespace, request.name,
            DeleteOptions(grace, request.propagation_policy, request.precondition_uid,
                          request.precondition_resource_version, request.dry_run)))

    async def Bind(self, request: api_pb2.BindRequest, context: Any) -> api_pb2.Object:
        async def handle(call: Call) -> Any:
            body = _parse_body(request.binding, "binding")
            if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
                raise BadRequest("a Binding needs metadata.name (the pod)")
            return await self.handlers.create(call, api.resource_by_name("pods"), request.namespace, body,
                                              subresource="binding", name=str(body["metadata"].get("name") or ""))
        return await self._run(context, handle)

    async def Version(self, request: api_pb2.VersionRequest, context: Any) -> api_pb2.Object:
        return await self._run(context, self.handlers.version)

    async def Journey(self, request: api_pb2.JourneyRequest, context: Any) -> api_pb2.Object:
        return await self._run(context, lambda call: self.handlers.journey(call, request.audit_id))

    async def PodLog(self, request: api_pb2.PodLogRequest, context: Any) -> AsyncIterator[api_pb2.LogChunk]:
        call = Call(credential(context))
        options = LogOptions(request.container, request.follow,
                             request.tail_lines if request.HasField("tail_lines") else None, request.previous)
        try:
            chunks = await self.handlers.log(call, request.namespace, request.name, options)
            async for data in chunks:
                yield api_pb2.LogChunk(data=data)
        except StatusError as err:
            context.set_trailing_metadata(((TRACE_KEY, _trace(call)),))
            await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))

    async def Watch(self, request: api_pb2.WatchRequest, context: Any) -> AsyncIterator[api_pb2.WatchEvent]:
        call = Call(credential(context))
        try:
            events = await self.handlers.watch(call, resolve(request.resource), request.resource.namespace,
                                               WatchOptions(request.label_selector, request.field_selector,
                                                            request.resource_version, request.allow_bookmarks))
        except StatusError as err:
            context.set_trailing_metadata(((TRACE_KEY, _trace(call)),))
            await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))
            return
        async for event in events:
            yield api_pb2.WatchEvent(type=event.type, object=_json_bytes(event.obj))


async def malformed(context: grpc.aio.ServicerContext, message_name: str) -> None:
    """A request that is not even a valid protobuf message: 400, not 500."""
    err = BadRequest(f"the request is not a valid {message_name} message")
    await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))


def credential(context: grpc.aio.ServicerContext) -> Credential:
    """The caller as gRPC saw it: verified client certificate, `authorization`
    and `impersonate-user`/`impersonate-group` metadata (a key sent more than
    once keeps every value)."""
    token: str | None = None
    user, groups = "", []
    for key, value in context.invocation_metadata() or ():
        if not isinstance(value, str):
            continue
        if key == "authorization":
            scheme, _, rest = value.partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else ""
        elif key == "impersonate-user":
            user = value
        elif key == "impersonate-group":
            groups += [g for g in value.split(",") if g]
    pems = dict(context.auth_context() or {}).get("x509_pem_cert") or []
    subject = identity_from_cert(pems[0]) if pems else None
    return Credential(subject, token, user, tuple(groups), context.peer() or "")


async def _fail(context: grpc.aio.ServicerContext, call: Call, err: StatusError) -> None:
    status = rpc_status.to_status(to_rpc_status(err))
    # an abort replaces the trailing metadata: the journey travels in the status
    status = _Status(status.code, status.details, (*status.trailing_metadata, (TRACE_KEY, _trace(call))))
    await context.abort_with_status(status)


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    """A gRPC status with our own trailing metadata (the request's journey)."""


def _trace(call: Call) -> bytes:
    return _json_bytes({"spans": [s.to_json() for r in call.requests for s in r.spans]})
