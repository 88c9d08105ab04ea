"""One etcdlite member: the core behind the gRPC servicers.

It owns the member's store, watch hub, lessor and Raft replicator, and offers
each etcd operation as one method: validate, propose (writes) or read locally
(after a read barrier unless serializable), and stamp the etcd response header
(cluster_id, member_id, revision, raft_term). Background duties live here too:
the leader revokes expired leases, and the member publishes its client URLs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import TypeVar

from google.protobuf.message import Message

from etcdlite import raft_entry, validation
from etcdlite.errors import EtcdliteError, LeaseNotFound
from etcdlite.lessor import Lessor
from etcdlite.mvcc import MvccStore
from etcdlite.replication import RaftTuning, Replicator
from etcdlite.watch import WatchHub
from kubelite.gen.etcdlite.v1 import command_pb2
from kubelite.gen.etcdserverpb import rpc_pb2

log = logging.getLogger(__name__)

VERSION = "3.4.0+etcdlite"
M = TypeVar("M", bound=Message)


def member_id(name: str, peer_url: str) -> int:
    """A stable 64-bit member ID derived from the member's name and peer URL."""
    return int.from_bytes(hashlib.sha256(f"{name}={peer_url}".encode()).digest()[:8], "big")


@dataclass(frozen=True)
class PeerSpec:
    name: str
    peer_url: str  # http://host:port

    @property
    def address(self) -> str:
        """host:port, the pysyncobj node address."""
        return self.peer_url.split("://", 1)[-1].rstrip("/")

    @property
    def id(self) -> int:
        return member_id(self.name, self.peer_url)


def url_host_port(url: str) -> str:
    """`host:port` of an `http://host:port` URL etcdlite can listen on or dial;
    ValueError saying what is wrong otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"{url!r} is not a URL like http://127.0.0.1:2379")
    if scheme not in ("http", "grpc"):
        raise ValueError(f"unsupported scheme {scheme!r} in {url!r} (TLS is not supported yet)")
    host_port = rest.rstrip("/")
    host, sep, port = host_port.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{url!r} has no host:port (a port is 1-65535)")
    return host_port


def parse_initial_cluster(spec: str) -> list[PeerSpec]:
    """Parse etcd's --initial-cluster 'n1=http://h:p,n2=http://h:p'."""
    peers = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, url = part.partition("=")
        if not sep or not name.strip() or not url:
            raise ValueError(f"invalid --initial-cluster entry {part!r} (want name=http://host:port)")
        try:
            url_host_port(url)
        except ValueError as err:
            raise ValueError(f"invalid peer URL in --initial-cluster: {err}") from None
        peers.append(PeerSpec(name.strip(), url))
    if not peers:
        raise ValueError("--initial-cluster is empty")
    if len({p.name for p in peers}) != len(peers):
        raise ValueError("--initial-cluster names must be unique")
    if len({p.address for p in peers}) != len(peers):
        raise ValueError("--initial-cluster peer URLs must be unique")
    return peers


