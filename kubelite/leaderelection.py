"""Leader election on a coordination.k8s.io Lease, as client-go does it.

Candidates try to create or take over the Lease; the holder renews it every
`retry_period`. A candidate takes over only after it has watched the record
stay unchanged for `lease_duration` on its own clock (so clock skew between
machines does not matter), with a compare-and-swap update, so two candidates
can never both win. A holder that cannot renew within `renew_deadline` steps
down before anyone else may take over. A holder that is stopped releases the
Lease (client-go's ReleaseOnCancel), so a successor need not wait it out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from kubelite.client import ApiClient
from kubelite.errors import AlreadyExists, Conflict, NotFound, StatusError

log = logging.getLogger(__name__)


def _now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(self, client: ApiClient, name: str, identity: str, namespace: str = "kube-system",
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._clock = clock
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0
        self.is_leader = False
        self.lost = asyncio.Event()

    def _lease(self, transitions: int, acquire_time: str) -> dict[str, Any]:
        now = _now_micro()
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": round(self.lease_duration),
                         "acquireTime": acquire_time or now, "renewTime": now, "leaseTransitions": transitions}}

    async def try_acquire_or_renew(self) -> bool:
        """One attempt; True if we hold the lease afterwards."""
        try:
            current = await self.client.get("leases", self.name, self.namespace)
        except NotFound:
            try:
                await self.client.create("leases", self._lease(0, ""), self.namespace)
                return True
            except (AlreadyExists, Conflict):
                return False
        spec = current.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime") or "")
        if record != self._observed:
            self._observed, self._observed_at = record, self._clock()
        mine = holder == self.identity
        expired = self._clock() > self._observed_at + self.lease_duration
        if not mine and holder and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if mine else 1)
        lease = self._lease(transitions, spec.get("acquireTime", "") if mine else "")
        lease["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            await self.client.update("leases", lease, self.namespace)
        except (Conflict, NotFound):
            return False
        if not mine:
            log.info("%s acquired lease %s/%s", self.identity, self.namespace, self.name)
        return True

    async def acquire(self) -> None:
        """Return once this candidate leads."""
        while True:
            try:
                if await self.try_acquire_or_renew():
                    self.is_leader = True
                    self.lost.clear()
                    return
            except StatusError as err:
                log.info("leader election: %s", err.message)
            await asyncio.sleep(self.retry_period)

    async def release(self) -> None:
        """Give the Lease up: empty holder, so any candidate may take it at once."""
        try:
            current = await self.client.get("leases", self.name, self.namespace)
            if (current.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            current["spec"]["holderIdentity"] = ""
            current["spec"]["leaseDurationSeconds"] = 1
            await self.client.update("leases", current, self.namespace)
            log.info("%s released lease %s/%s", self.identity, self.namespace, self.name)
        except StatusError as err:
            log.info("could not release lease %s/%s: %s", self.namespace, self.name, err.message)
        self.is_leader = False

    async def keep(self) -> None:
        """Renew until a renewal has failed for renew_deadline; then step down."""
        last_renew = self._clock()
        while True:
            await asyncio.sleep(self.retry_period)
            try:
                if await self.try_acquire_or_renew():
                    last_renew = self._clock()
                    continue
            except StatusError as err:
                log.info("leader election renew: %s", err.message)
            if self._clock() - last_renew > self.renew_deadline:
                log.warning("%s lost lease %s/%s", self.identity, self.namespace, self.name)
                self.is_leader = False
                self.lost.set()
                return


async def run_as_leader(elector: LeaderElector | None, stop: asyncio.Event,
                        work: Callable[[], Awaitable[None]]) -> None:
    """Wait to lead (unless `elector` is None), then run `work()` until `stop`,
    the work ending, or leadership being lost; losing it exits the process so a
    fresh one competes again, as kube-scheduler and the controller manager do."""
    if elector is not None:
        waiting = asyncio.create_task(elector.acquire())
        await asyncio.wait([waiting, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            waiting.cancel()
            return
        log.info("%s leads %s/%s", elector.identity, elector.namespace, elector.name)
    tasks = [asyncio.create_task(work()), asyncio.create_task(stop.wait())]
    if elector is not None:
        tasks.append(asyncio.create_task(elector.keep()))
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # never exit 0 on a crash
    if elector is not None and stop.is_set() and elector.is_leader and not elector.lost.is_set():
        try:
            await asyncio.wait_for(elector.release(), 5)
        except TimeoutError:
            log.info("could not release lease %s/%s in time", elector.namespace, elector.name)
    if elector is not None and elector.lost.is_set():
        raise SystemExit(f"lost leadership of {elector.namespace}/{elector.name}; exiting so a fresh process "
                         "can compete")
