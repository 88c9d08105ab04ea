"""Chaos: SIGKILL etcdlite replicas under load, then prove that no acknowledged
write was lost, that the replicas agree (HashKV digests) and that none of them
logged pysyncobj's "state machine may have diverged" warning; and that a
cluster without quorum refuses writes cleanly but still serves serializable
reads, then recovers."""

from __future__ import annotations

import asyncio
import time

import pytest

from etcdlite.client import EtcdClient
from etcdlite.errors import EtcdliteError, Unavailable
from etcdlite.localcluster import DIVERGENCE_LINE, LocalCluster

pytestmark = pytest.mark.chaos

WRITERS = 8


async def _members_converged(cluster: LocalCluster, timeout: float = 30.0) -> int:
    async with EtcdClient(cluster.endpoints) as client:
        deadline = time.monotonic() + timeout
        while True:
            revisions = {(await client.status(m.endpoint)).header.revision for m in cluster.members.values()}
            if len(revisions) == 1:
                return revisions.pop()
            assert time.monotonic() < deadline, f"replicas did not converge: {revisions}"
            await asyncio.sleep(0.2)


async def _write_until(stop: asyncio.Event, endpoints: list[str], writer: int,
                       acked: dict[str, str]) -> None:
    """Write unique keys until `stop`; record only writes the server acknowledged."""
    async with EtcdClient(endpoints, timeout=3) as client:
        i = 0
        while not stop.is_set():
            key, value = f"/chaos/{writer}/{i:06d}", f"{writer}-{i}"
            i += 1
            try:
                await client.put(key, value)
            except EtcdliteError:
                await asyncio.sleep(0.05)
                continue
            acked[key] = value


def test_leader_sigkill_under_load_loses_no_acknowledged_write(etcdlite_cluster: LocalCluster) -> None:
    """Three rounds: SIGKILL whoever leads while 8 clients write, let a new
    leader take over, restart the victim; writers never stop."""
    cluster = etcdlite_cluster
    acked: dict[str, str] = {}
    victims: list[str] = []

    async def load() -> None:
        stop = asyncio.Event()
        endpoints = cluster.endpoints
        # each writer lists the endpoints from a different member first
        tasks = [asyncio.create_task(_write_until(stop, endpoints[w % 3:] + endpoints[:w % 3], w, acked))
                 for w in range(WRITERS)]
        loop = asyncio.get_running_loop()
        for _ in range(3):
            await asyncio.sleep(1.5)
            leader = await loop.run_in_executor(None, cluster.wait_ready)
            before_kill = len(acked)
            assert before_kill > 0, "no write was acknowledged before the kill"
            cluster.kill_member(leader)  # SIGKILL
            victims.append(leader)
            new_leader = await loop.run_in_executor(None, cluster.wait_ready)
            assert new_leader != leader
            await asyncio.sleep(1.5)
            assert len(acked) > before_kill, "no write was acknowledged after the leader was killed"
            cluster.start_member(leader)
        stop.set()
        await asyncio.gather(*tasks)

    asyncio.run(load())
    cluster.wait_ready()
    revision = asyncio.run(_members_converged(cluster))

    async def verify() -> None:
        for member in cluster.members.values():
            async with EtcdClient([member.endpoint]) as client:
                stored = await client.get("/chaos/", prefix=True, serializable=True)
            found = {kv.key.decode(): kv.value.decode() for kv in stored.kvs}
            lost = {k for k, v in acked.items() if found.get(k) != v}
            assert not lost, f"{member.name} lost {len(lost)} acknowledged writes, e.g. {sorted(lost)[:3]}"
        async with EtcdClient(cluster.endpoints) as client:
            digests = {m.name: (await client.hash_kv(m.endpoint, revision)).hash
                       for m in cluster.members.values()}
        assert len(set(digests.values())) == 1, f"replica digests differ: {digests}"

    asyncio.run(verify())
    assert cluster.logs_with(DIVERGENCE_LINE) == []


def test_without_quorum_writes_fail_cleanly_and_serializable_reads_still_work(
        etcdlite_cluster: LocalCluster) -> None:
    cluster = etcdlite_cluster
    survivor = next(iter(cluster.members))
    survivor_endpoint = cluster.members[survivor].endpoint

    async def seed() -> None:
        async with EtcdClient(cluster.endpoints) as client:
            await client.put("/quorum/k", "before")

    asyncio.run(seed())
    asyncio.run(_members_converged(cluster))
    others = [n for n in cluster.members if n != survivor]
    for name in others:
        cluster.kill_member(name)

    async def minority() -> None:
        async with EtcdClient([survivor_endpoint], timeout=30) as client:
            started = time.monotonic()
            with pytest.raises(Unavailable):
                await client.put("/quorum/k", "during")
            assert time.monotonic() - started < 20, "a write without quorum must fail in bounded time"
            got = await client.get("/quorum/k", serializable=True)
            assert got.kvs[0].value == b"before"

    asyncio.run(minority())
    for name in others:
        cluster.start_member(name)
    cluster.wait_ready()

    async def recovered() -> None:
        async with EtcdClient(cluster.endpoints) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    await client.put("/quorum/k", "after")
                    break
                except Unavailable:
                    assert time.monotonic() < deadline, "writes did not resume after quorum came back"
                    await asyncio.sleep(0.2)
            assert (await client.get("/quorum/k")).kvs[0].value == b"after"

    asyncio.run(recovered())
