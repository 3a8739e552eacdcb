from cluster.client import resources as r
from tests.controllers.plane_fixtures import deployment, make_plane, running


def test_deployment_runs(api, admin_client):
    plane = make_plane(api)
    nodes = admin_client.list(r.NODES)["items"]
    assert len(nodes) == 3
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    plane.run_for(10)
    up = running(admin_client)
    assert len(up) == 6, [(p["metadata"]["name"], p["status"]) for p in admin_client.list(r.PODS, "default")["items"]]
