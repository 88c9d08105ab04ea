"""The Kubernetes REST transport: HTTPS (aiohttp) in the API server process,
on the same event loop as the gRPC transport, translating each HTTP request
into a handler call (apiserver/handlers.py) and the result back.

TLS asks for a client certificate but does not require one, so client
certificates and bearer tokens work on the same port. Every response carries
an `Audit-Id` header; the request's journey is kept under it. Errors are
Kubernetes Status objects with their HTTP code, whatever went wrong: a user's
mistake is never a 500, and a bug is a 500 Status, never a traceback.
"""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from apiserver.context import Credential
from apiserver.handlers import (
    MAX_BODY_BYTES,
    Call,
    DeleteOptions,
    Handlers,
    ListOptions,
    LogOptions,
    WatchOptions,
    WriteOptions,
)
from apiserver.journeys import JourneyLog
from apiserver.transports.rest import bodies, discovery, paths, tables
from apiserver.transports.rest.openapi import OpenApiDocuments
from kubelite import api, version
from kubelite.errors import (
    BadRequest,
    InternalError,
    MethodNotSupported,
    NotAcceptable,
    RequestEntityTooLarge,
    StatusError,
)

log = logging.getLogger(__name__)
JSON_TYPE = "application/json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def status_response(err: StatusError) -> web.Response:
    return web.Response(status=err.http_code, body=_encode(err.status()), content_type=JSON_TYPE)


def json_response(doc: Any, status: int = 200, content_type: str = JSON_TYPE) -> web.Response:
    return web.Response(status=status, body=doc if isinstance(doc, bytes) else _encode(doc),
                        headers={"Content-Type": content_type})


def credential(request: web.Request) -> Credential:
    """The caller as the TLS layer and headers show it."""
    subject: tuple[str, tuple[str, ...]] | None = None
    peercert = request.transport.get_extra_info("peercert") if request.transport else None
    if peercert:
        names = [pair for rdn in peercert.get("subject", ()) for pair in rdn]
        common = next((v for k, v in names if k == "commonName"), "")
        subject = (common, tuple(v for k, v in names if k == "organizationName"))
    token: str | None = None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, rest = header.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else ""
    peer = request.remote or ""
    return Credential(subject, token, request.headers.get("Impersonate-User", ""),
                      tuple(request.headers.getall("Impersonate-Group", [])), peer)


def _negotiate(accept: str) -> tuple[str, str]:
    """("json", "") or ("table", "v1"/"v1beta1") for the Accept header; 406
    when it accepts nothing we write (protobuf-only clients)."""
    table = tables.wants_table(accept)
    if table:
        return "table", table
    for media_range in accept.split(","):
        kind = media_range.split(";", 1)[0].strip().lower()
        if kind in ("", JSON_TYPE, "application/*", "*/*", "application/yaml"):
            return "json", ""
    if not accept.strip():
        return "json", ""
    raise NotAcceptable(f"only the following media types are accepted: {JSON_TYPE}, "
                        "application/json;as=Table;v=v1;g=meta.k8s.io")