@dataclass(frozen=True)
class MemberConfig:
    name: str
    data_dir: str
    client_urls: list[str]
    peers: list[PeerSpec]
    tuning: RaftTuning = field(default_factory=RaftTuning)
    progress_notify_interval: float = 600.0

    @property
    def me(self) -> PeerSpec:
        for peer in self.peers:
            if peer.name == self.name:
                return peer
        raise ValueError(f"--name {self.name!r} is not in --initial-cluster")

    @property
    def cluster_id(self) -> int:
        text = ",".join(sorted(f"{p.name}={p.peer_url}" for p in self.peers))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class Member:
    """The etcd operations of one replica, over its store and Raft group."""

    def __init__(self, config: MemberConfig) -> None:
        self.config = config
        self.id = config.me.id
        self.cluster_id = config.cluster_id
        self.store = MvccStore()
        self.lessor = Lessor()
        self.store.add_observer(self.lessor)
        self.hub = WatchHub(self.store)
        self._by_address = {p.address: p for p in config.peers}
        self.replicator = Replicator(
            config.me.address,
            [p.address for p in config.peers],
            config.data_dir,
            self.store,
            config.tuning,
            on_leadership=self._leadership_changed,
        )
        self._revoking: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self.replicator.attach_loop(asyncio.get_running_loop())
        self._tasks = [asyncio.create_task(self._expire_leases()),
                       asyncio.create_task(self._publish_attributes())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        r = self.replicator
        log.info("proposed %d commands in %d batches", r.batched_commands, r.batches)
        self.replicator.stop()

    def _leadership_changed(self, is_leader: bool) -> None:
        if is_leader:
            self.lessor.load(self.store.lease_ttls())
            self.lessor.promote()

    async def _expire_leases(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            if not self.replicator.status().is_leader:
                continue
            for lease_id in self.lessor.expired():
                if lease_id not in self._revoking:
                    self._revoking.add(lease_id)
                    task = asyncio.create_task(self._revoke_expired(lease_id))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)

    async def _revoke_expired(self, lease_id: int) -> None:
        try:
            await self.lease_revoke(rpc_pb2.LeaseRevokeRequest(ID=lease_id))
        except LeaseNotFound:
            self.lessor.on_lease_removed(lease_id)
        except EtcdliteError as err:
            log.info("revoking expired lease %x failed, will retry: %s", lease_id, err)
        finally:
            self._revoking.discard(lease_id)

    async def _publish_attributes(self) -> None:
        attrs = command_pb2.MemberAttributes(name=self.config.name, client_urls=self.config.client_urls)
        while self.store.members.get(self.config.name) != list(self.config.client_urls):
            try:
                await self.replicator.propose(command_pb2.Command(member_attributes=attrs))
            except EtcdliteError:
                await asyncio.sleep(0.5)

    # ------------------------------------------------------------------ helpers
    def header(self, revision: int | None = None) -> rpc_pb2.ResponseHeader:
        return rpc_pb2.ResponseHeader(
            cluster_id=self.cluster_id,
            member_id=self.id,
            revision=self.store.revision if revision is None else revision,
            raft_term=self.replicator.term,
        )

    def _stamp(self, response: M) -> M:
        response.header.MergeFrom(self.header(response.header.revision or None))  # type: ignore[attr-defined]
        return response

    async def _propose(self, command: command_pb2.Command) -> Message:
        response, applied = await self.replicator.propose_applied(command)
        spec = self._by_address.get(applied.leader_peer) if applied.leader_peer else None
        raft_entry.written.set(raft_entry.RaftEntry(applied.index, spec.id if spec else 0, applied.seconds * 1000))
        return self._stamp(response)

    # ------------------------------------------------------------------------ KV
    async def range(self, req: rpc_pb2.RangeRequest) -> rpc_pb2.RangeResponse:
        validation.check_range(req)
        if not req.serializable:
            await self.replicator.read_barrier()
        with self.store.lock:
            response = self.store.range(req)
            response.header.CopyFrom(self.header(self.store.revision))
        return response

    async def put(self, req: rpc_pb2.PutRequest) -> rpc_pb2.PutResponse:
        validation.check_put(req)
        return await self._propose(command_pb2.Command(put=req))  # type: ignore[return-value]

    async def delete_range(self, req: rpc_pb2.DeleteRangeRequest) -> rpc_pb2.DeleteRangeResponse:
        validation.check_delete_range(req)
        return await self._propose(command_pb2.Command(delete_range=req))  # type: ignore[return-value]

    async def txn(self, req: rpc_pb2.TxnRequest) -> rpc_pb2.TxnResponse:
        validation.check_txn(req)
        return await self._propose(command_pb2.Command(txn=req))  # type: ignore[return-value]

    async def compact(self, req: rpc_pb2.CompactionRequest) -> rpc_pb2.CompactionResponse:
        return await self._propose(command_pb2.Command(compaction=req))  # type: ignore[return-value]

    # --------------------------------------------------------------------- lease
    async def lease_grant(self, req: rpc_pb2.LeaseGrantRequest) -> rpc_pb2.LeaseGrantResponse:
        grant = rpc_pb2.LeaseGrantRequest(TTL=req.TTL, ID=req.ID or secrets.randbits(62) + 1)
        return await self._propose(command_pb2.Command(lease_grant=grant))  # type: ignore[return-value]

    async def lease_revoke(self, req: rpc_pb2.LeaseRevokeRequest) -> rpc_pb2.LeaseRevokeResponse:
        return await self._propose(command_pb2.Command(lease_revoke=req))  # type: ignore[return-value]

    async def lease_renew(self, lease_id: int) -> rpc_pb2.LeaseKeepAliveResponse:
        renew = command_pb2.LeaseRenew(ID=lease_id)
        return await self._propose(command_pb2.Command(lease_renew=renew))  # type: ignore[return-value]

    async def lease_time_to_live(self, req: rpc_pb2.LeaseTimeToLiveRequest) -> rpc_pb2.LeaseTimeToLiveResponse:
        await self.replicator.read_barrier()
        found = self.store.lease(req.ID)
        response = rpc_pb2.LeaseTimeToLiveResponse(header=self.header(), ID=req.ID, TTL=-1)
        if found is not None:
            granted, keys = found
            response.grantedTTL = granted
            response.TTL = self.lessor.remaining(req.ID)
            if response.TTL < 0:
                response.TTL = granted
            if req.keys:
                response.keys.extend(keys)
        return response

    async def lease_leases(self) -> rpc_pb2.LeaseLeasesResponse:
        await self.replicator.read_barrier()
        response = rpc_pb2.LeaseLeasesResponse(header=self.header())
        response.leases.extend(rpc_pb2.LeaseStatus(ID=i) for i in self.store.lease_ids())
        return response

    # --------------------------------------------------------- cluster, status
    def member_list(self) -> rpc_pb2.MemberListResponse:
        response = rpc_pb2.MemberListResponse(header=self.header())
        for peer in self.config.peers:
            response.members.add(ID=peer.id, name=peer.name, peerURLs=[peer.peer_url],
                                 clientURLs=self.store.members.get(peer.name, []))
        return response

    def leader_id(self) -> int:
        leader = self.replicator.status().leader_peer
        spec = self._by_address.get(leader) if leader else None
        return spec.id if spec else 0

    def status(self) -> rpc_pb2.StatusResponse:
        raft = self.replicator.status()
        response = rpc_pb2.StatusResponse(
            header=self.header(),
            version=VERSION,
            dbSize=self.store.db_size,
            dbSizeInUse=self.store.db_size,
            leader=self.leader_id(),
            raftIndex=raft.commit_index,
            raftTerm=raft.term,
            raftAppliedIndex=raft.applied_index,
        )
        if raft.leader_peer is None:
            response.errors.append("etcdserver: no leader")
        return response

    def hash_kv(self, req: rpc_pb2.HashKVRequest) -> rpc_pb2.HashKVResponse:
        crc, compact_revision = self.store.hash_kv(req.revision)
        return rpc_pb2.HashKVResponse(header=self.header(), hash=crc, compact_revision=compact_revision)

    def healthy(self) -> bool:
        raft = self.replicator.status()
        return raft.leader_peer is not None and raft.has_quorum
