"""A work queue with client-go's semantics, driven by the SimClock.

The queue holds keys (``namespace/name``), never events. Three sets make it
level-triggered and safe for several workers (client-go ``util/workqueue``):

* ``_queue``  – keys in the order they will be handed out;
* ``_dirty``  – keys that need processing (a key added ten times while waiting
  is in here once, so it is processed once);
* ``_processing`` – keys a worker holds right now. A key re-added while it is
  being processed is only marked dirty; ``done(key)`` puts it back in the queue,
  so no key is ever handed to two workers at once.

``add_after`` waits on the SimClock (a timer, not a sleeping thread) and
``add_rate_limited`` asks a ``RateLimiter`` how long: per-key exponential
back-off, 5 ms doubling up to 1000 s, the same numbers as client-go's default.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Generic, Hashable, Protocol, TypeVar

from controllers.clock import SimClock, TimerHandle

K = TypeVar("K", bound=Hashable)


class RateLimiter(Protocol):
    def when(self, key: Hashable) -> float: ...
    def forget(self, key: Hashable) -> None: ...
    def num_requeues(self, key: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """base * 2**failures per key, capped (client-go ``ItemExponentialFailureRateLimiter``)."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def when(self, key: Hashable) -> float:
        with self._lock:
            exp = self._failures.get(key, 0)
            self._failures[key] = exp + 1
        # Cap the exponent too: 2**1100 overflows a float long after the delay is maxed.
        if exp > 64:
            return self.max_delay
        return min(self.base_delay * (2**exp), self.max_delay)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        with self._lock:
            return self._failures.get(key, 0)


class BucketRateLimiter:
    """An overall token bucket (qps, burst) on the SimClock: protects the API server, not keys."""

    def __init__(self, clock: SimClock, qps: float = 10.0, burst: int = 100) -> None:
        self.clock = clock
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = clock.now()
        self._lock = threading.Lock()

    def when(self, key: Hashable) -> float:
        with self._lock:
            now = self.clock.now()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
            self._last = now
            self._tokens -= 1.0  # reserve a token, possibly in the future
            return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: Hashable) -> None:
        pass

    def num_requeues(self, key: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay any of the limiters asks for (client-go ``MaxOfRateLimiter``)."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, key: Hashable) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(clock: SimClock) -> MaxOfRateLimiter:
    """client-go's ``DefaultControllerRateLimiter``: per-key back-off and a 10 qps / 100 burst bucket."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10.0, 100))


class WorkQueue(Generic[K]):
    """Keys to reconcile, de-duplicated, never processed concurrently, with delays on the SimClock."""

    def __init__(
        self,
        clock: SimClock | None = None,
        rate_limiter: RateLimiter | None = None,
        name: str = "",
    ) -> None:
        self.name = name
        self.clock = clock or SimClock()
        self.rate_limiter: RateLimiter = rate_limiter or ItemExponentialFailureRateLimiter()
        self._cond = threading.Condition()
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiting: dict[K, TimerHandle] = {}  # add_after timers, one per key
        self._shutting_down = False

    # -- the basic queue ---------------------------------------------------------------
    def add(self, key: K) -> None:
        with self._cond:
            if self._shutting_down or key in self._dirty:
                return
            self._dirty.add(key)
            if key in self._processing:
                return  # re-queued by done()
            self._queue.append(key)
            self._cond.notify()

    def get(self, timeout: float | None = None) -> K | None:
        """The next key, marked as processing; None on shut-down (or when ``timeout`` real seconds pass).

        ``timeout=0`` never blocks, which is how tests drain the queue.
        """
        with self._cond:
            if not self._queue and not self._shutting_down and timeout != 0:
                self._cond.wait_for(lambda: self._queue or self._shutting_down, timeout)
            if not self._queue:
                return None
            key = self._queue.popleft()
            self._processing.add(key)
            self._dirty.discard(key)
            return key

    def done(self, key: K) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def shut_down(self) -> None:
        with self._cond:
            self._shutting_down = True
            for handle in self._waiting.values():
                handle.cancel()
            self._waiting.clear()
            self._cond.notify_all()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def snapshot(self) -> dict[str, list]:
        """What the dashboard shows: queued, being processed, waiting on a timer (with its deadline)."""
        with self._cond:
            return {
                "queued": list(self._queue),
                "processing": sorted(self._processing, key=str),
                "waiting": sorted(((k, h.when) for k, h in self._waiting.items()), key=lambda kv: kv[1]),
            }

    # -- delays ------------------------------------------------------------------------
    def add_after(self, key: K, delay: float) -> None:
        """Add ``key`` once ``delay`` simulated seconds have passed; an earlier pending deadline wins."""
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutting_down:
                return
            when = self.clock.now() + delay
            existing = self._waiting.get(key)
            if existing is not None and existing.pending:
                if existing.when <= when:
                    return
                existing.cancel()
            handle = self.clock.call_at(when, lambda: self._fire(key))
            self._waiting[key] = handle

    def _fire(self, key: K) -> None:
        with self._cond:
            self._waiting.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        """Success: this key's failures no longer count towards its back-off."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)
