"""One simulated clock for the whole control plane, and the timing profiles.

Every timer in KubeViz (lease renewal, grace periods, eviction delays, back-off,
container start-up) reads ``SimClock.now()`` and schedules with ``call_at`` /
``call_later``. Two ways to move time:

* **manual** (the default, and what tests use): nothing moves by itself;
  ``advance(seconds)`` jumps forward and runs every due timer in order, each one
  seeing ``now()`` equal to its own deadline;
* **real time**: ``SimClock(realtime=True)`` lets ``now()`` follow a real clock
  scaled by ``speed``; a driver thread calls ``run_due()`` and waits
  ``real_seconds_until(next_deadline())`` (or just runs ``drive(stop_event)``).

Simulated time is "seconds since the Unix epoch" so that it renders as a normal
RFC 3339 timestamp in objects (``to_rfc3339`` / ``from_rfc3339``).
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Callable

MIN_SPEED = 0.25
MAX_SPEED = 50.0

# 2025-01-01T00:00:00Z: a round, recognisable start for simulated clusters.
DEFAULT_START = 1735689600.0


class TimerHandle:
    """A scheduled callback; ``cancel()`` it if it should no longer run."""

    __slots__ = ("when", "fn", "cancelled", "done")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False
        self.done = False

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def pending(self) -> bool:
        return not (self.cancelled or self.done)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        state = "cancelled" if self.cancelled else "done" if self.done else "pending"
        return f"<TimerHandle when={self.when:.3f} {state}>"


class SimClock:
    """The simulated clock: ``now``, speed, pause/resume, step, timers. Thread-safe."""

    def __init__(
        self,
        start: float = DEFAULT_START,
        speed: float = 1.0,
        *,
        realtime: bool = False,
        real_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.RLock()
        # Notified whenever the next deadline or the pace changes, so a driver
        # waiting for the next timer wakes up and recomputes its wait.
        self._changed = threading.Condition(self._lock)
        self._real_clock = real_clock
        self._realtime = realtime
        self._speed = _check_speed(speed)
        self._paused = False
        # now() = _anchor_sim + (real() - _anchor_real) * speed  (real-time, running)
        #       = _anchor_sim                                       (manual or paused)
        self._anchor_sim = float(start)
        self._anchor_real = real_clock()
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()

    # -- reading time ------------------------------------------------------------------
    def now(self) -> float:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> float:
        if self._realtime and not self._paused:
            return self._anchor_sim + (self._real_clock() - self._anchor_real) * self._speed
        return self._anchor_sim

    def _reanchor(self) -> None:
        self._anchor_sim = self._now_locked()
        self._anchor_real = self._real_clock()

    # -- pace --------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        with self._lock:
            self._reanchor()
            self._speed = _check_speed(value)
            self._changed.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def realtime(self) -> bool:
        return self._realtime

    def pause(self) -> None:
        with self._lock:
            self._reanchor()
            self._paused = True
            self._changed.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._reanchor()
            self._paused = False
            self._changed.notify_all()

    # -- timers ------------------------------------------------------------------------
    def call_at(self, when: float, fn: Callable[[], object]) -> TimerHandle:
        handle = TimerHandle(float(when), fn)
        with self._lock:
            heapq.heappush(self._timers, (handle.when, next(self._seq), handle))
            self._changed.notify_all()
        return handle

    def call_later(self, delay: float, fn: Callable[[], object]) -> TimerHandle:
        with self._lock:
            return self.call_at(self._now_locked() + max(0.0, delay), fn)

    def next_deadline(self) -> float | None:
        """Simulated time of the earliest pending timer, or None."""
        with self._lock:
            self._drop_cancelled()
            return self._timers[0][0] if self._timers else None

    def pending_timers(self) -> int:
        with self._lock:
            return sum(1 for _, _, h in self._timers if h.pending)

    def _drop_cancelled(self) -> None:
        while self._timers and not self._timers[0][2].pending:
            heapq.heappop(self._timers)

    def _pop_due(self, until: float) -> TimerHandle | None:
        with self._lock:
            self._drop_cancelled()
            if self._timers and self._timers[0][0] <= until:
                handle = heapq.heappop(self._timers)[2]
                handle.done = True
                return handle
            return None

    def run_due(self) -> int:
        """Run every timer whose deadline has passed (real-time driver). Returns how many ran."""
        ran = 0
        while True:
            handle = self._pop_due(self.now())
            if handle is None:
                return ran
            handle.fn()  # outside the lock: callbacks may schedule more timers
            ran += 1

    # -- stepping ----------------------------------------------------------------------
    def advance(self, seconds: float) -> int:
        """Move simulated time forward by ``seconds``, running due timers in deadline order.

        Each callback sees ``now()`` equal to its own deadline, so a chain of
        timers (a lease renewed every 10 s for a minute) replays exactly.
        Returns how many timers ran.
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            target = self._now_locked() + seconds
        ran = 0
        while True:
            with self._lock:
                handle = self._pop_due(target)
                if handle is not None:
                    self._set_now(max(handle.when, self._now_locked()))
            if handle is None:
                break
            handle.fn()
            ran += 1
        with self._lock:
            self._set_now(max(target, self._now_locked()))
            self._changed.notify_all()
        return ran

    step = advance

    def _set_now(self, value: float) -> None:
        self._anchor_sim = value
        self._anchor_real = self._real_clock()

    # -- real-time driving -------------------------------------------------------------
    def real_seconds_until(self, when: float | None, cap: float = 1.0) -> float:
        """Real seconds a driver should wait before ``when`` is due (capped, for responsiveness)."""
        with self._lock:
            if when is None or self._paused or not self._realtime:
                return cap
            return max(0.0, min(cap, (when - self._now_locked()) / self._speed))

    def wait_for_change(self, timeout: float) -> None:
        """Block a driver thread until a timer is added, the pace changes, or ``timeout`` passes."""
        with self._changed:
            self._changed.wait(timeout)

    def drive(self, stop: threading.Event, cap: float = 0.5) -> None:
        """A ready-made driver loop for a background thread (real-time mode)."""
        while not stop.is_set():
            self.run_due()
            self.wait_for_change(self.real_seconds_until(self.next_deadline(), cap))


