"""The API server client every component uses (CLI, scheduler, node agent,
controllers): asyncio gRPC to one or more API server endpoints, with TLS client
certificates or a bearer token, Kubernetes Status errors as typed exceptions,
and the request's journey (trace spans) of the last call.

Resources are named like kubectl does ("pods", "po", "Pod", "leases"); objects
go in and come out as Kubernetes JSON dicts.

Several API servers ("a:6443,b:6443", as behind a load balancer) are tried in
turn: a call that could not reach one moves to the next. A read is retried
there; a write only when it never left this process, so it is never applied
twice. Watches and log streams move on their next call (informers relist).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc

from kubelite import api
from kubelite.channels import KEEPALIVE_OPTIONS, never_sent
from kubelite.errors import ServerUnreachable, StatusError, error_from_status, from_rpc_error
from kubelite.gen.kubelite.v1 import api_pb2, api_pb2_grpc

TRACE_KEY = "kubelite-trace-bin"
_READS = ("Get", "List", "Version", "Journey")
Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
PATCH_TYPES = {"merge": MERGE_PATCH, "strategic": "application/strategic-merge-patch+json",
               "json": "application/json-patch+json", "apply": "application/apply-patch+yaml"}
# lists of many objects may be large; an object itself is at most 3 MiB (the server's limit)
CLIENT_OPTIONS = [*KEEPALIVE_OPTIONS, ("grpc.max_receive_message_length", 64 << 20)]


@dataclass(frozen=True)
class Credentials:
    """How to reach and prove ourselves to the API server."""

    ca_cert: bytes | None = None        # PEM of the CA that signed the server certificate
    client_cert: bytes | None = None    # PEM client certificate (CN = user, O = groups)
    client_key: bytes | None = None
    token: str | None = None
    server_name: str | None = None      # TLS name to verify, when it differs from the host

    @classmethod
    def from_files(cls, ca: str | None = None, cert: str | None = None, key: str | None = None,
                   token: str | None = None) -> Credentials:
        def read(path: str | None) -> bytes | None:
            if path is None:
                return None
            with open(path, "rb") as f:
                return f.read()
        return cls(read(ca), read(cert), read(key), token)


class _TokenAuth(grpc.AuthMetadataPlugin):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        callback((("authorization", f"Bearer {self._token}"),), None)


class ApiClient:
    """A client of kubelite.v1.Api. Use `async with ApiClient(...)`."""

    def __init__(self, endpoint: str, credentials: Credentials | None = None, timeout: float = 30.0,
                 impersonate: tuple[str, tuple[str, ...]] = ("", ()), record_journeys: bool = False) -> None:
        """`impersonate`: (user, groups) to act as, as kubectl's --as/--as-group.
        `record_journeys`: keep every request's journey in `journeys` (for --trace)."""
        self.endpoints = [e.strip().split("://", 1)[-1] for e in endpoint.split(",") if e.strip()]
        self.timeout = timeout
        self.last_trace: list[dict[str, Any]] = []
        self.journeys: list[tuple[str, list[dict[str, Any]]]] = []  # (request, spans), not yet shown
        self._record_journeys = record_journeys
        self._creds = credentials or Credentials()
        as_user, as_groups = impersonate
        self._metadata: tuple[tuple[str, str], ...] = (
            *((("authorization", f"Bearer {self._creds.token}"),) if self._creds.token and not self._creds.ca_cert
              else ()),
            *((("impersonate-user", as_user),) if as_user else ()),
            *(("impersonate-group", group) for group in as_groups),
        )
        self._current = 0
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stub = self._stub_for(self.endpoint)

    @property
    def endpoint(self) -> str:
        return self.endpoints[self._current]

    def _stub_for(self, endpoint: str) -> api_pb2_grpc.ApiStub:
        channel = self._channels.get(endpoint)
        if channel is None:
            creds = self._creds
            if creds.ca_cert is None:
                channel = grpc.aio.insecure_channel(endpoint, options=CLIENT_OPTIONS)
            else:
                channel_creds = grpc.ssl_channel_credentials(creds.ca_cert, creds.client_key, creds.client_cert)
                if creds.token:
                    channel_creds = grpc.composite_channel_credentials(
                        channel_creds, grpc.metadata_call_credentials(_TokenAuth(creds.token)))
                options = list(CLIENT_OPTIONS)
                if creds.server_name:
                    options.append(("grpc.ssl_target_name_override", creds.server_name))
                channel = grpc.aio.secure_channel(endpoint, channel_creds, options=options)
            self._channels[endpoint] = channel
        return api_pb2_grpc.ApiStub(channel)

    def _fail_over(self) -> None:
        if len(self.endpoints) > 1:
            self._current = (self._current + 1) % len(self.endpoints)
            self._stub = self._stub_for(self.endpoint)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- plumbing
    async def _call(self, method_name: str, request: Any) -> Obj:
        for attempt in range(len(self.endpoints)):
            call = getattr(self._stub, method_name)(request, timeout=self.timeout, metadata=self._metadata)
            try:
                response = await call
            except grpc.aio.AioRpcError as err:
                self._keep_trace(err.trailing_metadata(), method_name, request)
                error = self._failed(err)
                retry = method_name in _READS or never_sent(err)
                if _unreachable(err) and retry and attempt + 1 < len(self.endpoints):
                    continue
                raise error from None
            self._keep_trace(await call.trailing_metadata(), method_name, request)
            return dict(json.loads(response.json))
        raise AssertionError("unreachable")

    def _failed(self, err: grpc.aio.AioRpcError) -> StatusError:
        """The error to raise; when this API server could not be reached, the
        next call goes to the next one."""
        if _unreachable(err):
            self._fail_over()
        return _error(err)

    def _keep_trace(self, trailing: Any, method_name: str, request: Any) -> None:
        for key, value in trailing or ():
            if key == TRACE_KEY:
                self.last_trace = list(json.loads(value).get("spans", []))
                if self._record_journeys:
                    self.journeys.append((_request_name(method_name, request), self.last_trace))

    @staticmethod
    def ref(resource: str, namespace: str = "") -> api_pb2.ResourceRef:
        """"deployments" or, for a subresource, "deployments/scale"."""
        resource, _, subresource = resource.partition("/")
        info = api.resource_by_name(resource)
        return api_pb2.ResourceRef(group=info.group, resource=info.resource,
                                   namespace=namespace if info.namespaced else "", subresource=subresource)

    # -------------------------------------------------------------------- verbs
    async def create(self, resource: str, obj: Obj, namespace: str = "", dry_run: bool = False) -> Obj:
        namespace = namespace or (obj.get("metadata") or {}).get("namespace") or ""
        req = api_pb2.CreateRequest(resource=self.ref(resource, namespace), object=json.dumps(obj).encode(),
                                    dry_run=dry_run)
        return await self._call("Create", req)

    async def get(self, resource: str, name: str, namespace: str = "") -> Obj:
        return await self._call("Get", api_pb2.GetRequest(resource=self.ref(resource, namespace),
                                                                   name=name))

    async def list(self, resource: str, namespace: str = "", label_selector: str = "", field_selector: str = "",
                   limit: int = 0, continue_token: str = "", resource_version: str = "") -> Obj:
        req = api_pb2.ListRequest(resource=self.ref(resource, namespace), label_selector=label_selector,
                                  field_selector=field_selector, limit=limit, continue_token=continue_token,
                                  resource_version=resource_version)
        return await self._call("List", req)

    async def update(self, resource: str, obj: Obj, namespace: str = "", dry_run: bool = False) -> Obj:
        namespace = namespace or (obj.get("metadata") or {}).get("namespace") or ""
        req = api_pb2.UpdateRequest(resource=self.ref(resource, namespace), object=json.dumps(obj).encode(),
                                    dry_run=dry_run)
        return await self._call("Update", req)

    async def update_status(self, resource: str, obj: Obj, namespace: str = "") -> Obj:
        namespace = namespace or (obj.get("metadata") or {}).get("namespace") or ""
        req = api_pb2.UpdateRequest(resource=self.ref(resource, namespace), object=json.dumps(obj).encode())
        return await self._call("UpdateStatus", req)

    async def patch(self, resource: str, name: str, patch: Any, namespace: str = "", status: bool = False,
                    dry_run: bool = False, patch_type: str = MERGE_PATCH, field_manager: str = "",
                    force: bool = False) -> Obj:
        """Patch on the server: `patch_type` is the patch's media type (JSON
        merge patch by default; strategic merge patch, JSON patch, or
        server-side apply with a field manager)."""
        req = api_pb2.PatchRequest(resource=self.ref(resource, namespace), name=name,
                                   patch=json.dumps(patch).encode(), status=status, dry_run=dry_run,
                                   patch_type=patch_type, field_manager=field_manager, force=force)
        return await self._call("Patch", req)

    async def delete(self, resource: str, name: str, namespace: str = "", grace_period_seconds: int | None = None,
                     precondition_uid: str = "", precondition_resource_version: str = "",
                     propagation_policy: str = "", dry_run: bool = False) -> Obj:
        """propagation_policy: Background (the default), Foreground or Orphan."""
        req = api_pb2.DeleteRequest(resource=self.ref(resource, namespace), name=name,
                                    precondition_uid=precondition_uid,
                                    precondition_resource_version=precondition_resource_version,
                                    propagation_policy=propagation_policy, dry_run=dry_run)
        if grace_period_seconds is not None:
            req.grace_period_seconds = grace_period_seconds
        return await self._call("Delete", req)

    async def server_version(self) -> Obj:
        """The API server's /version document."""
        return await self._call("Version", api_pb2.VersionRequest())

    async def journey(self, audit_id: str) -> Obj:
        """A recent request's journey, by the Audit-Id its response carried."""
        return await self._call("Journey", api_pb2.JourneyRequest(audit_id=audit_id))

    async def bind(self, namespace: str, pod: str, node: str, pod_uid: str = "") -> Obj:
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod, "namespace": namespace},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        if pod_uid:
            binding["metadata"]["uid"] = pod_uid
        req = api_pb2.BindRequest(namespace=namespace, binding=json.dumps(binding).encode())
        return await self._call("Bind", req)

    async def pod_log(self, namespace: str, name: str, container: str = "", follow: bool = False,
                      tail_lines: int | None = None, previous: bool = False) -> AsyncIterator[bytes]:
        """A container's output as it arrives (kubectl logs)."""
        req = api_pb2.PodLogRequest(namespace=namespace, name=name, container=container, follow=follow,
                                    previous=previous)
        if tail_lines is not None:
            req.tail_lines = tail_lines
        call = self._stub.PodLog(req, metadata=self._metadata)
        try:
            async for chunk in call:
                yield chunk.data
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.CANCELLED:
                return
            raise self._failed(err) from None
        finally:
            call.cancel()

    async def watch(self, resource: str, namespace: str = "", label_selector: str = "", field_selector: str = "",
                    resource_version: str = "", allow_bookmarks: bool = False) -> AsyncIterator[tuple[str, Obj]]:
        """(type, object) pairs. An ERROR event (e.g. "too old resource
        version") is raised as its StatusError, so the caller relists."""
        req = api_pb2.WatchRequest(resource=self.ref(resource, namespace), label_selector=label_selector,
                                   field_selector=field_selector, resource_version=resource_version,
                                   allow_bookmarks=allow_bookmarks)
        call = self._stub.Watch(req, metadata=self._metadata)
        try:
            async for event in call:
                obj = json.loads(event.object)
                if event.type == "ERROR":
                    raise _status_to_error(obj)
                yield event.type, obj
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.CANCELLED:
                return
            raise self._failed(err) from None
        finally:
            call.cancel()


def _unreachable(err: grpc.aio.AioRpcError) -> bool:
    """The server could not be reached (it answers every refusal with trailers)."""
    return err.code() == grpc.StatusCode.UNAVAILABLE and not err.trailing_metadata()


def _request_name(method_name: str, request: Any) -> str:
    """How a journey is headed: `create pods/web`, `list nodes`."""
    verb = {"UpdateStatus": "update"}.get(method_name, method_name.lower())
    ref = getattr(request, "resource", None)
    name = getattr(request, "name", "")
    if not name and method_name in ("Create", "Update", "UpdateStatus"):
        try:
            name = str((json.loads(request.object).get("metadata") or {}).get("name") or "")
        except (ValueError, AttributeError):
            name = ""
    what = ref.resource if ref is not None else ""
    return f"{verb} {what}/{name}" if name else f"{verb} {what}".rstrip()


def _error(err: grpc.aio.AioRpcError) -> StatusError:
    if _unreachable(err):
        return ServerUnreachable(err.details() or "")
    return from_rpc_error(err)


def _status_to_error(status: Obj) -> StatusError:
    return error_from_status(status)
