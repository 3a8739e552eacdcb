"""Group commit: concurrent writers of one process share one database
transaction, and so one fsync, as etcd batches its backend commits.

A writer queues its txn and waits for the committer lock. Whoever holds it
takes every queued txn and applies them in queue order — each at its own
revision with its own CDC rows, each in a savepoint so one failing txn leaves
the others alone — then commits once and resolves every caller. Revision
order is still commit order: the whole batch becomes visible at once, after
every earlier batch. If the commit itself fails, every txn of the batch fails
and none is applied.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

Apply = Callable[[Any], Any]  # given a cursor inside the transaction, returns the txn's result


@dataclass(slots=True)
class _Pending:
    apply: Apply
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass(slots=True)
class Committer:
    using: str
    _queue: list[_Pending] = field(default_factory=list)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock)
    _commit_lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, apply: Apply) -> Any:
        pending = _Pending(apply)
        with self._queue_lock:
            self._queue.append(pending)
        with self._commit_lock:
            if not pending.done:  # nobody took it while we waited: commit the queue
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
                if len(batch) == 1:  # alone: the transaction itself is the rollback unit
                    batch[0].result = batch[0].apply(cursor)
                else:
                    for pending in batch:
                        try:
                            with transaction.atomic(using=self.using):  # savepoint
                                pending.result = pending.apply(cursor)
                        except Exception as e:
                            pending.error = e
        except BaseException as e:
            for pending in batch:  # nothing of the batch was applied
                pending.result, pending.error = None, pending.error or e
            if len(batch) == 1 or not isinstance(e, Exception):
                raise
        finally:
            for pending in batch:
                pending.done = True


_committers: dict[str, Committer] = {}
_committers_lock = threading.Lock()


def committer(using: str) -> Committer:
    """This process's committer for a database alias."""
    with _committers_lock:
        if using not in _committers:
            _committers[using] = Committer(using)
        return _committers[using]
