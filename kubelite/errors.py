"""API errors of kubelite, shared by the API server and every client, mapped to
the wire in one place.

Each error is a Kubernetes Status (reason, message, details with causes, HTTP
code) and carries the gRPC code it travels as. `to_rpc_status` packs it into a
google.rpc.Status whose details hold the Status JSON; `from_rpc_error` is the
one way back, used by every client.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc_status import rpc_status

from kubelite.gen.kubelite.v1 import api_pb2


class StatusError(Exception):
    """A failed API call as Kubernetes reports it."""

    reason = "InternalError"
    http_code = 500
    grpc_code = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, kind: str = "", name: str = "", group: str = "",
                 causes: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name
        self.group = group
        self.causes = causes or []

    def status(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = self.causes
        status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": self.message, "reason": self.reason, "code": self.http_code}
        if details:
            status["details"] = details
        return status


class BadRequest(StatusError):
    reason, http_code, grpc_code = "BadRequest", 400, grpc.StatusCode.INVALID_ARGUMENT


class Unauthorized(StatusError):
    reason, http_code, grpc_code = "Unauthorized", 401, grpc.StatusCode.UNAUTHENTICATED

    def __init__(self, message: str = "Unauthorized", **details: Any) -> None:
        super().__init__(message, **details)


class Forbidden(StatusError):
    reason, http_code, grpc_code = "Forbidden", 403, grpc.StatusCode.PERMISSION_DENIED


class NotFound(StatusError):
    reason, http_code, grpc_code = "NotFound", 404, grpc.StatusCode.NOT_FOUND

    @classmethod
    def of(cls, resource: str, name: str, group: str = "") -> NotFound:
        qualified = f"{resource}.{group}" if group else resource
        return cls(f'{qualified} "{name}" not found', kind=resource, name=name, group=group)


class AlreadyExists(StatusError):
    reason, http_code, grpc_code = "AlreadyExists", 409, grpc.StatusCode.ALREADY_EXISTS

    @classmethod
    def of(cls, resource: str, name: str, group: str = "") -> AlreadyExists:
        qualified = f"{resource}.{group}" if group else resource
        return cls(f'{qualified} "{name}" already exists', kind=resource, name=name, group=group)


class Conflict(StatusError):
    reason, http_code, grpc_code = "Conflict", 409, grpc.StatusCode.ABORTED

    @classmethod
    def modified(cls, resource: str, name: str, group: str = "") -> Conflict:
        qualified = f"{resource}.{group}" if group else resource
        return cls(f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
                   "please apply your changes to the latest version and try again",
                   kind=resource, name=name, group=group)


class Invalid(StatusError):
    reason, http_code, grpc_code = "Invalid", 422, grpc.StatusCode.INVALID_ARGUMENT


class Expired(StatusError):
    """The requested resourceVersion was compacted away: list again."""

    reason, http_code, grpc_code = "Expired", 410, grpc.StatusCode.OUT_OF_RANGE


class MethodNotSupported(StatusError):
    reason, http_code, grpc_code = "MethodNotAllowed", 405, grpc.StatusCode.UNIMPLEMENTED


class NotAcceptable(StatusError):
    reason, http_code, grpc_code = "NotAcceptable", 406, grpc.StatusCode.INVALID_ARGUMENT


class RequestEntityTooLarge(StatusError):
    reason, http_code, grpc_code = "RequestEntityTooLarge", 413, grpc.StatusCode.RESOURCE_EXHAUSTED


class UnsupportedMediaType(StatusError):
    reason, http_code, grpc_code = "UnsupportedMediaType", 415, grpc.StatusCode.INVALID_ARGUMENT


class TooManyRequests(StatusError):
    reason, http_code, grpc_code = "TooManyRequests", 429, grpc.StatusCode.RESOURCE_EXHAUSTED


class ServiceUnavailable(StatusError):
    reason, http_code, grpc_code = "ServiceUnavailable", 503, grpc.StatusCode.UNAVAILABLE


class ServerUnreachable(ServiceUnavailable):
    """No API server answered at all (refused, TLS handshake failed, ...), as
    opposed to a server that answered 503; `message` holds gRPC's details."""


class Timeout(StatusError):
    reason, http_code, grpc_code = "Timeout", 504, grpc.StatusCode.DEADLINE_EXCEEDED


class InternalError(StatusError):
    pass


_BY_REASON: dict[str, type[StatusError]] = {
    cls.reason: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, AlreadyExists, Conflict, Invalid,
                                Expired, MethodNotSupported, NotAcceptable, RequestEntityTooLarge,
                                UnsupportedMediaType, TooManyRequests, ServiceUnavailable, Timeout, InternalError)
}
_CODE_NUMBERS = {code: code.value[0] for code in grpc.StatusCode}


def to_rpc_status(err: StatusError) -> status_pb2.Status:
    """The one mapping to the wire: gRPC code + message + Status JSON in details."""
    detail = any_pb2.Any()
    detail.Pack(api_pb2.StatusDetails(json=json.dumps(err.status()).encode()))
    return status_pb2.Status(code=_CODE_NUMBERS[err.grpc_code], message=err.message, details=[detail])


def error_from_status(body: dict[str, Any]) -> StatusError:
    """A Kubernetes Status document (as in watch ERROR events) to its error."""
    cls = _BY_REASON.get(str(body.get("reason", "")), InternalError)
    details = body.get("details") or {}
    return cls(str(body.get("message", "")), kind=details.get("kind", ""), name=details.get("name", ""),
               group=details.get("group", ""), causes=details.get("causes"))


def from_rpc_error(err: grpc.RpcError) -> StatusError:
    """The one mapping back: any error of an Api call to the StatusError it was."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    if status is not None:
        for detail in status.details:
            if detail.Is(api_pb2.StatusDetails.DESCRIPTOR):
                payload = api_pb2.StatusDetails()
                detail.Unpack(payload)
                return error_from_status(json.loads(payload.json))
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = (err.details() if hasattr(err, "details") else "") or str(code)
    if code == grpc.StatusCode.UNAVAILABLE:
        return ServiceUnavailable(message)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return Unauthorized(message)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Timeout(message)
    return InternalError(message)


