"""Retention: automatic compaction keeps a window of the change log (seconds and
revisions), and Events expire an hour after their last write — driven by a
hand-moved clock, no sleeps."""
from __future__ import annotations

import json

import pytest

from cluster.api.retention import RetentionConfig, Retention, RevisionHistory
from cluster.store import Compacted


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def churn(store, count: int, key: bytes = b"/registry/leases/kube-node-lease/node-1") -> None:
    for i in range(count):
        store.put(key, str(i).encode())


def test_revision_history_answers_the_revision_current_at_a_time():
    history = RevisionHistory(keep_seconds=100)
    for t, rev in ((0, 5), (10, 8), (20, 30)):
        history.record(t, rev)
    assert history.revision_at(-1) == 0
    assert history.revision_at(0) == 5
    assert history.revision_at(15) == 8
    assert history.revision_at(25) == 30
    history.record(500, 99)  # older samples than the horizon go, but one stays to answer
    assert history.revision_at(400) == 30


def test_compaction_keeps_the_last_revisions(store):
    clock = Clock()
    retention = Retention(store, RetentionConfig(history_seconds=0, history_revisions=50, min_compaction=10),
                          clock)
    churn(store, 200)
    retention.tick()
    current = store.revision()
    status = store.status()
    assert status.compact_revision == current - 50
    with pytest.raises(Compacted):
        store.range(b"/registry/leases/kube-node-lease/node-1", revision=current - 51)
    assert store.range(b"/registry/leases/kube-node-lease/node-1", revision=current - 50).kvs


def test_compaction_keeps_the_last_seconds_and_skips_small_steps(store):
    clock = Clock()
    retention = Retention(store, RetentionConfig(history_seconds=600, history_revisions=0, min_compaction=10),
                          clock)
    churn(store, 30)
    retention.tick()
    first = store.revision()
    assert store.status().compact_revision == 0  # nothing is 600 s old yet
    clock.now += 300
    churn(store, 30)
    retention.tick()
    assert store.status().compact_revision == 0
    clock.now += 301  # the first sample is now older than the window
    churn(store, 30)
    retention.tick()
    assert store.status().compact_revision == first
    clock.now += 1
    store.put(b"/a", b"1")
    retention.tick()  # one more revision: below min_compaction, no DELETE
    assert store.status().compact_revision == first


def test_the_shorter_window_wins(store):
    clock = Clock()
    retention = Retention(store, RetentionConfig(history_seconds=3600, history_revisions=20, min_compaction=1),
                          clock)
    churn(store, 100)
    retention.tick()
    assert store.status().compact_revision == store.revision() - 20


def test_events_expire_an_hour_after_their_last_write(store):
    clock = Clock()
    retention = Retention(store, RetentionConfig(history_seconds=0, history_revisions=0, event_ttl_seconds=3600),
                          clock)
    old = b"/registry/events/default/old.1"
    again = b"/registry/events/default/again.1"
    store.put(old, b'{"count": 1}')
    store.put(again, b'{"count": 1}')
    store.put(b"/registry/pods/default/web", b"{}")
    retention.tick()
    clock.now += 1800
    store.put(again, b'{"count": 2}')  # aggregated again: its hour starts over
    retention.tick()
    clock.now += 1801
    retention.tick()
    assert store.get(old) is None
    assert store.get(again) is not None
    assert store.get(b"/registry/pods/default/web") is not None  # only Events expire
    assert retention.events_deleted == 1
    clock.now += 1800
    retention.tick()
    assert store.get(again) is None


def test_an_event_written_during_the_round_is_kept(store):
    clock = Clock()
    retention = Retention(store, RetentionConfig(history_seconds=0, history_revisions=0, event_ttl_seconds=60),
                          clock)
    key = b"/registry/events/default/busy.1"
    store.put(key, b"1")
    retention.tick()
    clock.now += 61
    cutoff = store.revision()
    store.put(key, b"2")  # after the cutoff: the compare in the delete keeps it
    assert retention._delete_unchanged([key], cutoff - 1) == 0
    assert store.get(key) is not None


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("KUBEVIZ_HISTORY_REVISIONS", "1234")
    monkeypatch.setenv("KUBEVIZ_HISTORY_SECONDS", "60")
    monkeypatch.setenv("KUBEVIZ_EVENT_TTL_SECONDS", "7200")
    config = RetentionConfig.from_env()
    assert (config.history_revisions, config.history_seconds, config.event_ttl_seconds) == (1234, 60.0, 7200.0)
