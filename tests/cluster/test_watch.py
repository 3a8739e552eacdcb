"""Watch: from a past revision, by prefix, with prev_kv, resumed, never splitting
a revision, refusing compacted revisions, and falling back to the database for
revisions older than the hub's in-memory window."""
from __future__ import annotations

import threading
import time

import pytest

from cluster.store import errors
from cluster.store.keys import prefix_end
from cluster.store.kv import Store
from cluster.store.types import PutOp
from cluster.store.watch import WatchHub

TIMEOUT = 10  # generous: poll returns as soon as the events are there


def make_hub(window: int = 200_000):
    hub = WatchHub(Store(), window=window)
    store = Store(on_commit=hub.notify)
    hub.store = store
    hub.start()
    return store, hub


@pytest.fixture
def hub(transactional_db):
    store, hub = make_hub()
    yield store, hub
    hub.stop()


@pytest.fixture
def tiny_hub(transactional_db):
    store, hub = make_hub(window=2)
    yield store, hub
    hub.stop()


def drain(watcher, until: int) -> list:
    """Every event up to revision ``until``, polling without sleeping."""
    events: list = []
    while watcher.next_revision <= until:
        batch = watcher.poll(timeout=TIMEOUT)
        if not batch and watcher.next_revision <= until:
            pytest.fail(f"no events after revision {watcher.next_revision - 1} within {TIMEOUT}s")
        events += batch
    return events


def summary(events) -> list[tuple[str, bytes, int]]:
    return [(e.type, e.kv.key, e.revision) for e in events]


def test_watch_from_now_sees_only_new_changes(hub):
    store, hub = hub
    store.put(b"a", b"before")
    watcher = hub.watch(b"a")
    store.put(b"a", b"after")
    assert [e.kv.value for e in drain(watcher, store.revision())] == [b"after"]


def test_watch_from_a_past_revision(hub):
    store, hub = hub
    for value in (b"1", b"2", b"3"):
        store.put(b"a", value)  # 2, 3, 4
    watcher = hub.watch(b"a", start_revision=3)
    assert [(e.kv.value, e.revision) for e in drain(watcher, 4)] == [(b"2", 3), (b"3", 4)]


def test_prefix_watch_ignores_other_keys(hub):
    store, hub = hub
    watcher = hub.watch(b"/pods/", prefix_end(b"/pods/"))
    store.put(b"/pods/a", b"1")
    store.put(b"/nodes/a", b"1")
    store.delete_range(b"/pods/a")
    assert summary(drain(watcher, store.revision())) == [("PUT", b"/pods/a", 2), ("DELETE", b"/pods/a", 4)]


def test_prev_kv_only_when_asked(hub):
    store, hub = hub
    store.put(b"a", b"1")
    plain = hub.watch(b"a", start_revision=3)
    with_prev = hub.watch(b"a", start_revision=3, prev_kv=True)
    store.put(b"a", b"2")
    store.delete_range(b"a")
    assert [e.prev_kv for e in drain(plain, 4)] == [None, None]
    assert [e.prev_kv.value for e in drain(with_prev, 4)] == [b"1", b"2"]


def test_resume_from_the_next_revision_misses_nothing(hub):
    store, hub = hub
    watcher = hub.watch(b"k", prefix_end(b"k"))
    store.put(b"k1", b"1")
    first = drain(watcher, 2)
    resume_at = first[-1].revision + 1
    store.put(b"k2", b"1")
    store.put(b"k3", b"1")
    resumed = hub.watch(b"k", prefix_end(b"k"), start_revision=resume_at)
    assert summary(first + drain(resumed, 4)) == [("PUT", b"k1", 2), ("PUT", b"k2", 3), ("PUT", b"k3", 4)]


def test_one_revisions_events_arrive_together(hub):
    store, hub = hub
    watcher = hub.watch(b"\0", b"\0")
    ops = [PutOp(b"k%03d" % i, b"v") for i in range(50)]
    store.txn([], ops, [])
    batch = watcher.poll(timeout=TIMEOUT)
    assert len(batch) == 50 and {e.revision for e in batch} == {2}


