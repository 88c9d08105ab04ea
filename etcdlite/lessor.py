"""Lease clocks: when each lease expires, on this replica.

The MVCC store keeps leases deterministically (ID, granted TTL, attached keys)
and has no clock. This observer restarts a lease's local deadline whenever a
grant or renew is applied, and on becoming leader gives every lease a full TTL
again, as etcd's lessor does on promotion. Only the leader acts on expiry: the
server's expiry loop asks `expired()` and proposes a LeaseRevoke, so the
attached keys are deleted in one revision on every replica.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from kubelite.gen.mvccpb import kv_pb2


class Lessor:
    """Local deadlines of leases, fed by the store's apply path."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._deadlines: dict[int, float] = {}
        self._ttls: dict[int, int] = {}

    # StoreObserver: called on the apply thread, in log order.
    def on_events(self, revision: int, events: list[kv_pb2.Event]) -> None:
        pass

    def on_lease_granted(self, lease_id: int, ttl: int) -> None:
        self._refresh(lease_id, ttl)

    def on_lease_renewed(self, lease_id: int, ttl: int) -> None:
        self._refresh(lease_id, ttl)

    def on_lease_removed(self, lease_id: int) -> None:
        with self._lock:
            self._deadlines.pop(lease_id, None)
            self._ttls.pop(lease_id, None)

    def on_restored(self) -> None:
        pass

    def load(self, leases: dict[int, int]) -> None:
        """Start clocks for leases that exist in a restored or replayed store."""
        with self._lock:
            now = self._clock()
            for lease_id in set(self._deadlines) - set(leases):
                del self._deadlines[lease_id]
                del self._ttls[lease_id]
            for lease_id, ttl in leases.items():
                self._ttls[lease_id] = ttl
                self._deadlines.setdefault(lease_id, now + ttl)

    def promote(self) -> None:
        """This replica became leader: nobody could renew while there was no
        leader, so every lease starts a full TTL from now."""
        with self._lock:
            now = self._clock()
            for lease_id, ttl in self._ttls.items():
                self._deadlines[lease_id] = now + ttl

    def _refresh(self, lease_id: int, ttl: int) -> None:
        with self._lock:
            self._ttls[lease_id] = ttl
            self._deadlines[lease_id] = self._clock() + ttl

    def remaining(self, lease_id: int) -> int:
        """Whole seconds left (rounded up), or -1 if the lease is unknown here."""
        with self._lock:
            deadline = self._deadlines.get(lease_id)
            if deadline is None:
                return -1
            return max(0, math.ceil(deadline - self._clock()))

    def expired(self) -> list[int]:
        with self._lock:
            now = self._clock()
            return sorted(lid for lid, deadline in self._deadlines.items() if deadline <= now)
