"""Ports for processes the tests kill and restart: never the same port twice
(a member once got one port for both its client and peer listeners, and could
not restart), and never in the kernel's ephemeral range."""

from __future__ import annotations

from etcdlite.localcluster import ephemeral_low, free_port


def test_free_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)
    assert all(1024 < p < ephemeral_low() for p in ports)
