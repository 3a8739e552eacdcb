"""WorkQueue: dirty/processing sets, delays and rate limiting on the SimClock."""
from __future__ import annotations

import threading

import pytest

from controllers.clock import SimClock
from controllers.runtime.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    WorkQueue,
    default_controller_rate_limiter,
)


def drain(q: WorkQueue) -> list:
    out = []
    while (key := q.get(timeout=0)) is not None:
        out.append(key)
        q.done(key)
    return out


def test_key_added_many_times_while_waiting_is_processed_once():
    q: WorkQueue[str] = WorkQueue()
    for _ in range(10):
        q.add("default/web")
    q.add("default/db")
    assert len(q) == 2
    assert drain(q) == ["default/web", "default/db"]


def test_key_is_never_handed_to_two_workers_and_readded_after_done():
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    first = q.get(timeout=0)
    q.add("a")  # changed again while a worker holds it
    assert q.get(timeout=0) is None  # not handed out twice
    assert len(q) == 0
    q.done(first)
    assert len(q) == 1
    assert q.get(timeout=0) == "a"
    q.done("a")
    assert q.get(timeout=0) is None


def test_shut_down_releases_waiting_getters_and_ignores_adds():
    q: WorkQueue[str] = WorkQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get()))
    t.start()
    q.shut_down()
    t.join(timeout=5)
    assert got == [None] and q.shutting_down
    q.add("x")
    assert len(q) == 0


def test_blocking_get_wakes_on_add():
    q: WorkQueue[str] = WorkQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=5)))
    t.start()
    q.add("k")
    t.join(timeout=5)
    assert got == ["k"]


def test_add_after_waits_on_the_sim_clock_and_earliest_deadline_wins():
    clock = SimClock(start=0.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.add_after("a", 10)
    q.add_after("a", 3)  # earlier: replaces
    q.add_after("a", 8)  # later: ignored
    q.add_after("b", 0)  # immediate
    assert drain(q) == ["b"]
    assert q.snapshot()["waiting"] == [("a", 3.0)]
    clock.advance(2.9)
    assert len(q) == 0
    clock.advance(0.1)
    assert drain(q) == ["a"]
    clock.advance(100)
    assert len(q) == 0


def test_item_exponential_limiter_matches_client_go_defaults():
    rl = ItemExponentialFailureRateLimiter()
    delays = [rl.when("k") for _ in range(5)]
    assert delays == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])
    assert rl.num_requeues("k") == 5
    for _ in range(40):
        rl.when("k")
    assert rl.when("k") == 1000.0
    for _ in range(2000):
        rl.when("k")  # no overflow
    rl.forget("k")
    assert rl.num_requeues("k") == 0 and rl.when("k") == 0.005
    assert rl.when("other") == 0.005  # per key


def test_add_rate_limited_backs_off_and_forget_resets():
    clock = SimClock(start=0.0)
    q: WorkQueue[str] = WorkQueue(clock)
    q.add_rate_limited("k")
    clock.advance(0.005)
    assert drain(q) == ["k"]
    q.add_rate_limited("k")
    clock.advance(0.009)
    assert len(q) == 0
    clock.advance(0.001)
    assert drain(q) == ["k"] and q.num_requeues("k") == 2
    q.forget("k")
    assert q.num_requeues("k") == 0


def test_bucket_limiter_allows_burst_then_paces():
    clock = SimClock(start=0.0)
    rl = BucketRateLimiter(clock, qps=10, burst=2)
    assert [rl.when(i) for i in range(4)] == pytest.approx([0, 0, 0.1, 0.2])
    clock.advance(1)
    assert rl.when("x") == 0


def test_default_controller_rate_limiter_takes_the_longer_delay():
    clock = SimClock(start=0.0)
    rl = default_controller_rate_limiter(clock)
    assert rl.when("k") == pytest.approx(0.005)
    assert rl.num_requeues("k") == 1
    rl.forget("k")
    assert rl.num_requeues("k") == 0
