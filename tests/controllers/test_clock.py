"""SimClock: deterministic stepping, timers in order, pause/speed, profiles."""
from __future__ import annotations

import pytest

from controllers.clock import (
    DEMO,
    REALISTIC,
    SimClock,
    backoff_delay,
    from_rfc3339,
    profile,
    to_rfc3339,
    to_rfc3339_micro,
)


class FakeReal:
    """A hand-moved real clock, so real-time mode is tested without sleeping."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_manual_clock_does_not_move_by_itself():
    clock = SimClock(start=100.0)
    assert clock.now() == 100.0
    assert clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5


def test_timers_run_in_deadline_order_and_see_their_own_time():
    clock = SimClock(start=0.0)
    seen: list[tuple[str, float]] = []
    clock.call_at(5, lambda: seen.append(("b", clock.now())))
    clock.call_later(1, lambda: seen.append(("a", clock.now())))
    clock.call_at(5, lambda: seen.append(("c", clock.now())))  # same deadline: FIFO
    clock.call_at(50, lambda: seen.append(("late", clock.now())))
    assert clock.advance(10) == 3
    assert seen == [("a", 1.0), ("b", 5.0), ("c", 5.0)]
    assert clock.now() == 10.0
    assert clock.next_deadline() == 50.0


def test_timers_scheduled_by_timers_run_within_the_same_advance():
    """A lease renewed every 10 s for a minute replays exactly."""
    clock = SimClock(start=0.0)
    renewals: list[float] = []

    def renew() -> None:
        renewals.append(clock.now())
        clock.call_later(10, renew)

    clock.call_later(10, renew)
    clock.advance(60)
    assert renewals == [10, 20, 30, 40, 50, 60]


def test_cancelled_timer_never_runs():
    clock = SimClock(start=0.0)
    ran = []
    handle = clock.call_later(1, lambda: ran.append(1))
    handle.cancel()
    clock.advance(5)
    assert ran == [] and not handle.pending
    assert clock.next_deadline() is None


def test_step_is_advance_and_time_never_goes_back():
    clock = SimClock(start=0.0)
    clock.step(1)
    assert clock.now() == 1
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_realtime_mode_follows_real_clock_scaled_by_speed_and_pauses():
    real = FakeReal()
    clock = SimClock(start=0.0, speed=2.0, realtime=True, real_clock=real)
    real.t += 3
    assert clock.now() == pytest.approx(6.0)
    clock.pause()
    real.t += 100
    assert clock.paused and clock.now() == pytest.approx(6.0)
    clock.resume()
    clock.speed = 0.5
    real.t += 4
    assert clock.now() == pytest.approx(8.0)


def test_realtime_driver_pair_run_due_and_next_deadline():
    real = FakeReal()
    clock = SimClock(start=0.0, speed=10.0, realtime=True, real_clock=real)
    ran: list[float] = []
    clock.call_at(20, lambda: ran.append(clock.now()))
    assert clock.next_deadline() == 20
    assert clock.real_seconds_until(20, cap=100) == pytest.approx(2.0)
    assert clock.run_due() == 0
    real.t += 2.5
    assert clock.run_due() == 1
    assert ran == [pytest.approx(25.0)]


def test_speed_limits():
    clock = SimClock()
    with pytest.raises(ValueError):
        clock.speed = 0.1
    with pytest.raises(ValueError):
        clock.speed = 51
    clock.speed = 50
    assert clock.speed == 50


def test_profiles_tell_the_same_story_at_different_paces():
    assert profile("realistic") is REALISTIC and profile("DEMO") is DEMO
    assert REALISTIC.node_lease_duration == 40 and REALISTIC.node_lease_renew_interval == 10
    assert REALISTIC.not_ready_toleration_seconds == 300
    assert (REALISTIC.crashloop_backoff_initial, REALISTIC.crashloop_backoff_max) == (10, 300)
    assert (DEMO.node_lease_duration, DEMO.node_lease_renew_interval, DEMO.node_monitor_grace_period) == (6, 2, 6)
    assert DEMO.unreachable_toleration_seconds == 10
    for p in (REALISTIC, DEMO):
        assert p.node_lease_renew_interval < p.node_lease_duration
        assert p.node_monitor_grace_period > p.node_lease_renew_interval
    with pytest.raises(KeyError):
        profile("nope")
    assert REALISTIC.to_dict()["name"] == "realistic"


def test_backoff_doubles_and_caps():
    assert [backoff_delay(10, 300, n) for n in range(0, 8)] == [0, 10, 20, 40, 80, 160, 300, 300]
    assert [backoff_delay(DEMO.crashloop_backoff_initial, DEMO.crashloop_backoff_max, n) for n in (1, 2, 5)] == [2, 4, 20]


def test_timestamps_round_trip():
    assert to_rfc3339(1735689600.9) == "2025-01-01T00:00:00Z"
    assert to_rfc3339_micro(1735689600.25) == "2025-01-01T00:00:00.250000Z"
    assert from_rfc3339("2025-01-01T00:00:10Z") == 1735689610.0
    assert from_rfc3339(None) is None
