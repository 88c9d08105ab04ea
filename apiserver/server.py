"""The kubelite.v1.Api gRPC servicer: each RPC becomes a `Request`, runs
through the pipeline, and comes back as JSON, a Kubernetes Status error (in the
gRPC status details), and the request's journey as spans in the trailing
metadata (`kubelite-trace-bin`)."""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from apiserver import pipeline, pod_logs
from apiserver.context import Request
from apiserver.registry import ListResult
from apiserver.stages import authenticate
from kubelite import api, version
from kubelite.errors import BadRequest, Expired, InternalError, NotFound, StatusError, to_rpc_status
from kubelite.gen.kubelite.v1 import api_pb2, api_pb2_grpc

log = logging.getLogger(__name__)
TRACE_KEY = "kubelite-trace-bin"


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _parse_body(raw: bytes, what: str = "object") -> Any:
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


class ApiServicer(api_pb2_grpc.ApiServicer):
    def __init__(self, services: Any) -> None:
        self.services = services

    async def _run(self, context: grpc.aio.ServicerContext, build: Callable[[], Request],
                   respond: Callable[[Request], bytes]) -> api_pb2.Object:
        request: Request | None = None
        try:
            request = build()
            _attach_peer(request, context)
            await pipeline.run(request, self.services)
            return api_pb2.Object(json=respond(request))
        except StatusError as err:
            await self._fail(context, request, err)
        except Exception as err:  # a bug: log it, answer InternalError, never a stack trace
            log.exception("internal error")
            await self._fail(context, request, InternalError(f"Internal error occurred: {err}"))
        finally:
            if request is not None:
                context.set_trailing_metadata(((TRACE_KEY, _trace(request)),))
        raise AssertionError("unreachable")

    async def _fail(self, context: grpc.aio.ServicerContext, request: Request | None, err: StatusError) -> None:
        status = rpc_status.to_status(to_rpc_status(err))
        if request is not None:
            # an abort replaces the trailing metadata: the journey travels in the status
            status = _Status(status.code, status.details,
                             (*status.trailing_metadata, (TRACE_KEY, _trace(request))))
        await context.abort_with_status(status)

    async def Create(self, request: api_pb2.CreateRequest, context: Any) -> api_pb2.Object:
        def build() -> Request:
            info = resolve(request.resource)
            body = _parse_body(request.object)
            name = ((body.get("metadata") or {}).get("name") or "") if isinstance(body, dict) else ""
            return Request("create", info, request.resource.namespace, name, body=body,
                           options={"dry_run": request.dry_run})
        return await self._run(context, build, lambda r: _json_bytes(r.result))

    async def Get(self, request: api_pb2.GetRequest, context: Any) -> api_pb2.Object:
        return await self._run(context, lambda: Request("get", resolve(request.resource),
                                                        request.resource.namespace, request.name),
                               lambda r: _json_bytes(r.result))

    async def List(self, request: api_pb2.ListRequest, context: Any) -> api_pb2.Object:
        def build() -> Request:
            return Request("list", resolve(request.resource), request.resource.namespace, options={
                "label_selector": request.label_selector, "field_selector": request.field_selector,
                "limit": request.limit, "continue": request.continue_token,
                "resource_version": request.resource_version})

        def respond(r: Request) -> bytes:
            result: ListResult = r.result
            meta: dict[str, Any] = {"resourceVersion": result.resource_version}
            if result.continue_token:
                meta["continue"] = result.continue_token
            return _json_bytes({"kind": f"{r.info.kind}List", "apiVersion": r.info.api_version,
                                "metadata": meta, "items": result.items})
        return await self._run(context, build, respond)

    async def Update(self, request: api_pb2.UpdateRequest, context: Any) -> api_pb2.Object:
        return await self._update(request, context, "")

    async def UpdateStatus(self, request: api_pb2.UpdateRequest, context: Any) -> api_pb2.Object:
        return await self._update(request, context, "status")

    async def _update(self, request: api_pb2.UpdateRequest, context: Any, sub: str) -> api_pb2.Object:
        def build() -> Request:
            info = resolve(request.resource)
            body = _parse_body(request.object)
            name = ((body.get("metadata") or {}).get("name") or "") if isinstance(body, dict) else ""
            if not name:
                raise BadRequest("metadata.name is required for an update")
            return Request("update", info, request.resource.namespace, name, subresource=sub, body=body,
                           options={"dry_run": request.dry_run})
        return await self._run(context, build, lambda r: _json_bytes(r.result))

    async def Patch(self, request: api_pb2.PatchRequest, context: Any) -> api_pb2.Object:
        def build() -> Request:
            body = _parse_body(request.patch, "patch")
            if not isinstance(body, dict):
                raise BadRequest("a merge patch must be a JSON object")
            return Request("patch", resolve(request.resource), request.resource.namespace, request.name,
                           subresource="status" if request.status else "", body=body,
                           options={"dry_run": request.dry_run})
        return await self._run(context, build, lambda r: _json_bytes(r.result))

    async def Delete(self, request: api_pb2.DeleteRequest, context: Any) -> api_pb2.Object:
        def build() -> Request:
            options: dict[str, Any] = {
                "precondition_uid": request.precondition_uid,
                "precondition_resource_version": request.precondition_resource_version,
                "grace_period_seconds": (request.grace_period_seconds
                                         if request.HasField("grace_period_seconds") else None),
            }
            if options["grace_period_seconds"] is not None and options["grace_period_seconds"] < 0:
                raise BadRequest("gracePeriodSeconds must not be negative")
            return Request("delete", resolve(request.resource), request.resource.namespace, request.name,
                           options=options)
        return await self._run(context, build, lambda r: _json_bytes(r.result))

    async def Bind(self, request: api_pb2.BindRequest, context: Any) -> api_pb2.Object:
        def build() -> Request:
            body = _parse_body(request.binding, "binding")
            if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
                raise BadRequest("a Binding needs metadata.name (the pod)")
            pods = api.resource_by_name("pods")
            return Request("create", pods, request.namespace, str(body["metadata"].get("name") or ""),
                           subresource="binding", body=body)
        return await self._run(context, build, lambda r: _json_bytes(r.result))

    async def PodLog(self, request: api_pb2.PodLogRequest, context: Any) -> AsyncIterator[api_pb2.LogChunk]:
        req: Request | None = None
        try:
            req = Request("get", api.resource_by_name("pods"), request.namespace, request.name, subresource="log")
            _attach_peer(req, context)
            await pipeline.run(req, self.services)
            pod = req.result
            node_name = (pod.get("spec") or {}).get("nodeName")
            if not node_name:
                raise BadRequest(f"pod {request.name} does not have a host assigned")
            node = await self.services.store.get(api.resource_by_name("nodes"), "", node_name)
            async for data in pod_logs.stream(pod, node, request, self.services.kubelet_credentials):
                yield api_pb2.LogChunk(data=data)
        except StatusError as err:
            if req is not None:
                context.set_trailing_metadata(((TRACE_KEY, _trace(req)),))
            await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))

    async def Version(self, request: api_pb2.VersionRequest, context: Any) -> api_pb2.Object:
        """Any authenticated caller may read the server's version."""
        req = Request("get", api.resource_by_name("namespaces"))
        try:
            _attach_peer(req, context)
            await authenticate.run(req, self.services)
        except StatusError as err:
            await self._fail(context, req, err)
        return api_pb2.Object(json=json.dumps(version.info()).encode())

    async def Watch(self, request: api_pb2.WatchRequest, context: Any) -> AsyncIterator[api_pb2.WatchEvent]:
        req: Request | None = None
        try:
            req = Request("watch", resolve(request.resource), request.resource.namespace, options={
                "label_selector": request.label_selector, "field_selector": request.field_selector,
                "resource_version": request.resource_version})
            _attach_peer(req, context)
            await pipeline.run(req, self.services)
        except StatusError as err:
            if req is not None:
                context.set_trailing_metadata(((TRACE_KEY, _trace(req)),))
            await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))
            return
        store, info, selector = self.services.store, req.info, req.result
        since = request.resource_version
        try:
            if since in ("", "0"):
                listed = await store.list(info, req.namespace, selector)
                for item in listed.items:
                    yield api_pb2.WatchEvent(type="ADDED", object=_json_bytes(item))
                since = listed.resource_version
            interval = self.services.bookmark_interval if request.allow_bookmarks else 0.0
            async for event in store.watch(info, req.namespace, selector, since, interval):
                if event.type == "BOOKMARK" and not request.allow_bookmarks:
                    continue
                yield api_pb2.WatchEvent(type=event.type, object=_json_bytes(event.obj))
        except Expired as err:
            yield api_pb2.WatchEvent(type="ERROR", object=_json_bytes(err.status()))
        except StatusError as err:
            yield api_pb2.WatchEvent(type="ERROR", object=_json_bytes(err.status()))


async def malformed(context: grpc.aio.ServicerContext, message_name: str) -> None:
    """A request that is not even a valid protobuf message: 400, not 500."""
    err = BadRequest(f"the request is not a valid {message_name} message")
    await context.abort_with_status(rpc_status.to_status(to_rpc_status(err)))


def _attach_peer(request: Request, context: grpc.aio.ServicerContext) -> None:
    metadata: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if isinstance(value, str):
            # a key sent more than once (impersonate-group) keeps every value
            metadata[key] = f"{metadata[key]},{value}" if key in metadata else value
    request.metadata = metadata
    request.auth_context = dict(context.auth_context() or {})
    request.peer = context.peer() or ""


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    """A gRPC status with our own trailing metadata (the request's journey)."""


def _trace(request: Request) -> bytes:
    return _json_bytes({"spans": [s.to_json() for s in request.spans]})
