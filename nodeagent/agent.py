"""The node agent's loops: register the Node, renew its Lease (the heartbeat)
and keep Ready true, and sync every pod bound to this node through the runtime,
reporting status through the status subresource.

Pods arrive through a watch restricted to `spec.nodeName=<this node>` (which
is also all the node authorizer lets a node list). Each pod is synced by one
worker at a time; changes that arrive meanwhile coalesce into the next sync.
A pod with a deletionTimestamp is stopped (SIGTERM, grace period, SIGKILL) and
then removed from the API with grace 0, like the kubelet finalizes deletion.
"""

from __future__ import annotations

import asyncio
import logging
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError
from kubelite.events import EventRecorder
from kubelite.informer import Informer, key_of
from kubelite.version import GIT_VERSION
from nodeagent.runtime.base import ContainerRuntime, PodState

log = logging.getLogger(__name__)
Obj = dict[str, Any]
LEASE_NAMESPACE = "kube-node-lease"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NodeAgent:
    def __init__(self, client: ApiClient, node_name: str, runtime: ContainerRuntime, capacity: dict[str, str],
                 labels: dict[str, str] | None = None, taints: list[Obj] | None = None, address: str = "127.0.0.1",
                 lease_seconds: int = 40, heartbeat_interval: float = 10.0, resync_interval: float = 1.0,
                 log_port: int = 0) -> None:
        self.client = client
        self.node_name = node_name
        self.runtime = runtime
        self.capacity = capacity
        self.labels = {"kubernetes.io/hostname": node_name, "kubernetes.io/os": platform.system().lower(),
                       "kubernetes.io/arch": _arch(), **(labels or {})}
        self.taints = taints or []
        self.address = address
        self.lease_seconds = lease_seconds
        self.heartbeat_interval = heartbeat_interval
        self.resync_interval = resync_interval
        self.log_port = log_port
        self.events = EventRecorder(client, "kubelet", node_name)
        self.pods = Informer(client, "pods", field_selector=f"spec.nodeName={node_name}")
        self.pods.add_handler(self._on_pod)
        self._dirty: set[tuple[str, str]] = set()
        self._running: set[tuple[str, str]] = set()
        self._wakeup = asyncio.Event()
        self._deleted: dict[tuple[str, str], Obj] = {}
        # called with the UIDs of the pods bound here once the first list is in
        self.on_synced: Callable[[set[str]], object] | None = None

    # ---------------------------------------------------------- registration
    def node_object(self) -> Obj:
        node: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.node_name, "labels": self.labels},
                     "spec": {}}
        if self.taints:
            node["spec"]["taints"] = self.taints
        node["status"] = self.node_status()
        return node

    def node_status(self) -> Obj:
        stamp = now()
        return {
            "capacity": dict(self.capacity), "allocatable": dict(self.capacity),
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelite node agent is posting ready status",
                            "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}],
            "addresses": [{"type": "InternalIP", "address": self.address},
                          {"type": "Hostname", "address": self.node_name}],
            "nodeInfo": {"machineID": _first_line("/etc/machine-id", "/var/lib/dbus/machine-id"),
                         "systemUUID": _first_line("/sys/class/dmi/id/product_uuid").lower(),
                         "bootID": _first_line("/proc/sys/kernel/random/boot_id"),
                         "operatingSystem": platform.system().lower(), "architecture": _arch(),
                         "kernelVersion": platform.release(), "osImage": _os_image(),
                         "containerRuntimeVersion": f"{self.runtime.name}://kubelite",
                         "kubeletVersion": GIT_VERSION, "kubeProxyVersion": ""},
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.log_port}},
        }

    async def register(self) -> None:
        try:
            await self.client.create("nodes", self.node_object())
            log.info("registered node %s", self.node_name)
            return
        except AlreadyExists:
            pass
        # re-registration after a restart: keep what others set (cordon), refresh ours
        current = await self.client.get("nodes", self.node_name)
        current["metadata"]["labels"] = {**(current["metadata"].get("labels") or {}), **self.labels}
        if self.taints:
            current.setdefault("spec", {})["taints"] = self.taints
        await self.client.update("nodes", current)
        await self.client.patch("nodes", self.node_name, {"status": self.node_status()}, status=True)

    # -------------------------------------------------------------- heartbeat
    async def heartbeat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._renew_lease()
                await self._ensure_ready()
            except StatusError as err:
                log.warning("heartbeat failed: %s", err.message)
            try:
                await asyncio.wait_for(stop.wait(), self.heartbeat_interval)
            except TimeoutError:
                pass

    async def _renew_lease(self) -> None:
        spec = {"holderIdentity": self.node_name, "leaseDurationSeconds": self.lease_seconds,
                "renewTime": now_micro()}
        try:
            lease = await self.client.get("leases", self.node_name, LEASE_NAMESPACE)
        except NotFound:
            await self.client.create("leases", {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                                "metadata": {"name": self.node_name, "namespace": LEASE_NAMESPACE},
                                                "spec": spec}, LEASE_NAMESPACE)
            return
        lease["spec"] = {**(lease.get("spec") or {}), **spec}
        await self.client.update("leases", lease, LEASE_NAMESPACE)

    async def _ensure_ready(self) -> None:
        """If the node lifecycle controller marked us NotReady/Unknown, say Ready again."""
        node = await self.client.get("nodes", self.node_name)
        ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
        if ready is None or ready.get("status") != "True":
            await self.client.patch("nodes", self.node_name, {"status": {"conditions": self.node_status()[
                "conditions"]}}, status=True)
            log.info("node %s reported Ready again", self.node_name)

    # ---------------------------------------------------------------- pod sync
    def _on_pod(self, kind: str, pod: Obj, old: Obj | None) -> None:
        key = key_of(pod)
        if kind == "DELETED":
            # removed without us finalizing it (grace 0, eviction): stop it now
            self._deleted[key] = pod
        self._dirty.add(key)
        self._wakeup.set()

    async def sync_loop(self, stop: asyncio.Event) -> None:
        """Sync dirty pods; every resync interval, every pod (to see exits)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.resync_interval)
            except TimeoutError:
                self._dirty.update(self.pods.items)
            self._wakeup.clear()
            for key in list(self._dirty):
                if key in self._running:
                    continue
                self._dirty.discard(key)
                self._running.add(key)
                task = asyncio.create_task(self._sync(key))
                task.add_done_callback(lambda _t, k=key: self._finished(k))

    def _finished(self, key: tuple[str, str]) -> None:
        self._running.discard(key)
        if key in self._dirty:
            self._wakeup.set()

    async def _sync(self, key: tuple[str, str]) -> None:
        pod = self.pods.get(*key)
        if pod is None:
            gone = self._deleted.pop(key, None)
            if gone is not None and gone["metadata"].get("uid") in self.runtime.known_pods():
                await self.runtime.kill(gone, 0)
            return
        meta = pod["metadata"]
        try:
            if meta.get("deletionTimestamp"):
                await self._finalize(pod)
                return
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and meta.get("uid") not in self.runtime.known_pods():
                return
            state = await self.runtime.sync(pod)
            for type_, reason, message in state.events:
                self.events.event(pod, type_, reason, message)
            status = self._status(pod, state)
            if _differs(pod.get("status") or {}, status):
                await self.client.patch("pods", meta["name"], {"status": status}, meta["namespace"], status=True)
        except (NotFound, Conflict):
            pass  # the pod went away or changed: the next event syncs it again
        except StatusError as err:
            log.warning("syncing %s/%s: %s", *key, err.message)
            self._dirty.add(key)

    async def _finalize(self, pod: Obj) -> None:
        meta = pod["metadata"]
        grace = int(meta.get("deletionGracePeriodSeconds") or 0)
        self.events.event(pod, "Normal", "Killing", f"Stopping pod {meta['namespace']}/{meta['name']}")
        await self.runtime.kill(pod, grace)
        await self.client.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0,
                                 precondition_uid=meta.get("uid", ""))

    def _status(self, pod: Obj, state: PodState) -> Obj:
        current = pod.get("status") or {}
        ready = state.phase == "Running" and all(c.get("ready") for c in state.container_statuses)
        stamp = now()

        def condition(type_: str, value: bool) -> Obj:
            old = next((c for c in current.get("conditions") or [] if c.get("type") == type_), None)
            status = "True" if value else "False"
            changed = old is None or old.get("status") != status
            return {"type": type_, "status": status, "lastProbeTime": None,
                    "lastTransitionTime": stamp if changed else old.get("lastTransitionTime")}

        status: Obj = {
            "phase": state.phase,
            "conditions": [condition("Initialized", True), condition("Ready", ready),
                           condition("ContainersReady", ready), condition("PodScheduled", True)],
            "containerStatuses": state.container_statuses,
            "hostIP": self.address, "podIP": self.address,
            "startTime": current.get("startTime") or state.started_at or stamp,
        }
        if state.reason:
            status["reason"], status["message"] = state.reason, state.message
        return status

    async def register_until_done(self, stop: asyncio.Event) -> None:
        """Register, retrying while the API server is not reachable yet (as a
        kubelet started before its control plane does)."""
        delay = 0.2
        while not stop.is_set():
            try:
                await self.register()
                return
            except StatusError as err:
                log.info("registering node %s: %s; retrying", self.node_name, err.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def run(self, stop: asyncio.Event) -> None:
        await self.register_until_done(stop)
        self.pods.start()
        await self.pods.synced.wait()
        if self.on_synced is not None:
            self.on_synced({p["metadata"].get("uid", "") for p in self.pods.values()})
        await asyncio.gather(self.heartbeat(stop), self.sync_loop(stop))


def _differs(current: Obj, new: Obj) -> bool:
    def strip(status: Obj) -> Obj:
        out = dict(status)
        out["conditions"] = [{k: v for k, v in c.items() if k != "lastTransitionTime"}
                             for c in status.get("conditions") or []]
        return out
    keys = set(new)
    return strip({k: current.get(k) for k in keys}) != strip(new)


def _os_image() -> str:
    """What the kubelet reports: os-release's PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)")."""
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME") or platform.platform()
    except OSError:
        return platform.platform()


def _first_line(*paths: str) -> str:
    """The kubelet's machine identity reads: the first of these files that can
    be read ("" when none can, e.g. product_uuid without root)."""
    for path in paths:
        try:
            with open(path) as f:
                return f.readline().strip()
        except OSError:
            continue
    return ""


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