class RestApi:
    """The aiohttp application: routes and the error and audit-id middleware."""

    def __init__(self, handlers: Handlers, journeys: JourneyLog, server_address: str) -> None:
        self.handlers = handlers
        self.journeys = journeys
        self.discovery = discovery.Discovery(server_address)
        self.openapi = OpenApiDocuments()
        self.app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._middleware])
        self.app.router.add_route("GET", "/healthz", self._health)
        self.app.router.add_route("GET", "/livez", self._health)
        self.app.router.add_route("GET", "/readyz", self._health)
        self.app.router.add_route("GET", "/version", self._version)
        self.app.router.add_route("GET", "/version/", self._version)
        self.app.router.add_route("GET", "/api", self._api_root)
        self.app.router.add_route("GET", "/api/", self._api_root)
        self.app.router.add_route("GET", "/apis", self._apis_root)
        self.app.router.add_route("GET", "/apis/", self._apis_root)
        self.app.router.add_route("GET", "/openapi/v3", self._openapi_index)
        self.app.router.add_route("GET", "/openapi/v3/", self._openapi_index)
        self.app.router.add_route("GET", "/openapi/v3/{path:.+}", self._openapi_document)
        self.app.router.add_route("GET", "/apis/{group}", self._group)
        self.app.router.add_route("GET", "/apis/{group}/", self._group)
        self.app.router.add_route("*", "/api/{tail:.*}", self._resource)
        self.app.router.add_route("*", "/apis/{tail:.*}", self._resource)

    # ---------------------------------------------------------------- plumbing
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        audit_id = str(uuid.uuid4())
        request["audit_id"] = audit_id
        request["call"] = Call(credential(request))
        try:
            response = await handler(request)
        except StatusError as err:
            response = status_response(err)
        except web.HTTPRequestEntityTooLarge:
            response = status_response(RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}"))
        except web.HTTPNotFound:
            response = status_response(paths.not_found())
        except web.HTTPMethodNotAllowed:
            response = status_response(MethodNotSupported(f"the server does not allow this method on the requested "
                                                          f"resource ({request.method} {request.path})"))
        except (ConnectionResetError, web.HTTPException):
            raise
        except Exception as err:  # a bug: logged, answered as a 500 Status
            log.exception("internal error serving %s %s", request.method, request.path)
            response = status_response(InternalError(f"Internal error occurred: {err}"))
        call: Call = request["call"]
        if call.requests:
            self.journeys.record(audit_id, request.method, request.path_qs, call)
        if not response.prepared:
            response.headers["Audit-Id"] = audit_id
            for warning in call.warnings:
                response.headers.add("Warning", f'299 - {json.dumps(warning)}')
        return response

    async def _authenticate(self, request: web.Request) -> None:
        await self.handlers.authenticate(request["call"], request.path)

    # ------------------------------------------------------------ non-resource
    async def _health(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok", content_type="text/plain")

    async def _version(self, request: web.Request) -> web.StreamResponse:
        return json_response(version.info())

    async def _api_root(self, request: web.Request) -> web.StreamResponse:
        await self._authenticate(request)
        return self._discovery_root(request, "api", self.discovery.legacy_api)

    async def _apis_root(self, request: web.Request) -> web.StreamResponse:
        await self._authenticate(request)
        return self._discovery_root(request, "apis", self.discovery.legacy_apis)

    def _discovery_root(self, request: web.Request, root: str, legacy: bytes) -> web.StreamResponse:
        wanted = discovery.aggregated_version(request.headers.get("Accept", ""))
        if wanted is None:
            return json_response(legacy)
        return json_response(self.discovery.aggregated[(root, wanted)], content_type=(
            f"application/json;g={discovery.DISCOVERY_GROUP};v={wanted};as=APIGroupDiscoveryList"))

    async def _group(self, request: web.Request) -> web.StreamResponse:
        await self._authenticate(request)
        doc = self.discovery.group(request.match_info["group"])
        if doc is None:
            raise paths.not_found()
        return json_response(doc)

    async def _openapi_index(self, request: web.Request) -> web.StreamResponse:
        await self._authenticate(request)
        return json_response(self.openapi.index())

    async def _openapi_document(self, request: web.Request) -> web.StreamResponse:
        await self._authenticate(request)
        found = self.openapi.document(request.match_info["path"])
        if found is None:
            raise paths.not_found()
        body, digest = found
        response = json_response(body)
        response.headers["ETag"] = f'"{digest}"'
        if request.query.get("hash") == digest:
            response.headers["Cache-Control"] = "public, immutable"
        return response

    # --------------------------------------------------------------- resources
    async def _resource(self, request: web.Request) -> web.StreamResponse:
        target = paths.parse(request.path)
        if target.info is None:
            await self._authenticate(request)
            if request.method != "GET":
                raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                         f"({request.method} {request.path})")
            return json_response(self.discovery.resource_lists[(target.group, target.version)])
        method = request.method
        if method == "GET":
            if target.subresource == "log":
                return await self._log(request, target)
            if target.name:
                return await self._get(request, target)
            if bodies.boolean(request.query, "watch"):
                return await self._watch(request, target)
            return await self._list(request, target)
        if target.info.namespaced and not target.namespace and method != "GET":
            raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                     f"({method} {request.path}): namespaced resources need a namespace")
        if method == "POST":
            return await self._create(request, target)
        if method == "PUT" and target.name:
            return await self._update(request, target)
        if method == "PATCH" and target.name:
            return await self._patch(request, target)
        if method == "DELETE":
            return await (self._delete(request, target) if target.name else self._delete_collection(request, target))
        raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                 f"({method} {request.path})")

    def _write_options(self, request: web.Request) -> WriteOptions:
        return WriteOptions(dry_run=bodies.dry_run(request.query),
                            field_manager=request.query.get("fieldManager", ""),
                            field_validation=request.query.get("fieldValidation", "Warn"))

    async def _body(self, request: web.Request) -> Any:
        return bodies.decode_object(await request.read(), request.headers.get("Content-Type", ""))

    def _respond(self, request: web.Request, info: api.ResourceInfo, obj: Any, status: int = 200) -> web.Response:
        form, table_version = _negotiate(request.headers.get("Accept", ""))
        if form == "table":
            rv = (obj.get("metadata") or {}).get("resourceVersion", "")
            doc = tables.table(info, [obj], rv, request.query.get("includeObject", "Metadata"),
                               version=table_version)
            return json_response(doc, status, f"application/json;as=Table;v={table_version};g=meta.k8s.io")
        return json_response(obj, status)

    async def _get(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        _negotiate(request.headers.get("Accept", ""))
        sub = target.subresource
        if sub and not _allows(target, "get"):
            raise paths.not_found()
        obj = await self.handlers.get(request["call"], target.info, target.namespace, target.name, sub)
        return self._respond(request, target.info, obj)

    def _list_options(self, request: web.Request) -> ListOptions:
        query = request.query
        return ListOptions(query.get("labelSelector", ""), query.get("fieldSelector", ""),
                           bodies.integer(query, "limit") or 0, query.get("continue", ""),
                           query.get("resourceVersion", ""), query.get("resourceVersionMatch", ""))

    async def _list(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        if target.subresource:
            raise paths.not_found()
        form, table_version = _negotiate(request.headers.get("Accept", ""))
        info = target.info
        result = await self.handlers.list(request["call"], info, target.namespace, self._list_options(request))
        if form == "table":
            doc = tables.table(info, result.items, result.resource_version,
                               request.query.get("includeObject", "Metadata"), result.continue_token,
                               version=table_version)
            return json_response(doc, content_type=f"application/json;as=Table;v={table_version};g=meta.k8s.io")
        meta: dict[str, Any] = {"resourceVersion": result.resource_version}
        if result.continue_token:
            meta["continue"] = result.continue_token
        for item in result.items:
            item.setdefault("kind", info.kind)
            item.setdefault("apiVersion", info.api_version)
        return json_response({"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": meta,
                              "items": result.items})

    async def _watch(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        info, query = target.info, request.query
        form, table_version = _negotiate(request.headers.get("Accept", ""))
        include = query.get("includeObject", "Metadata")
        timeout = bodies.integer(query, "timeoutSeconds")
        options = WatchOptions(query.get("labelSelector", ""), query.get("fieldSelector", ""),
                               query.get("resourceVersion", ""), bodies.boolean(query, "allowWatchBookmarks"),
                               bodies.optional_boolean(query, "sendInitialEvents"),
                               query.get("resourceVersionMatch", ""), None if timeout is None else float(timeout))
        events = await self.handlers.watch(request["call"], info, target.namespace, options)
        content_type = (f"application/json;as=Table;v={table_version};g=meta.k8s.io" if form == "table"
                        else JSON_TYPE)
        response = web.StreamResponse(headers={"Content-Type": content_type, "Audit-Id": request["audit_id"]})
        response.enable_chunked_encoding()
        await response.prepare(request)
        first = True
        try:
            async for event in events:
                obj = event.obj
                if form == "table" and event.type in ("ADDED", "MODIFIED", "DELETED"):
                    obj = tables.table(info, [obj], obj["metadata"].get("resourceVersion", ""), include,
                                       with_columns=first, version=table_version)
                    first = False
                await response.write(_encode({"type": event.type, "object": obj}) + b"\n")
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client went away: the watch ends with it
        finally:
            await events.aclose()
        return response

    async def _log(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        query = request.query
        for unsupported in ("sinceSeconds", "sinceTime", "timestamps"):
            if unsupported in query and query[unsupported] not in ("", "false"):
                raise BadRequest(f"{unsupported}: this server's node agents keep no log timestamps, so "
                                 f"{unsupported} is not supported")
        options = LogOptions(query.get("container", ""), bodies.boolean(query, "follow"),
                             bodies.integer(query, "tailLines"), bodies.boolean(query, "previous"),
                             bodies.integer(query, "limitBytes"))
        chunks = await self.handlers.log(request["call"], target.namespace, target.name, options)
        response = web.StreamResponse(headers={"Content-Type": "text/plain", "Audit-Id": request["audit_id"]})
        response.enable_chunked_encoding()
        try:
            first = await anext(chunks, None)
        except StatusError:
            await chunks.aclose()
            raise
        await response.prepare(request)
        try:
            if first is not None:
                await response.write(first)
                async for data in chunks:
                    await response.write(data)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        except StatusError as err:  # the node agent failed mid-stream: the stream ends
            log.info("log stream of %s/%s ended: %s", target.namespace, target.name, err.message)
        finally:
            await chunks.aclose()
        return response

    async def _create(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        body = await self._body(request)
        if target.name and not (target.subresource and _allows(target, "create")):
            raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                     f"(POST {request.path})")
        obj = await self.handlers.create(request["call"], target.info, target.namespace, body,
                                         self._write_options(request), target.subresource, target.name)
        if target.subresource:  # a binding or an eviction answers a Status
            return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "code": 201}, 201)
        return self._respond(request, target.info, obj, 201)

    async def _update(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        if target.subresource and not _allows(target, "update"):
            raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                     f"(PUT {request.path})")
        body = await self._body(request)
        obj = await self.handlers.update(request["call"], target.info, target.namespace, target.name, body,
                                         self._write_options(request), target.subresource)
        return self._respond(request, target.info, obj)

    async def _patch(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        if target.subresource and not _allows(target, "patch"):
            raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                     f"(PATCH {request.path})")
        patch_type = bodies.media_type(request.headers.get("Content-Type", ""))
        options = self._write_options(request)
        force = bodies.boolean(request.query, "force")
        obj, created = await self.handlers.patch(request["call"], target.info, target.namespace, target.name,
                                                 patch_type, await request.read(), options, target.subresource,
                                                 force)
        return self._respond(request, target.info, obj, 201 if created else 200)

    async def _delete(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        if target.subresource:
            raise MethodNotSupported(f"the server does not allow this method on the requested resource "
                                     f"(DELETE {request.path})")
        options = bodies.delete_options(await request.read(), request.headers.get("Content-Type", ""),
                                        request.query)
        obj = await self.handlers.delete(request["call"], target.info, target.namespace, target.name,
                                         DeleteOptions(**options))
        return json_response(obj)

    async def _delete_collection(self, request: web.Request, target: paths.ResourcePath) -> web.StreamResponse:
        assert target.info is not None
        if target.subresource:
            raise paths.not_found()
        options = bodies.delete_options(await request.read(), request.headers.get("Content-Type", ""),
                                        request.query)
        result = await self.handlers.delete_collection(request["call"], target.info, target.namespace,
                                                       self._list_options(request), DeleteOptions(**options))
        info = target.info
        return json_response({"kind": f"{info.kind}List", "apiVersion": info.api_version,
                              "metadata": {"resourceVersion": result.resource_version}, "items": result.items})


def ssl_context(cert_file: str, key_file: str, client_ca_file: str | None) -> ssl.SSLContext:
    """TLS that asks for a client certificate (verified against the client CA)
    but lets a client without one in, to authenticate by bearer token."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.load_verify_locations(client_ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["http/1.1"])  # never h2: we speak HTTP/1.1 only
    return context


async def start(api_: RestApi, host: str, port: int, context: ssl.SSLContext | None) -> web.AppRunner:
    """Serve until the returned runner is cleaned up. A client that goes away
    cancels its handler (so a watch releases its store watch at once)."""
    runner = web.AppRunner(api_.app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=context, shutdown_timeout=1.0)
    await site.start()
    return runner


def _allows(target: paths.ResourcePath, verb: str) -> bool:
    """Whether the kind declares the subresource with this verb."""
    assert target.info is not None
    sub = target.info.subresource(target.subresource)
    return sub is not None and verb in sub.verbs and target.subresource != "log"
