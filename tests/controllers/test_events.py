"""Events as client-go records them: repeats counted, similar ones combined, a
spammy source cut off, and — once a component runs live — queued for one
writer thread instead of awaited, dropping what does not fit."""
from __future__ import annotations

import threading

import pytest

from cluster.client import resources as r
from controllers.clock import SimClock
from controllers.runtime import events as ev
from controllers.runtime.events import EventBroadcaster, EventRecorder

RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "default", "uid": "u1"}}


def listed(client) -> list[dict]:
    return sorted(client.list(r.EVENTS, "default")["items"], key=lambda e: e["metadata"]["name"])


@pytest.fixture
def recorder(api, admin_client):
    return EventRecorder(admin_client, "replicaset-controller", SimClock(), sink=EventBroadcaster())


def test_similar_events_past_ten_become_one_combined_event(recorder, admin_client):
    for i in range(13):
        recorder.clock.advance(1)
        recorder.normal(RS, "SuccessfulCreate", f"Created pod: web-1-{i}")
    items = listed(admin_client)
    single = [e for e in items if not e["message"].startswith(ev.AGGREGATE_PREFIX)]
    combined = [e for e in items if e["message"].startswith(ev.AGGREGATE_PREFIX)]
    assert len(single) == ev.AGGREGATE_MAX
    assert len(combined) == 1
    assert combined[0]["count"] == 3
    assert combined[0]["message"] == ev.AGGREGATE_PREFIX + "Created pod: web-1-12"


def test_similar_events_start_over_after_the_aggregation_window(recorder, admin_client):
    for i in range(ev.AGGREGATE_MAX):
        recorder.normal(RS, "SuccessfulCreate", f"Created pod: a-{i}")
    recorder.clock.advance(ev.AGGREGATE_WINDOW + 1)
    recorder.normal(RS, "SuccessfulCreate", "Created pod: b")
    assert not any(e["message"].startswith(ev.AGGREGATE_PREFIX) for e in listed(admin_client))


def test_a_source_gets_a_burst_then_one_event_per_refill(recorder, admin_client):
    for i in range(ev.SPAM_BURST + 5):
        recorder.warning(RS, f"Reason{i}", "something")  # different reasons: never combined
    assert len(listed(admin_client)) == ev.SPAM_BURST
    recorder.clock.advance(ev.SPAM_REFILL)
    recorder.warning(RS, "Later", "one token back")
    recorder.warning(RS, "Later2", "but only one")
    assert [e["reason"] for e in listed(admin_client)].count("Later") == 1
    assert len(listed(admin_client)) == ev.SPAM_BURST + 1


def test_a_running_broadcaster_queues_and_writes_on_its_own_thread(api, admin_client):
    sink, stop = EventBroadcaster(), threading.Event()
    recorder = EventRecorder(admin_client, "kubelet", SimClock(), host="node-1", sink=sink)
    writers: list[str] = []
    sink.start(stop)
    try:
        sink.submit(lambda: writers.append(threading.current_thread().name))
        recorder.normal({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "default"}},
                        "Started", "Started container app")
        sink.flush()
    finally:
        stop.set()
    assert writers == ["event-broadcaster"]
    [event] = listed(admin_client)
    assert (event["reason"], event["source"]) == ("Started", {"component": "kubelet", "host": "node-1"})
    assert not sink.running  # stopped: recording is inline again


def test_a_full_queue_drops_events_instead_of_blocking_the_caller():
    sink, stop = EventBroadcaster(length=2), threading.Event()
    busy, release = threading.Event(), threading.Event()
    written: list[int] = []
    sink.start(stop)
    try:
        sink.submit(lambda: (busy.set(), release.wait(10)))
        assert busy.wait(10)  # the writer is stuck on the first write; the queue is empty
        for i in range(4):
            sink.submit(lambda i=i: written.append(i))
        assert sink.dropped == 2
        release.set()
        sink.flush()
    finally:
        stop.set()
    assert written == [0, 1]


def test_nothing_is_queued_behind_a_stopping_writer_and_a_restart_takes_over():
    sink, first = EventBroadcaster(), threading.Event()
    sink.start(first)
    first.set()  # stopping: from now on recording is inline, never stranded in the queue
    written: list[str] = []
    sink.submit(lambda: written.append(threading.current_thread().name))
    assert written == [threading.current_thread().name]
    second = threading.Event()
    thread = sink.start(second)  # while the first may still be winding down
    try:
        assert sink.running and thread.name == "event-broadcaster"
        sink.submit(lambda: written.append(threading.current_thread().name))
        sink.flush()
        assert written[-1] == "event-broadcaster"
    finally:
        second.set()
    thread.join(5)
    assert not thread.is_alive() and not sink.running
