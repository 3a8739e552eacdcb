"""Time travel: the map at an earlier revision, rebuilt from the change log."""
from __future__ import annotations

from cluster.client import resources as r

from .conftest import node, pod


def test_objects_at_an_earlier_revision(live_api, admin_client):
    from cluster.api import telemetry

    admin_client.create(r.NODES, node("node-a"))
    before = telemetry.store_status().revision
    admin_client.create(r.PODS, pod("web-1", "node-a"), "default")
    then = telemetry.objects_at(before, ("/registry/nodes/", "/registry/pods/"))
    assert [n["metadata"]["name"] for n in then["/registry/nodes/"]] == ["node-a"]
    assert then["/registry/pods/"] == []
    now = telemetry.objects_at(telemetry.store_status().revision, ("/registry/pods/",))
    assert [p["metadata"]["name"] for p in now["/registry/pods/"]] == ["web-1"]


def test_travel_view_shows_the_past_then_live(client, superuser, live_api, admin_client):
    from cluster.api import telemetry

    admin_client.create(r.NODES, node("node-a"))
    before = telemetry.store_status().revision
    admin_client.create(r.PODS, pod("web-1", "node-a"), "default")
    client.force_login(superuser)
    past = client.get("/dashboard/travel", {"revision": before}).content.decode()
    assert f'data-travel-revision="{before}"' in past and 'data-node="node-a"' in past
    assert 'data-pod="default/web-1"' not in past
    now = client.get("/dashboard/travel", {"revision": telemetry.store_status().revision}).content.decode()
    assert 'data-pod="default/web-1"' in now
    live = client.get("/dashboard/travel").content.decode()
    assert live.strip() == '<div id="travel" class="travel"></div>'


def test_travel_to_a_compacted_or_future_revision_says_so(client, superuser, live_api, admin_client):
    from cluster.api import telemetry
    from cluster.store import get_store

    for i in range(3):
        admin_client.create(r.NODES, node(f"node-{i}"))
    current = telemetry.store_status().revision
    get_store().compact(current - 1)
    client.force_login(superuser)
    response = client.get("/dashboard/travel", {"revision": current - 2})
    assert response.status_code == 410 and "compacted" in response.content.decode()
    assert client.get("/dashboard/travel", {"revision": current + 100}).status_code == 400
    assert client.get("/dashboard/travel", {"revision": "abc"}).status_code == 400
