"""The scheduling queue: priority order, per-pod exponential backoff with a cap,
and unschedulable pods retried when the cluster changes."""

from __future__ import annotations

import asyncio

from scheduler.queue import MAX_BACKOFF, SchedulingQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pop_now(queue: SchedulingQueue) -> tuple[str, str] | None:
    async def attempt() -> tuple[str, str] | None:
        try:
            return await asyncio.wait_for(queue.pop(), 0.05)
        except TimeoutError:
            return None
    return asyncio.run(attempt())


def test_higher_priority_first_then_arrival_order() -> None:
    queue = SchedulingQueue()
    queue.add(("ns", "low"), 0)
    queue.add(("ns", "high"), 100)
    queue.add(("ns", "low2"), 0)
    assert [pop_now(queue) for _ in range(3)] == [("ns", "high"), ("ns", "low"), ("ns", "low2")]


def test_backoff_doubles_and_is_capped() -> None:
    clock = Clock()
    queue = SchedulingQueue(clock)
    key = ("ns", "p")
    durations = []
    for _ in range(6):
        queue.requeue_with_backoff(key)
        durations.append(queue.backoff_duration(key))
    assert durations == [1.0, 2.0, 4.0, 8.0, MAX_BACKOFF, MAX_BACKOFF]
    assert pop_now(queue) is None  # still backing off
    clock.now += MAX_BACKOFF
    assert pop_now(queue) == key


def test_unschedulable_pods_wait_for_a_cluster_change() -> None:
    clock = Clock()
    queue = SchedulingQueue(clock)
    key = ("ns", "big")
    queue.mark_unschedulable(key)
    clock.now += 60
    assert pop_now(queue) is None
    queue.cluster_changed()
    clock.now += queue.backoff_duration(key)
    assert pop_now(queue) == key


def test_forgotten_pods_are_not_popped() -> None:
    queue = SchedulingQueue()
    queue.add(("ns", "gone"))
    queue.forget(("ns", "gone"))
    assert pop_now(queue) is None and len(queue) == 0
