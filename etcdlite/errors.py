"""Typed etcdlite errors, each carrying its gRPC status code.

Every layer raises these; the gRPC servicers map them to the wire in exactly one
place (`to_grpc_status`), and the client maps a wire status back with
`from_grpc_error`. Messages use etcd's own wording so etcdctl users recognise them.
"""

from __future__ import annotations

import grpc


class EtcdliteError(Exception):
    """Base of every etcdlite error; `code` is the gRPC status it travels as."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(EtcdliteError):
    """The request is malformed (empty key, bad range, duplicate key in txn...)."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class KeyNotFound(InvalidArgument):
    """ignore_value/ignore_lease on a key that does not exist."""

    def __init__(self) -> None:
        super().__init__("etcdserver: key not found")


class LeaseNotFound(EtcdliteError):
    code = grpc.StatusCode.NOT_FOUND

    def __init__(self) -> None:
        super().__init__("etcdserver: requested lease not found")


class LeaseExists(EtcdliteError):
    code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self) -> None:
        super().__init__("etcdserver: lease already exists")


class Compacted(EtcdliteError):
    """The requested revision is older than the compaction revision."""

    code = grpc.StatusCode.OUT_OF_RANGE

    def __init__(self, compact_revision: int) -> None:
        super().__init__("etcdserver: mvcc: required revision has been compacted")
        self.compact_revision = compact_revision


class FutureRevision(EtcdliteError):
    code = grpc.StatusCode.OUT_OF_RANGE

    def __init__(self) -> None:
        super().__init__("etcdserver: mvcc: required revision is a future revision")


class Unavailable(EtcdliteError):
    """No quorum, no leader, or the proposal did not commit in time."""

    code = grpc.StatusCode.UNAVAILABLE


class NoLeader(Unavailable):
    def __init__(self) -> None:
        super().__init__("etcdserver: no leader")


class RequestTimeout(Unavailable):
    def __init__(self) -> None:
        super().__init__("etcdserver: request timed out")


_BY_MESSAGE: dict[str, type[EtcdliteError]] = {}


def to_grpc_status(err: EtcdliteError) -> tuple[grpc.StatusCode, str]:
    """The one mapping from a typed error to the wire."""
    return err.code, err.message


def from_grpc_error(err: grpc.RpcError) -> EtcdliteError:
    """The one mapping back: a gRPC error from any etcd v3 server to a typed error."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = (err.details() if hasattr(err, "details") else None) or str(err)
    if "required revision has been compacted" in message:
        return Compacted(0)
    if "required revision is a future revision" in message:
        return FutureRevision()
    if "requested lease not found" in message:
        return LeaseNotFound()
    if "lease already exists" in message:
        return LeaseExists()
    if "key not found" in message:
        return KeyNotFound()
    for cls in (InvalidArgument, Unavailable):
        if code == cls.code:
            return cls(message)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return RequestTimeout()
    error = EtcdliteError(message)
    error.code = code
    return error
