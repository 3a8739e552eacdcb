"""The control-loop panel: reconcile traces with observed → desired, diff, actions linked to
their revisions; idle passes hidden unless asked for; narrowed to one controller on request."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync

from controllers.runtime.trace import Trace, TraceLog
from kubeviz.live import sources

from .conftest import node
from .test_consumer import communicator, receive_until


@pytest.fixture
def plane():
    fake = SimpleNamespace(traces=TraceLog(), clock=None, scheduler=None)
    sources.register_plane(fake)
    yield fake
    sources.register_plane(None)


def trace(controller: str, key: str, acted: bool) -> Trace:
    t = Trace(controller, key, 0.0, observed={"replicas": 1, "pods": 1}, desired={"replicas": 2})
    if acted:
        t.diff = ["create 1 pod"]
        t.act("create pod default/web-x", 42)
    else:
        t.diff = ["check again in 5s: lease grace period"]
        t.result = "requeue"
    return t


@pytest.mark.django_db(transaction=True)
def test_traces_show_what_acted_and_filter_by_controller(live_api, admin_client, superuser, plane):
    from cluster.client import resources as r

    admin_client.create(r.NODES, node("node-a"))
    plane.traces.record(trace("nodelifecycle", "node-a", acted=False))
    plane.traces.record(trace("replicaset", "default/web", acted=True))
    plane.traces.record(trace("deployment", "default/web", acted=True))

    async def run():
        comm = communicator(superuser)
        assert (await comm.connect())[0]
        snapshot = "".join(await receive_until(comm, 'id="traces"'))
        await comm.send_to(text_data=json.dumps({"trace_filter": "1", "trace_controller": "replicaset"}))
        only_rs = await receive_until(comm, 'id="traces"')
        await comm.send_to(text_data=json.dumps({"trace_filter": "1", "trace_controller": "nodelifecycle",
                                                 "trace_idle": "1"}))
        idle = await receive_until(comm, 'id="traces"')
        await comm.disconnect()
        return snapshot, only_rs[-1], idle[-1]

    snapshot, only_rs, idle = async_to_sync(run)()
    feed = snapshot[snapshot.index('<ol id="traces"'):]
    feed = feed[:feed.index("</ol>")]
    assert 'data-cap="60"' in feed  # the snapshot keeps the feed bounded
    assert 'data-controller="replicaset"' in feed and 'data-controller="deployment"' in feed
    assert "nodelifecycle" not in feed  # an idle pass is hidden by default
    assert "observed replicas=1, pods=1" in feed and "desired replicas=2" in feed
    assert 'data-revision-link="42"' in feed and "/dashboard/travel?revision=42" in feed
    assert 'data-controller="replicaset"' in only_rs and 'data-controller="deployment"' not in only_rs
    assert 'data-controller="nodelifecycle"' in idle and "check again in 5s" in idle


def _decision(pod: str, node: str) -> dict:
    return {"pod": pod, "node": node, "evaluated_nodes": 1, "num_all_nodes": 1, "why": f"{node} was the only node",
            "nodes": [{"node": node, "feasible": True, "filters": [], "scores": [], "final_score": 100}]}


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_panel_shows_one_pods_decision_on_request(live_api, admin_client, superuser, plane):
    plane.scheduler = SimpleNamespace(decisions=[_decision("default/old", "node-a")]
                                      + [_decision(f"default/new-{i}", "node-b") for i in range(6)])

    async def run():
        comm = communicator(superuser)
        assert (await comm.connect())[0]
        snapshot = "".join(await receive_until(comm, 'id="scheduler"'))
        await comm.send_to(text_data=json.dumps({"sched_pod": "default/old"}))
        one = (await receive_until(comm, 'id="scheduler"'))[-1]
        await comm.send_to(text_data=json.dumps({"sched_pod": "default/never"}))
        none = (await receive_until(comm, 'id="scheduler"'))[-1]
        await comm.disconnect()
        return snapshot, one, none

    snapshot, one, none = async_to_sync(run)()
    assert "default/new-5" in snapshot and "default/old" not in snapshot  # the newest five only
    assert "<code>default/old</code> → <b>node-a</b>" in one and "default/new-" not in one
    assert "Why <b>node-a</b>: node-a was the only node" in one
    assert "No scheduling decision for <code>default/never</code>" in none


@pytest.mark.django_db(transaction=True)
def test_a_quiet_control_loop_says_so_until_a_pass_acts(live_api, superuser, plane):
    plane.traces.record(trace("nodelifecycle", "node-a", acted=False))

    async def run():
        comm = communicator(superuser)
        assert (await comm.connect())[0]
        snapshot = "".join(await receive_until(comm, 'id="traces"'))
        plane.traces.record(trace("replicaset", "default/web", acted=True))
        delta = "".join(await receive_until(comm, 'data-controller="replicaset"'))
        await comm.disconnect()
        return snapshot, delta

    snapshot, delta = async_to_sync(run)()
    assert 'id="traces-empty"' in snapshot and "Every controller is in sync" in snapshot
    assert '<div id="traces-empty" hx-swap-oob="delete"></div>' in delta