def test_changes_after_never_splits_a_revision(store):
    store.txn([], [PutOp(b"a%d" % i, b"v") for i in range(5)], [])  # 2
    store.txn([], [PutOp(b"b%d" % i, b"v") for i in range(5)], [])  # 3
    events, upto, current, _ = store.changes_after(1, limit=7)
    assert (len(events), upto, current) == (5, 2, 3)
    events, upto, _, _ = store.changes_after(1, limit=3)  # one revision bigger than the limit
    assert (len(events), upto) == (5, 2)


def test_watch_below_the_compact_revision_is_refused(hub):
    store, hub = hub
    for value in (b"1", b"2", b"3"):
        store.put(b"a", value)  # 2, 3, 4
    store.compact(3)
    store.put(b"a", b"4")  # 5: makes the hub read the new compact revision
    hub.pull()
    with pytest.raises(errors.Compacted):
        hub.watch(b"a", start_revision=2).poll(timeout=TIMEOUT)
    # The compaction revision itself is still served.
    assert [e.revision for e in drain(hub.watch(b"a", start_revision=3), 5)] == [3, 4, 5]


def test_old_revisions_come_from_the_database_when_the_window_has_moved_on(tiny_hub):
    store, hub = tiny_hub
    early = hub.watch(b"k", prefix_end(b"k"))  # wants revision 2 on
    for i in range(10):
        store.put(b"k%d" % i, b"v")  # 2..11
    hub.pull()
    assert hub.first_revision > 2  # the window no longer holds revision 2
    events = drain(early, 11)
    assert [e.revision for e in events] == list(range(2, 12))
    late = hub.watch(b"k5", start_revision=2)  # a past revision, found only in the log
    assert [e.revision for e in drain(late, 11)] == [7]


def test_hub_sees_writes_of_another_store_without_notification(hub):
    _, hub = hub
    other = Store()  # no on_commit: like another process, found by polling
    watcher = hub.watch(b"x")
    other.put(b"x", b"1")
    assert [e.kv.value for e in drain(watcher, 2)] == [b"1"]


def test_a_watcher_wakes_only_for_changes_in_its_range_and_skips_the_rest(hub):
    store, hub = hub
    start = store.revision() + 1
    watcher = hub.watch(b"/registry/pods/", prefix_end(b"/registry/pods/"), start)
    for i in range(5):
        store.put(f"/registry/leases/kube-node-lease/node-{i}".encode(), b"renewed")
    hub.pull()
    assert watcher.poll(timeout=0.05) == []  # woken by nothing of its own: times out empty
    assert watcher.next_revision == store.revision() + 1  # and moved past what it need not read
    store.put(b"/registry/pods/default/web", b"{}")
    events = watcher.poll(timeout=TIMEOUT)
    assert [e.kv.key for e in events] == [b"/registry/pods/default/web"]


def test_a_waiting_watcher_is_not_woken_by_changes_before_its_start(transactional_db):
    """The tailer may deliver an older change to the same key while a watcher
    waits for a newer one: that must not end the wait with nothing to read."""
    hub = WatchHub(Store(), poll_interval=3600).start()  # pulls only when this test says
    store = hub.store  # no on_commit: nothing wakes the tailer behind the test's back
    try:
        store.put(b"a", b"before")  # 2: not yet read by the hub
        watcher = hub.watch(b"a")  # from 3
        polled: list[list] = []
        waiting = threading.Thread(target=lambda: polled.append(watcher.poll(timeout=TIMEOUT)))
        waiting.start()
        while not hub._range_waiters:  # until the watcher waits: a yield, not a sleep
            time.sleep(0)
        hub.pull()  # delivers revision 2 alone
        store.put(b"a", b"after")  # 3
        hub.pull()
        waiting.join()
        assert [[e.kv.value for e in batch] for batch in polled] == [[b"after"]]
    finally:
        hub.stop()
