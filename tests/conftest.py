"""Shared fixtures: real etcdlite clusters on free loopback ports, always reaped by PID."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdlite.localcluster import DIVERGENCE_LINE, LocalCluster


@pytest.fixture
def etcdlite_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A fresh three-member etcdlite cluster, stopped (by PID) after the test.
    Fails the test if any member logged pysyncobj's divergence warning."""
    cluster = LocalCluster(tmp_path / "etcdlite")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
    assert cluster.logs_with(DIVERGENCE_LINE) == [], "a replica logged a state-machine divergence"


@pytest.fixture(scope="module")
def shared_etcdlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One cluster shared by a module's tests; tests must use their own key prefix."""
    cluster = LocalCluster(tmp_path_factory.mktemp("etcdlite"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
    assert cluster.logs_with(DIVERGENCE_LINE) == []


def run(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion from a sync test."""
    return asyncio.run(coro)
