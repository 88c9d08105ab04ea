"""Three real etcdlite processes on loopback, driven through our failover client:
replication, the etcd response header, watches, leases, errors, restarts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from etcdlite.client import EtcdClient
from etcdlite.errors import Compacted, FutureRevision, InvalidArgument, LeaseNotFound
from etcdlite.localcluster import LocalCluster
from kubelite.gen.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from kubelite.gen.mvccpb import kv_pb2

pytestmark = pytest.mark.integration


def follower_of(cluster: LocalCluster) -> str:
    leader = cluster.leader()
    return next(m.endpoint for m in cluster.members.values() if m.name != leader and m.alive())


async def converge(cluster: LocalCluster, timeout: float = 15.0) -> int:
    """Wait until every live member reports the same store revision; return it."""
    async with EtcdClient(cluster.endpoints) as client:
        deadline = time.monotonic() + timeout
        while True:
            revisions = set()
            for member in cluster.members.values():
                if member.alive():
                    revisions.add((await client.status(member.endpoint)).header.revision)
            if len(revisions) == 1:
                return revisions.pop()
            if time.monotonic() > deadline:
                raise AssertionError(f"members did not converge: {revisions}")
            await asyncio.sleep(0.1)


async def digests(cluster: LocalCluster, revision: int) -> set[int]:
    """The distinct HashKV digests of every member at `revision` (one if they agree)."""
    async with EtcdClient(cluster.endpoints) as client:
        return {(await client.hash_kv(ep, revision)).hash for ep in cluster.endpoints}


async def write_sequentially(cluster: LocalCluster, prefix: str, count: int) -> None:
    """Put prefix0000.. one after the other through the live members."""
    async with EtcdClient([m.endpoint for m in cluster.members.values() if m.alive()]) as client:
        for i in range(count):
            await client.put(f"{prefix}{i:04d}", str(i))


def test_write_sent_to_a_follower_commits_and_is_readable_on_every_member(shared_etcdlite: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient([follower_of(shared_etcdlite)]) as writer:
            put = await writer.put("/it/follower", "v1")
        assert put.header.revision > 1
        await converge(shared_etcdlite)
        for endpoint in shared_etcdlite.endpoints:
            async with EtcdClient([endpoint]) as reader:
                got = await reader.get("/it/follower", serializable=True)
            assert [kv.value for kv in got.kvs] == [b"v1"], endpoint
            assert got.kvs[0].mod_revision == put.header.revision

    asyncio.run(scenario())


def test_every_response_carries_cluster_member_revision_and_term(shared_etcdlite: LocalCluster) -> None:
    async def scenario() -> None:
        members: set[int] = set()
        clusters: set[int] = set()
        for endpoint in shared_etcdlite.endpoints:
            async with EtcdClient([endpoint]) as client:
                put = await client.put("/it/header", endpoint)
                got = await client.get("/it/header")
                for header in (put.header, got.header):
                    assert header.cluster_id and header.member_id and header.raft_term >= 1
                    assert header.revision >= put.header.revision
                members.add(put.header.member_id)
                clusters.add(got.header.cluster_id)
        assert len(members) == 3 and len(clusters) == 1

    asyncio.run(scenario())


def test_writes_name_their_raft_entry_and_the_leader(shared_etcdlite: LocalCluster) -> None:
    """Each write's trailing metadata names its log entry: indexes grow with the
    writes whichever member answers, and the leader is the one Status reports."""
    async def scenario() -> None:
        indexes: list[int] = []
        for endpoint in shared_etcdlite.endpoints:
            async with EtcdClient([endpoint]) as client:
                txn = rpc_pb2.TxnRequest(success=[rpc_pb2.RequestOp(
                    request_put=rpc_pb2.PutRequest(key=b"/it/entry", value=endpoint.encode()))])
                response, entry = await client.txn_with_entry(txn)
                assert response.succeeded and entry is not None
                leader = (await client.status(endpoint)).leader
                assert entry.leader_id == leader and entry.commit_ms > 0
                indexes.append(entry.index)
        assert indexes == sorted(set(indexes)) and indexes[0] > 1
        async with EtcdClient(shared_etcdlite.endpoints[:1]) as client:
            status = await client.status(shared_etcdlite.endpoints[0])
        assert status.raftIndex >= indexes[-1]

    asyncio.run(scenario())


def test_range_prefix_limit_revision_and_count(shared_etcdlite: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(shared_etcdlite.endpoints) as client:
            first = await client.put("/it/range/a", "1")
            for key in ("b", "c", "d"):
                await client.put(f"/it/range/{key}", key)
            await client.put("/it/range/a", "2")
            page = await client.get("/it/range/", prefix=True, limit=2)
            assert [kv.key for kv in page.kvs] == [b"/it/range/a", b"/it/range/b"]
            assert page.more and page.count == 4
            old = await client.get("/it/range/a", revision=first.header.revision)
            assert old.kvs[0].value == b"1" and old.kvs[0].version == 1
            counted = await client.get("/it/range/", prefix=True, count_only=True)
            assert counted.count == 4 and not counted.kvs
            with pytest.raises(FutureRevision):
                await client.get("/it/range/a", revision=page.header.revision + 1000)

    asyncio.run(scenario())


def test_bad_requests_get_invalid_argument_or_not_found(shared_etcdlite: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(shared_etcdlite.endpoints) as client:
            before = (await client.get("/it/bad", count_only=True)).header.revision
            with pytest.raises(InvalidArgument, match="key is not provided"):
                await client.put("", "x")
            with pytest.raises(InvalidArgument, match="range_end"):
                await client.get("/b", range_end="/a")
            with pytest.raises(LeaseNotFound):
                await client.put("/it/bad", "x", lease=424242)
            txn = rpc_pb2.TxnRequest(success=[
                rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=b"/it/bad/k", value=b"1")),
                rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=b"/it/bad/k", value=b"2")),
            ])
            with pytest.raises(InvalidArgument, match="duplicate key"):
                await client.txn(txn)
            after = (await client.get("/it/bad", count_only=True)).header.revision
            # nothing above may have written; other tests share the cluster, so
            # check our keys rather than the global revision
            assert after >= before
            assert (await client.get("/it/bad", prefix=True)).count == 0

    asyncio.run(scenario())


def test_watch_streams_replay_filter_prev_kv_and_cancel(shared_etcdlite: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(shared_etcdlite.endpoints) as client:
            first = await client.put("/it/watch/a", "1")
            await client.put("/it/watch/a", "2")
            await client.delete("/it/watch/a")
            replay = client.watch("/it/watch/", prefix=True, start_revision=first.header.revision, prev_kv=True)
            events: list[kv_pb2.Event] = []
            async for response in replay:
                events.extend(response.events)
                if len(events) >= 3:
                    break
            replay.cancel()
            assert [(e.type, e.kv.value) for e in events] == [
                (kv_pb2.Event.PUT, b"1"), (kv_pb2.Event.PUT, b"2"), (kv_pb2.Event.DELETE, b"")]
            assert events[1].prev_kv.value == b"1" and events[2].prev_kv.value == b"2"

            live = client.watch("/it/watch/b")
            iterator = live.__aiter__()
            receive = asyncio.create_task(iterator.__anext__())
            await asyncio.wait_for(live.created.wait(), 5)
            put = await client.put("/it/watch/b", "live")
            response = await asyncio.wait_for(receive, 5)
            assert response.events[0].kv.mod_revision == put.header.revision
            assert not response.events[0].HasField("prev_kv")
            live.cancel()

    asyncio.run(scenario())


def test_several_watchers_share_one_stream_and_no_delete_filter_applies(shared_etcdlite: LocalCluster) -> None:
    member = shared_etcdlite.members["etcd-2"]

    def request(**fields: object) -> rpc_pb2.WatchRequest:
        return rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(**fields))  # type: ignore[arg-type]

    async def scenario() -> None:
        async with grpc.aio.insecure_channel(member.endpoint) as channel:
            call = rpc_pb2_grpc.WatchStub(channel).Watch()
            await call.write(request(key=b"/it/multi/x", watch_id=7))
            await call.write(request(key=b"/it/multi/y", watch_id=8,
                                     filters=[rpc_pb2.WatchCreateRequest.NODELETE]))
            created = {(await call.read()).watch_id, (await call.read()).watch_id}
            assert created == {7, 8}
            async with EtcdClient([member.endpoint]) as client:
                await client.put("/it/multi/y", "1")
                await client.delete("/it/multi/y")
                await client.put("/it/multi/x", "2")
            seen = []
            while len(seen) < 2:
                response = await asyncio.wait_for(call.read(), 5)
                seen += [(response.watch_id, e.type, e.kv.key) for e in response.events]
            assert seen == [(8, kv_pb2.Event.PUT, b"/it/multi/y"), (7, kv_pb2.Event.PUT, b"/it/multi/x")]
            await call.write(rpc_pb2.WatchRequest(cancel_request=rpc_pb2.WatchCancelRequest(watch_id=7)))
            cancelled = await asyncio.wait_for(call.read(), 5)
            assert cancelled.canceled and cancelled.watch_id == 7
            call.cancel()

    asyncio.run(scenario())


def test_watch_from_a_compacted_revision_gets_the_compaction_revision(etcdlite_cluster: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(etcdlite_cluster.endpoints) as client:
            first = await client.put("/c/k", "1")
            second = await client.put("/c/k", "2")
            await client.compact(second.header.revision)
            with pytest.raises(Compacted):
                await client.get("/c/k", revision=first.header.revision)
            with pytest.raises(Compacted) as caught:
                async for _ in client.watch("/c/k", start_revision=first.header.revision):
                    pass
            assert caught.value.compact_revision == second.header.revision

    asyncio.run(scenario())


def test_lease_expiry_deletes_attached_keys_in_one_revision(etcdlite_cluster: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(etcdlite_cluster.endpoints) as client:
            lease = await client.lease_grant(2)
            for key in ("a", "b", "c"):
                await client.put(f"/lease/{key}", "x", lease=lease.ID)
            ttl = await client.lease_time_to_live(lease.ID, keys=True)
            assert ttl.grantedTTL == 2 and sorted(ttl.keys) == [b"/lease/a", b"/lease/b", b"/lease/c"]
            watch = client.watch("/lease/", prefix=True)
            deletes: list[kv_pb2.Event] = []

            async def collect() -> None:
                async for response in watch:
                    deletes.extend(response.events)
                    if len(deletes) >= 3:
                        return

            await asyncio.wait_for(collect(), 20)
            assert {e.type for e in deletes} == {kv_pb2.Event.DELETE}
            assert len({e.kv.mod_revision for e in deletes}) == 1
            assert (await client.lease_time_to_live(lease.ID)).TTL == -1
            assert (await client.get("/lease/", prefix=True)).count == 0
            with pytest.raises(LeaseNotFound):
                await client.lease_revoke(lease.ID)

    asyncio.run(scenario())


def test_keepalive_keeps_a_lease_past_its_ttl(etcdlite_cluster: LocalCluster) -> None:
    async def scenario() -> None:
        async with EtcdClient(etcdlite_cluster.endpoints) as client:
            lease = await client.lease_grant(2)
            await client.put("/ka/k", "x", lease=lease.ID)
            for _ in range(8):
                renewed = await client.lease_keepalive_once(lease.ID)
                assert renewed.TTL == 2
                await asyncio.sleep(0.5)
            assert (await client.get("/ka/k")).count == 1
            assert lease.ID in [status.ID for status in (await client.leases()).leases]

    asyncio.run(scenario())


def test_health_service_reports_serving(shared_etcdlite: LocalCluster) -> None:
    for endpoint in shared_etcdlite.endpoints:
        with grpc.insecure_channel(endpoint) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 10
            while True:
                status = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status
                if status == health_pb2.HealthCheckResponse.SERVING or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert status == health_pb2.HealthCheckResponse.SERVING


def test_client_fails_over_past_a_dead_endpoint(etcdlite_cluster: LocalCluster) -> None:
    victim = next(n for n in etcdlite_cluster.members if n != etcdlite_cluster.leader())
    etcdlite_cluster.kill_member(victim)
    endpoints = [etcdlite_cluster.members[victim].endpoint] + [
        m.endpoint for n, m in etcdlite_cluster.members.items() if n != victim]

    async def scenario() -> None:
        async with EtcdClient(endpoints, timeout=5) as client:
            await client.put("/fo/k", "v")
            assert (await client.get("/fo/k")).kvs[0].value == b"v"

    asyncio.run(scenario())


def test_killed_follower_catches_up_and_digests_match(etcdlite_cluster: LocalCluster) -> None:
    cluster = etcdlite_cluster
    victim = next(n for n in cluster.members if n != cluster.leader())
    cluster.kill_member(victim)

    asyncio.run(write_sequentially(cluster, "/catchup/", 200))
    cluster.start_member(victim)
    cluster.wait_ready()
    revision = asyncio.run(converge(cluster))

    assert len(asyncio.run(digests(cluster, revision))) == 1


def test_all_three_restarted_keep_every_committed_write(etcdlite_cluster: LocalCluster) -> None:
    cluster = etcdlite_cluster

    async def write() -> int:
        async with EtcdClient(cluster.endpoints) as client:
            for i in range(50):
                await client.put(f"/durable/{i:03d}", str(i))
            return (await client.get("/durable/", prefix=True, count_only=True)).header.revision

    revision = asyncio.run(write())
    for name in cluster.members:
        cluster.kill_member(name)
    for name in cluster.members:
        cluster.start_member(name)
    cluster.wait_ready()

    async def read() -> rpc_pb2.RangeResponse:
        async with EtcdClient(cluster.endpoints) as client:
            return await client.get("/durable/", prefix=True)

    got = asyncio.run(read())
    assert [kv.value for kv in got.kvs] == [str(i).encode() for i in range(50)]
    assert got.header.revision >= revision


def test_snapshots_restore_a_lagging_follower_and_a_full_restart(tmp_path: Path) -> None:
    """With a tiny --snapshot-count the leader truncates its log, so a follower
    that was down must be sent the snapshot; then all three restart from dumps."""
    cluster = LocalCluster(tmp_path / "snap", extra_args=["--snapshot-count", "50"])
    try:
        cluster.start()
        victim = next(n for n in cluster.members if n != cluster.leader())
        cluster.kill_member(victim)

        # one at a time: each put is its own Raft entry, so the log really
        # outgrows --snapshot-count (concurrent puts would share entries)
        asyncio.run(write_sequentially(cluster, "/snap/", 400))
        deadline = time.monotonic() + 90
        while not any((m.data_dir / "raft.dump").exists() for m in cluster.members.values() if m.alive()):
            assert time.monotonic() < deadline, "no replica wrote a snapshot"
            time.sleep(0.2)
        cluster.start_member(victim)
        cluster.wait_ready()
        revision = asyncio.run(converge(cluster, timeout=60))
        # the follower could only catch up from the leader's snapshot
        assert (cluster.members[victim].data_dir / "raft.dump").exists()

        assert len(asyncio.run(digests(cluster, revision))) == 1
        for name in cluster.members:
            cluster.kill_member(name)
        for name in cluster.members:
            cluster.start_member(name)
        cluster.wait_ready()

        async def read() -> rpc_pb2.RangeResponse:
            async with EtcdClient(cluster.endpoints) as client:
                return await client.get("/snap/", prefix=True, serializable=False)

        assert len(asyncio.run(read()).kvs) == 400
        assert len(asyncio.run(digests(cluster, revision))) == 1
        assert cluster.logs_with("Failed to store full dump") == []
        assert cluster.logs_with("Traceback") == []
    finally:
        cluster.stop()



def test_idle_progress_notify_watch_gets_progress_with_the_current_revision(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path / "progress",
                           extra_args=["--experimental-watch-progress-notify-interval", "300ms"])
    try:
        cluster.start()

        async def scenario() -> None:
            async with EtcdClient(cluster.endpoints) as client:
                put = await client.put("/progress/other", "x")
                async with grpc.aio.insecure_channel(cluster.endpoints[0]) as channel:
                    call = rpc_pb2_grpc.WatchStub(channel).Watch()
                    await call.write(rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(
                        key=b"/progress/quiet", progress_notify=True)))
                    created = await asyncio.wait_for(call.read(), 5)
                    assert created.created
                    progress = await asyncio.wait_for(call.read(), 5)
                    assert not progress.events and not progress.canceled
                    assert progress.watch_id == created.watch_id
                    assert progress.header.revision >= put.header.revision
                    await call.write(rpc_pb2.WatchRequest(progress_request=rpc_pb2.WatchProgressRequest()))
                    requested = await asyncio.wait_for(call.read(), 5)
                    assert requested.header.revision >= put.header.revision and not requested.events
                    call.cancel()

        asyncio.run(scenario())
    finally:
        cluster.stop()
