"""Invariants of the store, checked with hypothesis and real concurrency.

(a) Replaying the change log onto an empty keyspace reproduces the store's
    range at every revision.
(b) Concurrent writers — threads and OS processes — get gap-free revisions, and
    a watcher started before them sees every revision exactly once, in order.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cluster.store.kv import Store
from cluster.store.types import Compare, DeleteOp, PutOp
from cluster.store.watch import WatchHub

TIMEOUT = 30  # generous; every wait ends as soon as the events are there
EXAMPLES = hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def reset(store: Store) -> None:
    """An empty store at revision 1: hypothesis runs many examples in one test."""
    with connection.cursor() as cursor:
        for table in ("store_change", "store_kv", "store_lease"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("UPDATE store_meta SET revision = 1, compact_revision = 0")


# --- (a) replaying the CDC log ----------------------------------------------------

keys = st.sampled_from([b"a", b"a/1", b"a/2", b"b", b"c"])
values = st.binary(max_size=4)
put = st.builds(PutOp, keys, values)
delete_one = st.builds(DeleteOp, keys)
delete_range = st.builds(lambda k, end: DeleteOp(k, end), keys, st.sampled_from([b"b", b"c\0", b"\0"]))
txn = st.lists(put, min_size=1, max_size=3, unique_by=lambda op: op.key)
compare = st.builds(Compare, st.just("version"), keys, st.sampled_from(["=", ">", "<"]), st.integers(0, 2))
operation = st.one_of(
    put.map(lambda op: ([], [op], [])),
    delete_one.map(lambda op: ([], [op], [])),
    delete_range.map(lambda op: ([], [op], [])),
    txn.map(lambda ops: ([], ops, [])),
    st.tuples(st.lists(compare, max_size=2), txn, txn),
)


@EXAMPLES
@given(st.lists(operation, max_size=30))
def test_replaying_the_change_log_reproduces_every_revision(store, operations):
    reset(store)
    for compares, success, failure in operations:
        store.txn(compares, success, failure)
    events, current = store.events(1, b"\0", b"\0")
    assert current == store.revision()

    keyspace: dict[bytes, object] = {}
    pending = iter(events)
    event = next(pending, None)
    for revision in range(1, current + 1):
        while event is not None and event.revision == revision:
            if event.type == "PUT":
                keyspace[event.kv.key] = event.kv
            else:
                del keyspace[event.kv.key]
            event = next(pending, None)
        stored = store.range(b"\0", b"\0", revision=revision).kvs
        assert stored == [keyspace[k] for k in sorted(keyspace)], f"at revision {revision}"
    assert event is None


# --- (b) concurrent writers ------------------------------------------------------------


def watch_everything(store: Store) -> tuple[WatchHub, object]:
    hub = WatchHub(store)
    store.on_commit = hub.notify
    hub.start()
    return hub, hub.watch(b"\0", b"\0", start_revision=store.revision() + 1)


def collect(watcher, last: int) -> list[int]:
    """Revisions of every event up to ``last``; fails instead of waiting forever."""
    seen: list[int] = []
    while watcher.next_revision <= last:
        batch = watcher.poll(timeout=TIMEOUT)
        assert batch or watcher.next_revision > last, f"stuck after revision {watcher.next_revision - 1}"
        seen += [e.revision for e in batch]
    return seen


def thread_writers(store: Store, threads: int, puts: int) -> list[threading.Thread]:
    def write(i: int) -> None:
        try:
            for n in range(puts):
                store.put(b"/t/%d/%d" % (i, n), b"v")
        finally:
            connections.close_all()

    return [threading.Thread(target=write, args=(i,)) for i in range(threads)]


@hypothesis_settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(threads=st.integers(2, 6), puts=st.integers(1, 15))
def test_writer_threads_get_gap_free_revisions_seen_once_in_order(store, threads, puts):
    reset(store)
    hub, watcher = watch_everything(store)
    try:
        workers = thread_writers(store, threads, puts)
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        total = threads * puts
        assert store.revision() == total + 1
        assert collect(watcher, total + 1) == list(range(2, total + 2))
    finally:
        hub.stop()


def _test_database_url() -> str:
    """The URL of the test database (already migrated), for writer processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME'])}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_writer_processes_and_threads_get_gap_free_revisions_seen_once_in_order(store):
    processes, threads, puts = 3, 3, 20
    hub, watcher = watch_everything(store)
    env = dict(os.environ, DATABASE_URL=_test_database_url(), PYTHONPATH=str(settings.BASE_DIR))
    try:
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "cluster.bench.writer", f"/p/{i}/", str(puts)],
                cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            for i in range(processes)
        ]
        workers = thread_writers(store, threads, puts)
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        got: list[int] = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err.decode()
            got += [int(line) for line in out.split()]
        total = (processes + threads) * puts
        assert len(got) == processes * puts and len(set(got)) == len(got)
        assert store.revision() == total + 1
        assert collect(watcher, total + 1) == list(range(2, total + 2))
        events, _ = store.events(2, b"\0", b"\0")
        assert sorted(e.kv.key for e in events) == sorted(
            [b"/p/%d/%06d" % (i, n) for i in range(processes) for n in range(puts)]
            + [b"/t/%d/%d" % (i, n) for i in range(threads) for n in range(puts)]
        )
    finally:
        hub.stop()
