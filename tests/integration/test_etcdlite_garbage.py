"""Garbage in, clean errors out: hypothesis throws random bytes and random
well-formed requests at every etcd v3 method of a real etcdlite member. Each
call must end in OK or a deliberate status (INVALID_ARGUMENT, NOT_FOUND,
OUT_OF_RANGE, FAILED_PRECONDITION), never INTERNAL/UNKNOWN, and the member must
keep serving."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etcdlite.localcluster import LocalCluster
from kubelite.gen.etcdserverpb import rpc_pb2

pytestmark = pytest.mark.integration

ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
           grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.FAILED_PRECONDITION}

UNARY = [(svc.name, m.name) for svc in rpc_pb2.DESCRIPTOR.services_by_name.values()
         for m in svc.methods if not m.client_streaming and not m.server_streaming]
STREAMING = [("Watch", "Watch"), ("Lease", "LeaseKeepAlive")]


def _status(call: grpc.Call | grpc.RpcError) -> grpc.StatusCode:
    return call.code()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def channel(shared_etcdlite: LocalCluster) -> grpc.Channel:
    with grpc.insecure_channel(shared_etcdlite.endpoints[0]) as ch:
        yield ch


def _unary(channel: grpc.Channel, service: str, method: str, payload: bytes) -> grpc.StatusCode:
    rpc = channel.unary_unary(f"/etcdserverpb.{service}/{method}")
    try:
        rpc(payload, timeout=10)
        return grpc.StatusCode.OK
    except grpc.RpcError as err:
        return _status(err)


@pytest.mark.parametrize(("service", "method"), UNARY, ids=[f"{s}.{m}" for s, m in UNARY])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=64))
def test_random_bytes_to_unary_methods_get_a_deliberate_status(channel: grpc.Channel, service: str,
                                                                 method: str, payload: bytes) -> None:
    # Keep random writes away from other tests' keys: a parsed Put/Delete/Txn
    # with a random key is acceptable, INTERNAL is not.
    code = _unary(channel, service, method, payload)
    assert code in ALLOWED, f"{service}.{method}({payload!r}) -> {code}"


@pytest.mark.parametrize(("service", "method"), STREAMING, ids=[f"{s}.{m}" for s, m in STREAMING])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(st.binary(max_size=48), min_size=1, max_size=4))
def test_random_bytes_to_streams_get_a_deliberate_status(channel: grpc.Channel, service: str, method: str,
                                                           payloads: list[bytes]) -> None:
    rpc = channel.stream_stream(f"/etcdserverpb.{service}/{method}")
    call = rpc(iter(payloads), timeout=3)
    try:
        for _ in call:
            pass
        code = grpc.StatusCode.OK
    except grpc.RpcError as err:
        code = _status(err)
    # DEADLINE_EXCEEDED: a well-formed watch simply stays open until our timeout.
    assert code in ALLOWED | {grpc.StatusCode.DEADLINE_EXCEEDED}, f"{service}.{method} -> {code}"


range_requests = st.builds(
    rpc_pb2.RangeRequest,
    key=st.binary(max_size=8), range_end=st.binary(max_size=8), limit=st.integers(-5, 5),
    revision=st.integers(-5, 1_000_000), sort_order=st.integers(0, 5), sort_target=st.integers(0, 7),
    serializable=st.booleans(), keys_only=st.booleans(), count_only=st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=range_requests)
def test_random_range_requests_never_fail_internally(channel: grpc.Channel, request: rpc_pb2.RangeRequest) -> None:
    code = _unary(channel, "KV", "Range", request.SerializeToString())
    assert code in ALLOWED, f"Range({request}) -> {code}"


def test_member_still_serves_after_the_garbage(channel: grpc.Channel) -> None:
    put = rpc_pb2.PutRequest(key=b"/garbage/after", value=b"ok")
    assert _unary(channel, "KV", "Put", put.SerializeToString()) == grpc.StatusCode.OK
