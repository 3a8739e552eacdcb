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
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.revision = 0  # the newest revision read from the store
        self.compact_revision = 0
        self.first_revision = 1  # the window holds every change at or after this
        self.epoch = 0  # bumped when the store goes back in time (snapshot restore)

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
                self.compact_revision = compact
                for event in events:
                    self._events.append(event)
                    self._revisions.append(event.revision)
                arrived += len(events)
                self.revision = upto
                self._trim()
                self._wake_waiters()
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
        self.first_revision = revision + 1
        self.epoch += 1
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        self._cond.notify_all()
        waiters, self._async_waiters = self._async_waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

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
        if not self.hub.wait(self.next_revision, timeout):
            return []
        return self._take()

    async def async_poll(self, timeout: float | None = None) -> list[Event]:
        from asgiref.sync import sync_to_async

        if not await self.hub.async_wait(self.next_revision, timeout):
            return []
        if self.next_revision >= self.hub.first_revision:
            return self._take()  # served from memory: no database call on the event loop
        return await sync_to_async(self._take, thread_sensitive=False)()
