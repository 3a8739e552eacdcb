"""A controller: informers feed keys to a work queue; workers reconcile keys.

After controller-runtime's ``reconcileHandler``: success forgets the key's
backoff; an error requeues it with per-key exponential backoff; "check again
later" is ``Result(requeue_after=…)``; a ``PermanentError`` is recorded, not
retried. Every pass leaves a ``Trace``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from cluster.client import ApiClient, StatusError
from controllers.clock import SimClock

from .informer import Informer
from .trace import Trace, TraceLog
from .workqueue import WorkQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    requeue_after: float | None = None


class PermanentError(Exception):
    """A reconcile failure that retrying cannot fix (e.g. an invalid spec)."""


class Controller:
    name = "controller"

    def __init__(self, client: ApiClient, clock: SimClock, traces: TraceLog) -> None:
        self.client = client
        self.clock = clock
        self.traces = traces
        self.queue: WorkQueue[str] = WorkQueue(clock, name=self.name)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        raise NotImplementedError

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def process_next(self, timeout: float | None = 0.0) -> bool:
        """Reconcile one key from the queue; False when none came within ``timeout``."""
        key = self.queue.get(timeout)
        if key is None:
            return False
        trace = Trace(self.name, key, self.clock.now())
        started = time.perf_counter()
        try:
            result = self.reconcile(key, trace) or Result()
            self.queue.forget(key)
            if result.requeue_after is not None:
                trace.result = "requeue"
                self.queue.add_after(key, result.requeue_after)
        except PermanentError as error:
            trace.result, trace.error = "error", str(error)
            self.queue.forget(key)
        except StatusError as error:
            trace.result, trace.error = "error", str(error)
            if not error.conflict:
                logger.info("%s: reconcile %s failed: %s", self.name, key, error)
            self.queue.add_rate_limited(key)
        except Exception as error:
            logger.exception("%s: reconcile %s failed", self.name, key)
            trace.result, trace.error = "error", f"{type(error).__name__}: {error}"
            self.queue.add_rate_limited(key)
        finally:
            self.queue.done(key)
            trace.duration_ms = round((time.perf_counter() - started) * 1000, 3)
            if trace.actions or trace.result != "done" or trace.diff:
                self.traces.record(trace)
        return True

    def run(self, stop: threading.Event, workers: int = 1) -> list[threading.Thread]:
        def work() -> None:
            while not stop.is_set():
                self.process_next(timeout=0.5)

        threads = [threading.Thread(target=work, name=f"{self.name}-{i}", daemon=True) for i in range(workers)]
        for thread in threads:
            thread.start()
        return threads


def owner_key(obj: dict, kind: str) -> str | None:
    """The key of the controlling owner of ``kind``, via ownerReferences."""
    metadata = obj.get("metadata", {})
    for ref in metadata.get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            namespace = metadata.get("namespace")
            return f"{namespace}/{ref['name']}" if namespace else ref["name"]
    return None


__all__ = ["Controller", "Informer", "PermanentError", "Result", "Trace", "owner_key"]
