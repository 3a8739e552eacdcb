"""The dashboard websocket: snapshot with its revision, then coalesced out-of-band deltas."""
from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from cluster.client import resources as r
from kubeviz.live.consumers import DashboardConsumer

from .conftest import node, pod


def communicator(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(DashboardConsumer.as_asgi(), "/ws/dashboard/")
    comm.scope["user"] = user
    return comm


async def receive_until(comm: WebsocketCommunicator, needle: str, timeout: float = 5.0) -> list[str]:
    """Messages up to and including the first that contains ``needle``."""
    got = []
    while True:
        message = await comm.receive_from(timeout)
        got.append(message)
        if needle in message:
            return got


def revision_of(html: str) -> int:
    return int(re.search(r'id="revision" data-revision="(\d+)"', html).group(1))


@pytest.mark.django_db(transaction=True)
def test_snapshot_then_only_what_changed(live_api, admin_client, superuser):
    admin_client.create(r.NODES, node("node-a"))
    created = admin_client.create(r.PODS, pod("web-1", "node-a"), "default")

    async def run():
        comm = communicator(superuser)
        connected, _ = await comm.connect()
        assert connected
        snapshot = await comm.receive_from(5)
        assert 'data-node="node-a"' in snapshot and 'data-node-status="Ready"' in snapshot
        assert 'data-pod="default/web-1"' in snapshot and 'data-pod-node="node-a"' in snapshot
        assert revision_of(snapshot) >= int(created["metadata"]["resourceVersion"])
        # a change: only the pod (and the revision), swapped out of band
        await sync_admin_update_status(admin_client, "web-1", "Running")
        messages = await receive_until(comm, 'data-pod-phase="Running"')
        delta = messages[-1]
        assert 'id="pod-default--web-1" class="pod phase-Running" hx-swap-oob="true"' in delta
        assert 'id="nodes"' not in delta  # not a new snapshot
        assert revision_of(delta) > revision_of(snapshot)
        await comm.disconnect()

    async_to_sync(run)()


async def sync_admin_update_status(client, name: str, phase: str) -> None:
    from asgiref.sync import sync_to_async

    def update():
        current = client.get(r.PODS, name, "default")
        current["status"] = {"phase": phase}
        client.update_status(r.PODS, current)

    await sync_to_async(update)()


@pytest.mark.django_db(transaction=True)
def test_a_burst_is_one_repaint(live_api, admin_client, superuser):
    admin_client.create(r.NODES, node("node-a", cpu="64", memory="64Gi"))

    async def run():
        from asgiref.sync import sync_to_async

        comm = communicator(superuser)
        await comm.connect()
        await comm.receive_from(5)

        def burst():
            for i in range(100):
                admin_client.create(r.PODS, pod(f"burst-{i}", "node-a"), "default")

        await sync_to_async(burst)()
        messages = await receive_until(comm, 'data-pod="default/burst-99"', timeout=10)
        pods_in = sum(m.count('data-pod="default/burst-') for m in messages)
        assert pods_in == 100  # each pod drawn once
        # 100 creates: a handful of messages, not a hundred
        assert len(messages) <= 10, len(messages)
        await comm.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_reconnect_gets_a_fresh_snapshot(live_api, admin_client, superuser):
    admin_client.create(r.NODES, node("node-a"))

    async def run():
        from asgiref.sync import sync_to_async

        first = communicator(superuser)
        await first.connect()
        assert 'data-node="node-a"' in await first.receive_from(5)
        await first.disconnect()
        await sync_to_async(admin_client.create)(r.NODES, node("node-b", ready="False"))
        again = communicator(superuser)
        await again.connect()
        snapshot = await again.receive_from(5)
        assert 'id="nodes"' in snapshot
        assert 'data-node="node-b" data-node-status="NotReady"' in snapshot
        await again.disconnect()

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_pod_moves_from_tray_to_node_and_node_deletion(live_api, admin_client, superuser):
    admin_client.create(r.NODES, node("node-a"))
    admin_client.create(r.PODS, pod("lonely"), "default")

    async def run():
        from asgiref.sync import sync_to_async

        comm = communicator(superuser)
        await comm.connect()
        snapshot = await comm.receive_from(5)
        assert re.search(r'id="pending-pods"[^>]*>\s*<li id="pod-default--lonely"', snapshot)
        await sync_to_async(admin_client.bind)("default", "lonely", "node-a")
        delta = (await receive_until(comm, 'beforeend:#pods-node-a'))[-1]
        assert '<div id="pod-default--lonely" hx-swap-oob="delete">' in delta
        assert 'data-pod-node="node-a"' in delta
        await sync_to_async(admin_client.delete)(r.NODES, "node-a")
        delta = (await receive_until(comm, '<div id="node-node-a" hx-swap-oob="delete">'))[-1]
        assert "beforeend:#pending-pods" in delta  # its pod survives, in the tray
        await comm.disconnect()

    async_to_sync(run)()


def test_anonymous_is_refused(transactional_db):
    from django.contrib.auth.models import AnonymousUser

    async def run():
        comm = communicator(AnonymousUser())
        connected, code = await comm.connect()
        assert not connected

    async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_workloads_panel_and_cdc_prefix_filter(live_api, admin_client, superuser):
    import json

    admin_client.create(r.NODES, node("node-a"))
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                  "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}

    async def run():
        from asgiref.sync import sync_to_async

        comm = communicator(superuser)
        await comm.connect()
        snapshot = await comm.receive_from(5)
        assert 'id="workloads"' in snapshot
        await sync_to_async(admin_client.create)(r.DEPLOYMENTS, deployment, "default")
        delta = (await receive_until(comm, 'data-workload="Deployment/default/web"'))[-1]
        assert 'data-desired="3"' in delta and "web 0/3" in delta
        await comm.send_to(text_data=json.dumps({"cdc_prefix": "/registry/nodes/", "HEADERS": {}}))
        filtered = (await receive_until(comm, 'id="cdc"'))[-1]
        assert 'data-prefix="/registry/nodes/"' in filtered and "/registry/nodes/node-a" in filtered
        assert "/registry/deployments/" not in filtered
        await comm.disconnect()

    async_to_sync(run)()
