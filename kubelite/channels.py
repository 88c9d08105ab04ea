"""How every gRPC link in kubelite behaves, for the etcdlite client and the API
server client alike: keepalive pings that both sides agree on, and whether a
failed call ever left this process (only then may a write be sent again)."""

from __future__ import annotations

import grpc

# Pings on every channel, so a peer that vanished from the network (a
# partition, a killed container) is noticed in seconds, not when TCP gives up.
KEEPALIVE_OPTIONS = [("grpc.keepalive_time_ms", 2000), ("grpc.keepalive_timeout_ms", 2000),
                     ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.max_pings_without_data", 0)]
# What a server must allow for those pings (else it answers GOAWAY "too_many_pings").
ACCEPT_KEEPALIVE_OPTIONS = [("grpc.http2.min_recv_ping_interval_without_data_ms", 1000),
                            ("grpc.http2.max_ping_strikes", 0), ("grpc.keepalive_permit_without_calls", 1)]

_NOT_SENT_MARKERS = ("failed to connect", "Connection refused", "connections to all backends failing",
                     "Socket closed", "DNS resolution failed", "No route to host")


def never_sent(err: grpc.aio.AioRpcError) -> bool:
    """UNAVAILABLE because no connection could be made: the request never left."""
    details = err.details() or ""
    return err.code() == grpc.StatusCode.UNAVAILABLE and any(m in details for m in _NOT_SENT_MARKERS)
