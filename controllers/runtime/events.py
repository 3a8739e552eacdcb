"""EventRecorder: core/v1 Events written through the API, as client-go's recorder does.

Three habits of client-go's ``record`` package, for the same reasons:

* **the correlator** — an Event with the same involved object, reason, message
  and source as one recorded recently is not written again: the existing
  Event's ``count`` goes up and its ``lastTimestamp`` moves. More than
  ``AGGREGATE_MAX`` *similar* Events (same object, type and reason, different
  messages — "Created pod: web-1", "Created pod: web-2", …) within
  ``AGGREGATE_WINDOW`` become one Event "(combined from similar events): …";
* **the spam filter** — one source may emit ``SPAM_BURST`` Events about one
  object at once, then one per ``SPAM_REFILL`` seconds; the rest are dropped;
* **the broadcaster** — once a component runs live, recording only queues the
  Event (at most ``QUEUE_LENGTH``, dropping beyond that) and one writer thread
  per process sends them, so a busy controller or kubelet never waits on an
  Event write. Without a running broadcaster (tests, ``ControlPlane.sync``)
  Events are written at once, so a deterministic run sees them immediately.

Recording never fails the caller: an Event is telemetry.
"""
from __future__ import annotations

import itertools
import logging
import queue
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Mapping

from cluster.client import ApiClient, StatusError
from cluster.client.resources import EVENTS
from controllers.clock import SimClock, to_rfc3339

logger = logging.getLogger(__name__)
NORMAL = "Normal"
WARNING = "Warning"
_CACHE_SIZE = 4096  # client-go's maxLruCacheEntries
AGGREGATE_MAX = 10  # client-go's defaultAggregateMaxEvents
AGGREGATE_WINDOW = 600.0  # defaultAggregateIntervalInSeconds
AGGREGATE_PREFIX = "(combined from similar events): "
SPAM_BURST = 25  # defaultSpamBurst
SPAM_REFILL = 300.0  # defaultSpamQPS = 1/300
QUEUE_LENGTH = 1000  # maxQueuedEvents
_sequence = itertools.count()


def object_reference(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind", ""), "apiVersion": obj.get("apiVersion", ""), "name": meta.get("name", "")}
    for key in ("namespace", "uid", "resourceVersion"):
        if meta.get(key):
            ref[key] = meta[key]
    return ref


class EventBroadcaster:
    """This process's queue of Events to write, and the one thread that writes them."""

    def __init__(self, length: int = QUEUE_LENGTH) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=length)
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None
        self._lock = threading.Lock()
        self.dropped = 0  # Events not written because the queue was full

    @property
    def running(self) -> bool:
        stop = self._stop
        return self._thread is not None and stop is not None and not stop.is_set()

    def start(self, stop: threading.Event) -> threading.Thread:
        """Write queued Events on a thread until ``stop`` is set (then the rest, and go)."""
        with self._lock:
            if self._thread is None or self._stop is None or self._stop.is_set():  # none, or one winding down
                self._stop = stop
                self._thread = threading.Thread(target=self._run, args=(stop,), daemon=True,
                                                name="event-broadcaster")
                self._thread.start()
            return self._thread

    def submit(self, write: Callable[[], object]) -> None:
        """Write now when nothing runs the queue; else queue, or drop when it is full."""
        with self._lock:  # the writer decides to exit under this lock: nothing is queued after
            queued = self.running
            if queued:
                try:
                    self._queue.put_nowait(write)
                except queue.Full:
                    self.dropped += 1
                    if self.dropped % 1000 == 1:
                        logger.warning("event queue full: %d Events dropped so far", self.dropped)
        if not queued:
            write()

    def flush(self) -> None:
        """Block until every queued Event has been written (or dropped by the sink)."""
        self._queue.join()

    def _run(self, stop: threading.Event) -> None:
        while True:
            if stop.is_set():
                with self._lock:
                    if self._queue.empty():  # nothing can be queued behind this check
                        if self._thread is threading.current_thread():
                            self._thread = None
                        return
            try:
                write = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                if write is not None:
                    write()
            except Exception:  # an Event is telemetry: never let one stop the writer
                logger.debug("event write failed", exc_info=True)
            finally:
                self._queue.task_done()


broadcaster = EventBroadcaster()  # one per process, like one per client-go component


