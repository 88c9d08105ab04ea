"""Request checks done before anything is proposed to Raft: a malformed request
gets INVALID_ARGUMENT with etcd's wording and never reaches the log."""

from __future__ import annotations

from etcdlite.errors import InvalidArgument
from etcdlite.keyrange import ALL_KEYS, in_range
from kubelite.gen.etcdserverpb import rpc_pb2

MAX_TXN_OPS = 128
MAX_REQUEST_BYTES = 1_572_864  # etcd's default --max-request-bytes


def check_key_range(key: bytes, range_end: bytes) -> None:
    if not key:
        raise InvalidArgument("etcdserver: key is not provided")
    if range_end and range_end != ALL_KEYS and range_end < key:
        raise InvalidArgument("etcdserver: range_end must be greater than key")


def check_range(req: rpc_pb2.RangeRequest) -> None:
    check_key_range(req.key, req.range_end)
    if req.sort_order not in rpc_pb2.RangeRequest.SortOrder.values():
        raise InvalidArgument("etcdserver: invalid sort option")
    if req.sort_target not in rpc_pb2.RangeRequest.SortTarget.values():
        raise InvalidArgument("etcdserver: invalid sort option")
    if req.limit < 0:
        raise InvalidArgument("etcdserver: limit must not be negative")


def check_put(req: rpc_pb2.PutRequest) -> None:
    if not req.key:
        raise InvalidArgument("etcdserver: key is not provided")
    if req.ignore_value and req.value:
        raise InvalidArgument("etcdserver: value is provided")
    if req.ignore_lease and req.lease:
        raise InvalidArgument("etcdserver: lease is provided")
    if req.ByteSize() > MAX_REQUEST_BYTES:
        raise InvalidArgument("etcdserver: request is too large")


def check_delete_range(req: rpc_pb2.DeleteRangeRequest) -> None:
    check_key_range(req.key, req.range_end)


def check_txn(req: rpc_pb2.TxnRequest) -> None:
    if len(req.compare) + len(req.success) + len(req.failure) > MAX_TXN_OPS:
        raise InvalidArgument("etcdserver: too many operations in txn request")
    for compare in req.compare:
        check_key_range(compare.key, compare.range_end)
        if compare.result not in rpc_pb2.Compare.CompareResult.values():
            raise InvalidArgument("etcdserver: invalid compare result")
        if compare.target not in rpc_pb2.Compare.CompareTarget.values():
            raise InvalidArgument("etcdserver: invalid compare target")
    for branch in (req.success, req.failure):
        puts: set[bytes] = set()
        deletes: list[tuple[bytes, bytes]] = []
        _check_branch(branch, puts, deletes)
        for key in puts:
            if any(in_range(key, k, end) for k, end in deletes):
                raise InvalidArgument("etcdserver: duplicate key given in txn request")


def _check_branch(ops: list[rpc_pb2.RequestOp], puts: set[bytes],
                  deletes: list[tuple[bytes, bytes]]) -> None:
    for op in ops:
        kind = op.WhichOneof("request")
        if kind == "request_range":
            check_range(op.request_range)
        elif kind == "request_put":
            check_put(op.request_put)
            if op.request_put.key in puts:
                raise InvalidArgument("etcdserver: duplicate key given in txn request")
            puts.add(op.request_put.key)
        elif kind == "request_delete_range":
            check_delete_range(op.request_delete_range)
            deletes.append((op.request_delete_range.key, op.request_delete_range.range_end))
        elif kind == "request_txn":
            check_txn(op.request_txn)
            nested_puts: set[bytes] = set()
            for branch in (op.request_txn.success, op.request_txn.failure):
                branch_puts: set[bytes] = set()
                _check_branch(branch, branch_puts, deletes)
                nested_puts |= branch_puts
            if puts & nested_puts:
                raise InvalidArgument("etcdserver: duplicate key given in txn request")
            puts |= nested_puts
        else:
            raise InvalidArgument("etcdserver: empty request in txn")


def check_watch_create(req: rpc_pb2.WatchCreateRequest) -> None:
    if req.range_end and req.range_end != ALL_KEYS and req.range_end < req.key:
        raise InvalidArgument("etcdserver: range_end must be greater than key")
    if req.start_revision < 0:
        raise InvalidArgument("etcdserver: start_revision must not be negative")
