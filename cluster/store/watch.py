"""Watch: one tailer of the change log per process, any number of watchers.

The hub reads every committed change once (woken by this process's commits,
polling for other processes') into an in-memory window — the watch cache — and
watchers read from that window, falling back to the database for revisions
older than it. Because revisions become visible in commit order (see
``sql.lock_meta``), reading "everything after the last revision I saw" can
never skip one: no event is missed, duplicated or reordered.
"""
from __future__ import annotations

import asyncio
import bisect
import threading
import time
from collections import deque
from collections.abc import Callable

from . import errors
from .keys import in_range
from .kv import Store, without_compacted_prev
from .types import Event


class WatchHub:
    def __init__(self, store: Store, window: int = 200_000, poll_interval: float = 0.05) -> None:
        self.store = store
        self.window = window
        self.poll_interval = poll_interval
        self._events: deque[Event] = deque()
        self._revisions: deque[int] = deque()  # parallel to _events, for bisect
        self._cond = threading.Condition()
        self._pulling = threading.Lock()
        self._wake = threading.Event()
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        # Watchers blocked until a change in their own key range: woken only by one
        # (a Lease renewal no longer wakes every pod informer in the process).
        self._range_waiters: list[_RangeWaiter] = []
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.revision = 0  # the newest revision read from the store
        self.compact_revision = 0
        self.first_revision = 1  # the window holds every change at or after this
        self.epoch = 0  # bumped when the store goes back in time (snapshot restore)
        self.committed = 0  # the newest revision this process's store committed (``notify``)

    # --- the tailer -----------------------------------------------------------

    def start(self) -> "WatchHub":
        with self._cond:
            if self._thread is not None:
                return self
            self._stopping = False
            self.revision = self.store.revision()
            self.first_revision = self.revision + 1
            self._thread = threading.Thread(target=self._run, name="watch-hub", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def notify(self, revision: int) -> None:
        """Told by this process's store after a commit: read the log now."""
        if revision > self.committed:
            self.committed = revision
        if revision > self.revision:
            self._wake.set()

    def _run(self) -> None:
        from django.db import connections

        try:
            while not self._stopping:
                self._wake.wait(self.poll_interval)
                self._wake.clear()
                try:
                    self.pull()
                except Exception:  # a locked or restarting database: try again next tick
                    connections.close_all()
        finally:
            connections.close_all()

    def pull(self) -> int:
        """Read every change after the last one seen; returns how many arrived."""
        # One pull at a time: the tailer thread and a direct caller reading the
        # same revisions would append them twice (a duplicated watch event).
        with self._pulling:
            return self._pull()

    def _pull(self) -> int:
        arrived = 0
        while True:
            events, upto, current, compact = self.store.changes_after(self.revision)
            with self._cond:
                if current < self.revision:
                    self._reset(current)
                    return arrived
                compacted = compact > self.compact_revision
                self.compact_revision = compact
                for event in events:
                    self._events.append(event)
                    self._revisions.append(event.revision)
                arrived += len(events)
                self.revision = upto
                self._trim()
                self._wake_waiters()
                # A compaction (or a restore marked compacted) wakes every range waiter:
                # one waiting below the new compact revision must hear "compacted" now.
                self._wake_range_waiters(None if compacted else events)
            if upto >= current:
                return arrived

    def _trim(self) -> None:
        floor = max(self.first_revision, self.compact_revision)
        while len(self._events) > self.window:
            floor = self._events[0].revision + 1
            self._drop_below(floor)
        self._drop_below(floor)
        self.first_revision = floor

    def _drop_below(self, revision: int) -> None:
        while self._revisions and self._revisions[0] < revision:
            self._revisions.popleft()
            self._events.popleft()

    def _reset(self, revision: int) -> None:
        self._events.clear()
        self._revisions.clear()
        self.revision = revision
        self.committed = revision
        self.first_revision = revision + 1
        self.epoch += 1
        self._wake_waiters()
        self._wake_range_waiters(None)

    def _wake_waiters(self) -> None:
        self._cond.notify_all()
        waiters, self._async_waiters = self._async_waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def _wake_range_waiters(self, events: list[Event] | None) -> None:
        """Wake the range waiters with a change among ``events`` (every one when None)."""
        if not self._range_waiters:
            return
        still = []
        for waiter in self._range_waiters:
            if events is None or any(waiter.wants(e) for e in events):
                waiter.ready.set()
            else:
                still.append(waiter)
        self._range_waiters = still

    # --- reads for watchers -------------------------------------------------------

    def read(self, start: int, key: bytes, range_end: bytes | None) -> tuple[list[Event], int]:
        """Changes in range from ``start`` up to the hub's revision, and the next
        revision to read from."""
        with self._cond:
            if start < self.compact_revision:
                raise errors.Compacted(self.compact_revision)
            upto = self.revision
            if start >= self.first_revision:
                i = bisect.bisect_left(self._revisions, start)
                events = [e for e in _slice(self._events, i) if in_range(e.kv.key, key, range_end)]
                return events, upto + 1
        # Older than the window: read the log itself, stopping where the window begins.
        events, _ = self.store.events(start, key, range_end, limit=50_000)
        events = [e for e in events if e.revision <= upto]
        if len(events) >= 50_000:
            last = events[-1].revision
            return [e for e in events if e.revision < last], last
        return events, upto + 1

    @property
    def tailing(self) -> bool:
        """The tailer thread runs: the window follows the log by itself."""
        return self._thread is not None

    def changed_since(self, revision: int, prefixes: tuple[bytes, ...]) -> bool | None:
        """Whether any key under ``prefixes`` changed after ``revision``, answered
        from memory; None when the hub cannot tell (not running, or the window
        no longer reaches back that far). Lets caches skip a database read."""
        with self._cond:
            if self._thread is None or revision + 1 < self.first_revision:
                return None
            i = bisect.bisect_left(self._revisions, revision + 1)
            return any(self._events[j].kv.key.startswith(prefixes) for j in range(i, len(self._events)))

    def wait(self, revision: int, timeout: float | None) -> bool:
        """Block until the hub has read ``revision``; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.revision >= revision or self._stopping, timeout)

    def wait_range(self, revision: int, key: bytes, range_end: bytes | None,
                   timeout: float | None) -> tuple[bool, int]:
        """Block until a change in ``[key, range_end)`` at or after ``revision`` is
        readable: ``(True, _)``; or, when ``timeout`` passes first, ``(False, upto)``:
        no change in range up to ``upto``, so a watcher may skip past it."""
        waiter = _RangeWaiter(revision, key, range_end)
        with self._cond:
            found, upto = self._has_change(revision, key, range_end)
            if found or self._stopping or timeout == 0:
                return found or self._stopping, upto
            self._range_waiters.append(waiter)
        woke = waiter.ready.wait(timeout)
        with self._cond:
            if not woke:
                if waiter in self._range_waiters:
                    self._range_waiters.remove(waiter)
                found, upto = self._has_change(revision, key, range_end)
                return found or self._stopping, upto
        return True, revision - 1

    def _has_change(self, revision: int, key: bytes, range_end: bytes | None) -> tuple[bool, int]:
        """(a change in range at or after ``revision`` is readable, the revision scanned up to)."""
        if revision > self.revision:
            return False, revision - 1
        if revision < self.first_revision or revision < self.compact_revision:
            return True, revision - 1  # older than the window: the database has it (or Compacted)
        i = bisect.bisect_left(self._revisions, revision)
        for j in range(i, len(self._events)):
            if in_range(self._events[j].kv.key, key, range_end):
                return True, revision - 1
        return False, self.revision

    async def async_wait(self, revision: int, timeout: float | None) -> bool:
        loop = asyncio.get_running_loop()
        with self._cond:
            if self.revision >= revision:
                return True
            future: asyncio.Future[None] = loop.create_future()
            self._async_waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            return False
        return self.revision >= revision

    def watch(
        self,
        key: bytes,
        range_end: bytes | None = None,
        start_revision: int = 0,
        prev_kv: bool = False,
        filter: Callable[[Event], bool] | None = None,
    ) -> "Watcher":
        if self._thread is None:
            self.start()
        start = start_revision or self.store.revision() + 1
        return Watcher(self, key, range_end, start, prev_kv, filter)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _RangeWaiter:
    __slots__ = ("revision", "key", "range_end", "ready")

    def __init__(self, revision: int, key: bytes, range_end: bytes | None) -> None:
        self.revision = revision
        self.key = key
        self.range_end = range_end
        self.ready = threading.Event()

    def wants(self, event: Event) -> bool:
        # A pull can still carry changes older than the one waited for (the tailer
        # was behind): those must not wake the waiter into an empty read.
        return event.revision >= self.revision and in_range(event.kv.key, self.key, self.range_end)


def _slice(events: deque[Event], start: int) -> list[Event]:
    return [events[i] for i in range(start, len(events))]


class Watcher:
    """One watch: hands out every matching change from ``start_revision`` on,
    grouped by revision, in order, exactly once."""

    def __init__(
        self,
        hub: WatchHub,
        key: bytes,
        range_end: bytes | None,
        start_revision: int,
        prev_kv: bool,
        filter: Callable[[Event], bool] | None,
    ) -> None:
        self.hub = hub
        self.key = key
        self.range_end = range_end
        self.next_revision = start_revision
        self.prev_kv = prev_kv
        self.filter = filter
        self.epoch = hub.epoch

    def _take(self) -> list[Event]:
        if self.epoch != self.hub.epoch:
            raise errors.Compacted(self.hub.compact_revision)
        events, self.next_revision = self.hub.read(self.next_revision, self.key, self.range_end)
        if self.filter is not None:
            events = [e for e in events if self.filter(e)]
        if not self.prev_kv:
            events = [Event(e.type, e.kv, None, e.diff) for e in events]
        else:
            events = [without_compacted_prev(e, self.hub.compact_revision) for e in events]
        return events

    def poll(self, timeout: float | None = None) -> list[Event]:
        """The next changes (possibly several revisions); [] when ``timeout`` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.epoch != self.hub.epoch:
                return self._take()  # raises Compacted
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, upto = self.hub.wait_range(self.next_revision, self.key, self.range_end, left)
            if not ready:
                self.next_revision = max(self.next_revision, upto + 1)  # nothing in range up to there
                return []
            events = self._take()
            # Empty only when the filter dropped every change: keep waiting for the rest.
            if events or left == 0.0:
                return events

    async def async_poll(self, timeout: float | None = None) -> list[Event]:
        from asgiref.sync import sync_to_async

        if not await self.hub.async_wait(self.next_revision, timeout):
            return []
        if self.next_revision >= self.hub.first_revision:
            return self._take()  # served from memory: no database call on the event loop
        return await sync_to_async(self._take, thread_sensitive=False)()