class _SpamFilter:
    """A token bucket per (source, object): ``SPAM_BURST`` at once, then one per ``SPAM_REFILL`` s."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[tuple, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    def allow(self, key: tuple, now: float) -> bool:
        tokens, at = self._buckets.get(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - at) / SPAM_REFILL)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > _CACHE_SIZE:
            self._buckets.popitem(last=False)
        return allowed


class EventRecorder:
    def __init__(self, client: ApiClient, component: str, clock: SimClock, host: str = "",
                 sink: EventBroadcaster | None = None) -> None:
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.sink = sink or broadcaster
        self._lock = threading.Lock()
        # aggregation key → the Event as last written
        self._seen: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        # (object, type, reason) → (window start, the distinct messages seen in it)
        self._similar: OrderedDict[tuple, tuple[float, set[str]]] = OrderedDict()
        self._spam = _SpamFilter()

    def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.record(obj, NORMAL, reason, message)

    def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.record(obj, WARNING, reason, message)

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> None:
        ref = object_reference(obj)
        now = self.clock.now()
        with self._lock:
            if not self._spam.allow((ref["kind"], ref.get("namespace"), ref["name"], ref.get("uid")), now):
                return
        self.sink.submit(lambda: self._write(ref, type_, reason, message, now))

    def _aggregate(self, ref: dict, type_: str, reason: str, message: str, now: float) -> tuple[str, bool]:
        """The message to record, and whether it stands for a group of similar Events."""
        key = (ref["kind"], ref.get("namespace"), ref["name"], ref.get("uid"), type_, reason)
        started, messages = self._similar.get(key, (now, set()))
        if now - started > AGGREGATE_WINDOW:
            started, messages = now, set()
        messages.add(message)
        self._similar[key] = (started, messages)
        self._similar.move_to_end(key)
        while len(self._similar) > _CACHE_SIZE:
            self._similar.popitem(last=False)
        if len(messages) > AGGREGATE_MAX:
            return AGGREGATE_PREFIX + message, True
        return message, False

    def _write(self, ref: dict, type_: str, reason: str, message: str, now: float) -> dict[str, Any] | None:
        namespace = ref.get("namespace") or "default"  # cluster-scoped objects' Events live in default
        with self._lock:
            message, combined = self._aggregate(ref, type_, reason, message, now)
            # A combined Event is one Event whatever its latest message says.
            key = (ref["kind"], namespace, ref["name"], ref.get("uid"), type_, reason,
                   AGGREGATE_PREFIX if combined else message)
            previous = self._seen.get(key)
        try:
            if previous is not None:
                event = self._bump(previous, message, now)
            else:
                event = self._create(ref, namespace, type_, reason, message, now)
        except StatusError as error:
            logger.debug("%s: event %s %s not recorded: %s", self.component, reason, ref["name"], error)
            with self._lock:
                self._seen.pop(key, None)
            return None
        with self._lock:
            self._seen[key] = event
            self._seen.move_to_end(key)
            while len(self._seen) > _CACHE_SIZE:
                self._seen.popitem(last=False)
        return event

    def _create(self, ref: dict, namespace: str, type_: str, reason: str, message: str, now: float) -> dict:
        # Real Event names are <object>.<hex nanoseconds>, unique per occurrence; simulated
        # time stands still between clock ticks, so a per-process sequence keeps them apart.
        name = f"{ref['name']}.{int(now * 1e9) + next(_sequence):x}"
        source: dict[str, str] = {"component": self.component}
        if self.host:
            source["host"] = self.host
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "type": type_,
            "source": source, "count": 1,
            "firstTimestamp": to_rfc3339(now), "lastTimestamp": to_rfc3339(now),
            "eventTime": None, "reportingComponent": self.component, "reportingInstance": self.host,
        }
        try:
            return self.client.create(EVENTS, body, namespace)
        except StatusError as error:
            if error.code != 409:
                raise
            body["metadata"]["name"] = f"{ref['name']}.{int(now * 1e9) + secrets.randbits(24):x}"  # another process's
            return self.client.create(EVENTS, body, namespace)

    def _bump(self, event: dict, message: str, now: float) -> dict:
        body = dict(event)
        body["count"] = int(event.get("count") or 1) + 1
        body["message"] = message
        body["lastTimestamp"] = to_rfc3339(now)
        try:
            return self.client.update(EVENTS, body)
        except StatusError as error:
            if error.not_found:  # expired or deleted: start a new one
                ref = event["involvedObject"]
                return self._create(ref, event["metadata"]["namespace"], event["type"], event["reason"],
                                    message, now)
            if not error.conflict:
                raise
            live = self.client.get(EVENTS, event["metadata"]["name"], event["metadata"]["namespace"])
            live["count"] = int(live.get("count") or 1) + 1
            live["message"] = message
            live["lastTimestamp"] = to_rfc3339(now)
            return self.client.update(EVENTS, live)
