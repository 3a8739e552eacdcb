"""The etcd panel's buttons — snapshot, restore, compact — call controllers.scenarios, which go
through the API server's /kubeviz/etcd/ endpoint as the logged-in user: a superuser's click
acts, a viewer's shows the API server's 403, a POST without the CSRF token is refused."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from cluster.client import resources as r


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.KUBEVIZ_SNAPSHOT_DIR = str(tmp_path / "snapshots")
    return tmp_path / "snapshots"


def configmap(name: str, value: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def test_the_etcd_panel_has_the_three_buttons(client, superuser, live_api):
    client.force_login(superuser)
    html = client.get("/").content.decode()
    for action in ("etcd-snapshot", "etcd-restore", "etcd-compact"):
        assert f'data-scenario="{action}" ' in html and f'hx-post="/dashboard/scenario/{action}"' in html, action
    assert 'hx-include="#etcd-snapshot-name"' in html and 'hx-include="#etcd-compact-revision"' in html


def test_snapshot_change_restore_and_compact_through_the_buttons(client, superuser, live_api, admin_client, snapshots):
    admin_client.create(r.CONFIGMAPS, configmap("c", "old"), "default")
    client.force_login(superuser)

    response = client.post("/dashboard/scenario/etcd-snapshot")
    assert response.status_code == 200, response.content
    [taken] = list(snapshots.iterdir())
    assert f"etcd-snapshot: done ({taken.name}: revision " in response.content.decode()

    admin_client.patch(r.CONFIGMAPS, "c", {"data": {"v": "new"}}, "default")
    response = client.post("/dashboard/scenario/etcd-restore")  # empty target: the newest
    assert response.status_code == 200, response.content
    assert f"{taken.name} (revision " in response.content.decode() and "restored" in response.content.decode()
    assert admin_client.get(r.CONFIGMAPS, "c", "default")["data"] == {"v": "old"}

    response = client.post("/dashboard/scenario/etcd-restore", {"target": "missing.db"})
    assert response.status_code == 404 and "no such file or directory" in response.content.decode()

    admin_client.patch(r.CONFIGMAPS, "c", {"data": {"v": "later"}}, "default")
    revision = live_api.store.revision()
    response = client.post("/dashboard/scenario/etcd-compact", {"value": str(revision)})
    assert response.status_code == 200 and f"compacted at revision {revision}" in response.content.decode()
    response = client.post("/dashboard/scenario/etcd-compact", {"value": str(revision)})
    assert response.status_code == 400
    assert "etcdserver: mvcc: required revision has been compacted" in response.content.decode()
    assert client.post("/dashboard/scenario/etcd-compact", {"value": "soon"}).status_code == 400


def test_a_viewers_click_shows_the_api_servers_403(client, viewer, live_api, admin_client, snapshots):
    client.force_login(viewer)
    revision = live_api.store.revision()
    for action in ("etcd-snapshot", "etcd-restore", "etcd-compact"):
        response = client.post(f"/dashboard/scenario/{action}")
        assert response.status_code == 403, (action, response.content)
        path = "/kubeviz/etcd/" + action.removeprefix("etcd-")
        assert (f"403 Forbidden: forbidden: User &quot;viewer&quot; cannot post path &quot;{path}&quot;"
                in response.content.decode()), response.content
        assert 'data-code="403"' in response.content.decode()
    assert not snapshots.exists() and live_api.store.revision() == revision


def test_a_post_without_the_csrf_token_is_refused(superuser, live_api, snapshots):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    assert browser.post("/dashboard/scenario/etcd-snapshot").status_code == 403
    assert not snapshots.exists()


def test_the_scenario_command(live_api, admin_client, snapshots):
    def run(*args: str) -> str:
        out = StringIO()
        call_command("scenario", *args, stdout=out)
        return out.getvalue()

    admin_client.create(r.CONFIGMAPS, configmap("c", "old"), "default")
    saved = run("etcd-snapshot")
    [taken] = list(snapshots.iterdir())
    assert saved.startswith(f"Snapshot saved at {taken}\nrevision ")
    admin_client.patch(r.CONFIGMAPS, "c", {"data": {"v": "new"}}, "default")
    assert run("etcd-restore", taken.name).startswith(f"Restored {taken} (revision ")
    assert admin_client.get(r.CONFIGMAPS, "c", "default")["data"] == {"v": "old"}
    with pytest.raises(CommandError, match="required revision has been compacted"):
        run("etcd-compact")  # the restore left the store compacted at its revision
    admin_client.patch(r.CONFIGMAPS, "c", {"data": {"v": "newer"}}, "default")
    revision = live_api.store.revision()
    assert run("etcd-compact") == f"compacted revision {revision}\n"
    with pytest.raises(CommandError, match="required revision has been compacted"):
        run("etcd-compact", str(revision))
    with pytest.raises(CommandError, match="not a revision number"):
        run("etcd-compact", "x")


@pytest.mark.django_db(transaction=True)
def test_a_restore_ends_the_dashboards_socket_and_the_reconnect_draws_the_restored_cluster(
        live_api, admin_client, superuser, snapshots):
    """The page's watches get 410 (the restore is marked compacted): the consumer closes with
    4012, on which dashboard.js reconnects — and the new snapshot has the
    restored state."""
    from asgiref.sync import async_to_sync, sync_to_async

    from controllers import scenarios

    from .conftest import node
    from .test_consumer import communicator, receive_until, revision_of

    admin_client.create(r.NODES, node("node-a"))
    taken = scenarios.etcd_snapshot(admin_client)
    admin_client.create(r.NODES, node("node-b"))

    async def run():
        comm = communicator(superuser)
        connected, _ = await comm.connect()
        assert connected
        first = "".join(await receive_until(comm, 'data-node="node-b"'))
        assert 'data-node="node-a"' in first
        restored = await sync_to_async(scenarios.etcd_restore)(admin_client)
        assert restored["name"] == taken["name"]
        while True:  # deltas may still arrive; then the close
            message = await comm.receive_output(5)
            if message["type"] == "websocket.close":
                break
        assert message.get("code") == 4012
        await comm.disconnect()
        again = communicator(superuser)
        assert (await again.connect())[0]
        snapshot = "".join(await receive_until(again, 'id="revision"'))
        await again.disconnect()
        return snapshot, restored

    snapshot, restored = async_to_sync(run)()
    assert 'data-node="node-a"' in snapshot and 'data-node="node-b"' not in snapshot
    assert revision_of(snapshot) >= restored["restoredRevision"]


@pytest.mark.django_db(transaction=True)
def test_after_a_restore_the_dashboards_watch_pump_hands_over_one_error_and_stops(live_api, admin_client, snapshots):
    """Not a busy loop of 410s (it starved the page's event loop in a live server): one ERROR, then the thread ends."""
    import threading

    from controllers import scenarios
    from kubeviz.live.consumers import reader_client
    from kubeviz.live.pump import WatchPump

    from .conftest import node

    admin_client.create(r.NODES, node("node-a"))
    scenarios.etcd_snapshot(admin_client)
    batches: list = []
    errored = threading.Event()

    def on_batch(batch):
        batches.append(batch)
        if any(type_ == "ERROR" for _, type_, _ in batch):
            errored.set()

    pump = WatchPump(reader_client(), on_batch)
    pump.list()
    pump.start()
    try:
        scenarios.etcd_restore(admin_client)
        assert errored.wait(10)
        pump.thread.join(10)
        assert not pump.thread.is_alive()
    finally:
        pump.close()
    errors = [e for batch in batches for e in batch if e[1] == "ERROR"]
    assert len(batches) == 1 and errors and errors[0][2]["code"] == 410