def _check_speed(value: float) -> float:
    value = float(value)
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, not {value}")
    return value


# -- timestamps ------------------------------------------------------------------------
def to_rfc3339(t: float) -> str:
    """metav1.Time: whole seconds, ``2025-01-01T00:00:00Z``."""
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_rfc3339_micro(t: float) -> str:
    """metav1.MicroTime (Lease renewTime): ``2025-01-01T00:00:00.000000Z``."""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_rfc3339(s: str | None) -> float | None:
    if not s:
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# -- profiles --------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """Every duration the simulation uses, in simulated seconds."""

    name: str
    # kubelet ↔ node lifecycle controller
    node_lease_duration: float  # Lease.spec.leaseDurationSeconds
    node_lease_renew_interval: float  # kubelet renews at 1/4 of the duration
    node_status_update_frequency: float
    node_monitor_period: float  # how often the node lifecycle controller looks
    node_monitor_grace_period: float  # no renewal for this long → Ready=Unknown
    not_ready_toleration_seconds: int  # DefaultTolerationSeconds admission
    unreachable_toleration_seconds: int
    # kubelet / container runtime
    image_pull_seconds: float
    container_start_seconds: float
    pod_ready_delay: float  # from containers started to the Ready condition
    termination_grace_seconds: float
    crashloop_backoff_initial: float
    crashloop_backoff_max: float
    # scheduler queue back-off (podInitialBackoffSeconds / podMaxBackoffSeconds)
    pod_initial_backoff: float
    pod_max_backoff: float
    # job controller: back-off between failed pods
    job_backoff_initial: float
    job_backoff_max: float
    # leader election of kube-controller-manager and kube-scheduler (--leader-elect-* flags)
    leader_lease_duration: float = 15.0
    leader_renew_deadline: float = 10.0
    leader_retry_period: float = 2.0

    def to_dict(self) -> dict[str, float | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# What a real cluster does with default flags. (node-monitor-grace-period is 40 s
# here as in the classic docs; kube-controller-manager raised it to 50 s in v1.32.)
REALISTIC = Profile(
    name="realistic",
    node_lease_duration=40.0,
    node_lease_renew_interval=10.0,
    node_status_update_frequency=10.0,
    node_monitor_period=5.0,
    node_monitor_grace_period=40.0,
    not_ready_toleration_seconds=300,
    unreachable_toleration_seconds=300,
    image_pull_seconds=3.0,
    container_start_seconds=1.0,
    pod_ready_delay=2.0,
    termination_grace_seconds=30.0,
    crashloop_backoff_initial=10.0,
    crashloop_backoff_max=300.0,
    pod_initial_backoff=1.0,
    pod_max_backoff=10.0,
    job_backoff_initial=10.0,
    job_backoff_max=360.0,
)

# The same story told in seconds, for a live demo or a projector.
DEMO = Profile(
    name="demo",
    node_lease_duration=6.0,
    node_lease_renew_interval=2.0,
    node_status_update_frequency=2.0,
    node_monitor_period=1.0,
    node_monitor_grace_period=6.0,
    not_ready_toleration_seconds=10,
    unreachable_toleration_seconds=10,
    image_pull_seconds=1.0,
    container_start_seconds=0.5,
    pod_ready_delay=1.0,
    termination_grace_seconds=3.0,
    crashloop_backoff_initial=2.0,
    crashloop_backoff_max=20.0,
    pod_initial_backoff=0.5,
    pod_max_backoff=5.0,
    job_backoff_initial=2.0,
    job_backoff_max=20.0,
    leader_lease_duration=6.0,
    leader_renew_deadline=4.0,
    leader_retry_period=1.0,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (REALISTIC, DEMO)}


def profile(name: str) -> Profile:
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None


def backoff_delay(initial: float, maximum: float, failures: int) -> float:
    """``initial`` doubled per earlier failure, capped: 10, 20, 40 … 300 (CrashLoopBackOff)."""
    if failures <= 0:
        return 0.0
    return min(maximum, initial * (2 ** (failures - 1)))
