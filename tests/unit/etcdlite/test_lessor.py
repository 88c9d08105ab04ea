"""The lessor's clocks, driven by a fake clock: grant and renew restart a
lease's deadline, promotion to leader gives every lease a full TTL again, and
only leases past their deadline are reported expired."""

from __future__ import annotations

from etcdlite.lessor import Lessor


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_granted_lease_expires_after_its_ttl_and_not_before() -> None:
    clock = FakeClock()
    lessor = Lessor(clock)
    lessor.on_lease_granted(1, 10)
    clock.now += 9.5
    assert lessor.expired() == [] and lessor.remaining(1) == 1
    clock.now += 0.5
    assert lessor.expired() == [1]


def test_renew_restarts_the_deadline() -> None:
    clock = FakeClock()
    lessor = Lessor(clock)
    lessor.on_lease_granted(7, 5)
    clock.now += 4
    lessor.on_lease_renewed(7, 5)
    clock.now += 4
    assert lessor.expired() == [] and lessor.remaining(7) == 1


def test_promotion_gives_every_lease_a_full_ttl() -> None:
    clock = FakeClock()
    lessor = Lessor(clock)
    lessor.on_lease_granted(1, 5)
    clock.now += 6
    assert lessor.expired() == [1]
    lessor.promote()
    assert lessor.expired() == [] and lessor.remaining(1) == 5


def test_removed_and_unknown_leases_report_minus_one() -> None:
    lessor = Lessor(FakeClock())
    lessor.on_lease_granted(3, 5)
    lessor.on_lease_removed(3)
    assert lessor.remaining(3) == -1 and lessor.remaining(99) == -1


def test_load_tracks_exactly_the_stores_leases() -> None:
    clock = FakeClock()
    lessor = Lessor(clock)
    lessor.on_lease_granted(1, 5)
    lessor.load({2: 10})
    assert lessor.remaining(1) == -1 and lessor.remaining(2) == 10
