"""The API server's transport-neutral handlers: create, get, list, update,
patch, delete, deletecollection, watch, log and version.

Each handler turns one call into a pipeline `Request` (apiserver/pipeline.py)
with typed options and the caller's neutral `Credential`, runs it, and
returns what the store stage produced. The gRPC servicer and the REST routes
are thin layers over these functions: they parse their wire format into these
arguments and write the result (or the StatusError raised) back in theirs.
Every Request a call ran is kept in its `Call`, so either transport can
return the request's journey.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from apiserver import patching, pipeline, pod_logs
from apiserver.context import Credential, Request, UserInfo
from apiserver.registry import ListResult
from apiserver.stages import authenticate
from kubelite import api, version
from kubelite.errors import BadRequest, Expired, Forbidden, NotFound, RequestEntityTooLarge, StatusError

Obj = dict[str, Any]
FIELD_VALIDATION = ("Strict", "Warn", "Ignore")
PROPAGATION = ("Orphan", "Background", "Foreground")
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
# what a request for a non-resource URL (/api, /openapi/v3, ...) names in its audit line and journey
NON_RESOURCE = api.ResourceInfo("", "", "", "", False, (), api.KubeObject)
MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's limit on a request body, whichever the transport


def check_body_size(size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")


@dataclass
class Call:
    """One client call: who is calling, and every pipeline request it ran."""

    credential: Credential
    requests: list[Request] = field(default_factory=list)

    def request(self, verb: str, info: api.ResourceInfo, namespace: str = "", name: str = "",
                subresource: str = "", body: Obj | None = None, options: dict[str, Any] | None = None) -> Request:
        made = Request(verb, info, namespace, name, subresource, body, dict(options or {}),
                       credential=self.credential)
        self.requests.append(made)
        return made

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.requests for w in r.warnings]


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool = False
    field_manager: str = ""
    # "" = kubelite's own clients: unknown fields are Invalid, as before fieldValidation existed
    field_validation: str = ""

    def as_options(self) -> dict[str, Any]:
        if self.field_validation and self.field_validation not in FIELD_VALIDATION:
            raise BadRequest(f'fieldValidation: Unsupported value: "{self.field_validation}": supported values: '
                             '"Ignore", "Strict", "Warn"')
        return {"dry_run": self.dry_run, "field_manager": self.field_manager,
                "field_validation": self.field_validation}


@dataclass(frozen=True)
class ListOptions:
    label_selector: str = ""
    field_selector: str = ""
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""

    def as_options(self) -> dict[str, Any]:
        if self.limit < 0:
            raise BadRequest("limit: Invalid value: must not be negative")
        if self.resource_version_match not in ("", "NotOlderThan", "Exact"):
            raise BadRequest(f'resourceVersionMatch: Unsupported value: "{self.resource_version_match}": '
                             'supported values: "Exact", "NotOlderThan"')
        if self.resource_version_match and not self.resource_version and not self.continue_token:
            raise BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided")
        return {"label_selector": self.label_selector, "field_selector": self.field_selector, "limit": self.limit,
                "continue": self.continue_token, "resource_version": self.resource_version}


@dataclass(frozen=True)
class WatchOptions:
    label_selector: str = ""
    field_selector: str = ""
    resource_version: str = ""
    allow_bookmarks: bool = False
    send_initial_events: bool | None = None
    resource_version_match: str = ""
    timeout_seconds: float | None = None

    def check(self) -> None:
        if self.send_initial_events is not None:
            if self.resource_version_match != "NotOlderThan":
                raise BadRequest("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless "
                                 "resourceVersionMatch is set to NotOlderThan")
            if self.send_initial_events and not self.allow_bookmarks:
                raise BadRequest("allowWatchBookmarks: Forbidden: sendInitialEvents requires setting "
                                 "allowWatchBookmarks to true")
        elif self.resource_version_match:
            raise BadRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
                             "sendInitialEvents is provided")
        if self.timeout_seconds is not None and self.timeout_seconds < 0:
            raise BadRequest("timeoutSeconds: Invalid value: must not be negative")


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str = ""
    precondition_uid: str = ""
    precondition_resource_version: str = ""
    dry_run: bool = False

    def as_options(self) -> dict[str, Any]:
        if self.grace_period_seconds is not None and self.grace_period_seconds < 0:
            raise BadRequest("gracePeriodSeconds must not be negative")
        if self.propagation_policy and self.propagation_policy not in PROPAGATION:
            raise BadRequest(f'propagationPolicy: Unsupported value: "{self.propagation_policy}": supported '
                             'values: "Foreground", "Background", "Orphan"')
        return {"grace_period_seconds": self.grace_period_seconds, "propagation_policy": self.propagation_policy,
                "precondition_uid": self.precondition_uid,
                "precondition_resource_version": self.precondition_resource_version, "dry_run": self.dry_run}


@dataclass(frozen=True)
class LogOptions:
    container: str = ""
    follow: bool = False
    tail_lines: int | None = None
    previous: bool = False
    limit_bytes: int | None = None

    def check(self) -> None:
        if self.tail_lines is not None and self.tail_lines < 0:
            raise BadRequest("tailLines: Invalid value: must be greater than or equal to 0")
        if self.limit_bytes is not None and self.limit_bytes < 1:
            raise BadRequest("limitBytes: Invalid value: must be greater than 0")


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR (obj is then a Status)
    obj: Obj


class Handlers:
    """The verbs of the Kubernetes API over the pipeline, for any transport."""

    def __init__(self, services: Any) -> None:
        self.services = services

    async def _run(self, request: Request) -> Any:
        return await pipeline.run(request, self.services)

    async def create(self, call: Call, info: api.ResourceInfo, namespace: str, body: Any,
                     options: WriteOptions = WriteOptions(), subresource: str = "", name: str = "") -> Obj:
        """A new object (or a subresource such as pods/binding). `name` is the
        URL's name for subresources; objects carry theirs in metadata."""
        if not name and isinstance(body, dict) and isinstance(body.get("metadata"), dict):
            name = str(body["metadata"].get("name") or "")
        request = call.request("create", info, namespace, name, subresource, body, options.as_options())
        result: Obj = await self._run(request)
        return result

    async def get(self, call: Call, info: api.ResourceInfo, namespace: str, name: str,
                  subresource: str = "") -> Obj:
        result: Obj = await self._run(call.request("get", info, namespace, name, subresource))
        return result

    async def list(self, call: Call, info: api.ResourceInfo, namespace: str,
                   options: ListOptions = ListOptions()) -> ListResult:
        result: ListResult = await self._run(call.request("list", info, namespace, options=options.as_options()))
        return result

    async def update(self, call: Call, info: api.ResourceInfo, namespace: str, name: str, body: Any,
                     options: WriteOptions = WriteOptions(), subresource: str = "") -> Obj:
        if not name:
            raise BadRequest("metadata.name is required for an update")
        result: Obj = await self._run(call.request("update", info, namespace, name, subresource, body,
                                                   options.as_options()))
        return result

    async def patch(self, call: Call, info: api.ResourceInfo, namespace: str, name: str, patch_type: str,
                    patch: bytes, options: WriteOptions = WriteOptions(), subresource: str = "",
                    force: bool = False) -> tuple[Obj, bool]:
        """Apply a patch of `patch_type` (its media type) on the server; the
        result and whether it created the object (server-side apply may)."""
        patch_type = patching.patch_type_of(patch_type, info)  # 415 before anything else, as Kubernetes
        opts = {**options.as_options(), "patch_type": patch_type, "patch": patch, "force": force}
        request = call.request("patch", info, namespace, name, subresource, None, opts)
        result: Obj = await self._run(request)
        return result, bool(request.options.get("created"))

    async def delete(self, call: Call, info: api.ResourceInfo, namespace: str, name: str,
                     options: DeleteOptions = DeleteOptions()) -> Obj:
        request = call.request("delete", info, namespace, name, options=options.as_options())
        result: Obj = await self._run(request)
        return result

    async def delete_collection(self, call: Call, info: api.ResourceInfo, namespace: str,
                                selection: ListOptions = ListOptions(),
                                options: DeleteOptions = DeleteOptions()) -> ListResult:
        """Delete every selected object, each through the pipeline as its own
        delete (so RBAC, graceful deletion and audit apply per object)."""
        request = call.request("deletecollection", info, namespace, options=selection.as_options())
        listed: ListResult = await self._run(request)
        deleted = []
        for item in listed.items:
            meta = item["metadata"]
            try:
                deleted.append(await self.delete(call, info, meta.get("namespace", ""), meta["name"], options))
            except StatusError as err:
                if err.reason != "NotFound":
                    raise
        return ListResult(deleted, listed.resource_version, "")

    async def authenticate(self, call: Call, path: str = "") -> UserInfo:
        """Only who is calling, for requests that need no more (discovery,
        OpenAPI, the version over gRPC): Unauthorized if nobody valid. With
        the non-resource `path` asked for, the request gets its audit line."""
        request = call.request("get", NON_RESOURCE, options={"path": path})
        error: Exception | None = None
        try:
            await authenticate.run(request, self.services)
        except StatusError as err:
            error = err
            raise
        finally:
            if path:
                self.services.audit.record(request, error)
        assert request.user is not None
        return request.user

    async def journey(self, call: Call, audit_id: str) -> Obj:
        """A recent request's journey by its Audit-Id, for its own user or a
        member of system:masters."""
        user = await self.authenticate(call)
        kept = self.services.journeys.get(audit_id)
        if kept is None:
            raise NotFound(f'no journey of a request with audit ID "{audit_id}" is kept by this API server '
                           f"(it keeps the newest {self.services.journeys.window})")
        if kept["user"] != user.name and "system:masters" not in user.groups:
            raise Forbidden(f'the journey of request "{audit_id}" is forbidden: User "{user.name}" did not make it',
                            kind="journeys", name=audit_id)
        return dict(kept)

    async def version(self, call: Call) -> Obj:
        """Any authenticated caller may read the server's version."""
        await self.authenticate(call)
        return version.info()

    async def watch(self, call: Call, info: api.ResourceInfo, namespace: str,
                    options: WatchOptions = WatchOptions()) -> AsyncIterator[WatchEvent]:
        """Authorize the watch, then return its events: the current objects
        first as ADDED when asked (resourceVersion "" or "0", or
        sendInitialEvents, which ends them with the initial-events-end
        BOOKMARK), then every change. Expired and store errors end the stream
        with an ERROR event; timeoutSeconds ends it cleanly."""
        options.check()
        request = call.request("watch", info, namespace, options={
            "label_selector": options.label_selector, "field_selector": options.field_selector,
            "resource_version": options.resource_version})
        selector = await self._run(request)
        return self._events(info, request.namespace, selector, options)

    async def _events(self, info: api.ResourceInfo, namespace: str, selector: Any,
                      options: WatchOptions) -> AsyncIterator[WatchEvent]:
        store = self.services.store
        since = options.resource_version
        initial = options.send_initial_events if options.send_initial_events is not None else since in ("", "0")
        loop = asyncio.get_running_loop()
        deadline = None if options.timeout_seconds is None else loop.time() + options.timeout_seconds
        try:
            if initial:
                listed = await store.list(info, namespace, selector)
                for item in listed.items:
                    yield WatchEvent("ADDED", item)
                since = listed.resource_version
                if options.send_initial_events:
                    yield WatchEvent("BOOKMARK", {"kind": info.kind, "apiVersion": info.api_version, "metadata": {
                        "resourceVersion": since, "annotations": {INITIAL_EVENTS_END: "true"}}})
            interval = self.services.bookmark_interval if options.allow_bookmarks else 0.0
            events = store.watch(info, namespace, selector, since, interval).__aiter__()
            try:
                while True:
                    remaining = None if deadline is None else deadline - loop.time()
                    if remaining is not None and remaining <= 0:
                        return
                    try:
                        event = await asyncio.wait_for(events.__anext__(), remaining)
                    except (StopAsyncIteration, TimeoutError):
                        return
                    if event.type == "BOOKMARK" and not options.allow_bookmarks:
                        continue
                    yield WatchEvent(event.type, event.obj)
            finally:
                await events.aclose()
        except Expired as err:
            yield WatchEvent("ERROR", err.status())
        except StatusError as err:
            yield WatchEvent("ERROR", err.status())

    async def log(self, call: Call, namespace: str, name: str,
                  options: LogOptions = LogOptions()) -> AsyncIterator[bytes]:
        """Authorize `get pods/log`, find the pod's node, and return the
        container's output relayed from that node agent."""
        options.check()
        pod = await self._run(call.request("get", api.resource_by_name("pods"), namespace, name, "log"))
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            raise BadRequest(f"pod {name} does not have a host assigned")
        node = await self.services.store.get(api.resource_by_name("nodes"), "", node_name)
        pod_logs.choose_container(pod, options.container)  # a wrong container is refused before streaming
        return pod_logs.stream(pod, node, options, self.services.kubelet_credentials)
