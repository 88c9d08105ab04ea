"""etcd's key-range conventions and the checks that stop malformed requests
before they reach the Raft log."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etcdlite import validation
from etcdlite.errors import InvalidArgument
from etcdlite.keyrange import ALL_KEYS, in_range, prefix_end
from etcdlite.member import parse_initial_cluster, url_host_port
from kubelite.gen.etcdserverpb import rpc_pb2


@pytest.mark.parametrize(("prefix", "end"), [
    (b"a", b"b"), (b"/registry/pods/", b"/registry/pods0"), (b"a\xff", b"b"), (b"\xff\xff", ALL_KEYS),
], ids=["simple", "slash", "carry", "all-ff"])
def test_prefix_end_is_the_first_key_after_the_prefix(prefix: bytes, end: bytes) -> None:
    assert prefix_end(prefix) == end


@pytest.mark.parametrize(("candidate", "key", "range_end", "selected"), [
    (b"a", b"a", b"", True), (b"ab", b"a", b"", False),
    (b"ab", b"a", b"b", True), (b"b", b"a", b"b", False),
    (b"zzz", b"m", ALL_KEYS, True), (b"a", b"m", ALL_KEYS, False),
], ids=["single-hit", "single-miss", "range-hit", "range-end-exclusive", "from-key-hit", "from-key-miss"])
def test_in_range_follows_etcd_rules(candidate: bytes, key: bytes, range_end: bytes, selected: bool) -> None:
    assert in_range(candidate, key, range_end) is selected


def put(key: bytes, value: bytes = b"v") -> rpc_pb2.RequestOp:
    return rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key, value=value))


def delete(key: bytes, range_end: bytes = b"") -> rpc_pb2.RequestOp:
    return rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=key, range_end=range_end))


@pytest.mark.parametrize(("check", "request_", "message"), [
    (validation.check_put, rpc_pb2.PutRequest(value=b"x"), "key is not provided"),
    (validation.check_put, rpc_pb2.PutRequest(key=b"k", value=b"x", ignore_value=True), "value is provided"),
    (validation.check_put, rpc_pb2.PutRequest(key=b"k", lease=5, ignore_lease=True), "lease is provided"),
    (validation.check_range, rpc_pb2.RangeRequest(key=b"b", range_end=b"a"), "range_end must be greater"),
    (validation.check_range, rpc_pb2.RangeRequest(key=b"a", sort_order=9), "invalid sort option"),
    (validation.check_delete_range, rpc_pb2.DeleteRangeRequest(), "key is not provided"),
    (validation.check_txn, rpc_pb2.TxnRequest(success=[put(b"k"), put(b"k")]), "duplicate key"),
    (validation.check_txn, rpc_pb2.TxnRequest(success=[delete(b"a", b"c"), put(b"b")]), "duplicate key"),
    (validation.check_txn, rpc_pb2.TxnRequest(success=[rpc_pb2.RequestOp()]), "empty request"),
    (validation.check_txn, rpc_pb2.TxnRequest(success=[put(str(i).encode()) for i in range(129)]), "too many"),
], ids=["put-no-key", "ignore-value-with-value", "ignore-lease-with-lease", "range-end-before-key",
        "bad-sort", "delete-no-key", "txn-duplicate-put", "txn-put-inside-delete", "txn-empty-op",
        "txn-too-many-ops"])
def test_malformed_requests_are_refused_with_etcd_wording(check, request_, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument, match=message):
        check(request_)


@pytest.mark.parametrize("request_", [
    rpc_pb2.TxnRequest(success=[put(b"a")], failure=[put(b"a")]),
    rpc_pb2.TxnRequest(success=[delete(b"a", b"b"), put(b"b")]),
    rpc_pb2.TxnRequest(success=[rpc_pb2.RequestOp(request_txn=rpc_pb2.TxnRequest(
        success=[put(b"n")], failure=[put(b"n")]))]),
], ids=["same-key-in-both-branches", "put-at-range-end", "nested-branches-same-key"])
def test_legal_txns_pass(request_: rpc_pb2.TxnRequest) -> None:
    validation.check_txn(request_)


@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(
    ["a=http://127.0.0.1:2380", "b=http://h:1", "c=http://h:notaport", "d=https://h:1", "=http://h:2", "e",
     "f=http://h:99999", "g=grpc://[::1]:7", "a=http://h:3", ",", " "]), max_size=4).map(",".join)))
def test_initial_cluster_parses_or_says_what_is_wrong(spec: str) -> None:
    try:
        peers = parse_initial_cluster(spec)
    except ValueError as err:
        assert str(err)
        return
    for peer in peers:
        host, _, port = url_host_port(peer.peer_url).rpartition(":")
        assert host and 0 < int(port) < 65536
    assert len({p.name for p in peers}) == len(peers)
