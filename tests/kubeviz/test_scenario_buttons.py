"""Issue #5's scenario buttons: each calls a function in controllers.scenarios as the
logged-in user; the page carries one button per action with ``data-scenario`` and
``data-target``; a viewer sees the whole cluster but every click is a 403."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from cluster.client import resources as r
from controllers import scenarios

from .conftest import node, pod
from .test_consumer import communicator, receive_until


def deployment(name: str, replicas: int, image: str = "nginx:1.27", namespace: str = "default") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


def test_next_image_bumps_the_tags_last_number():
    assert scenarios.next_image("nginx:1.27") == "nginx:1.28"
    assert scenarios.next_image("app:v3") == "app:v4"
    assert scenarios.next_image("registry:5000/app:2.9") == "registry:5000/app:2.10"
    assert scenarios.next_image("registry:5000/app") == "registry:5000/app:1"
    assert scenarios.next_image("busybox:latest") == "busybox:1"


def test_scale_rollout_drain_delete_through_the_buttons(client, superuser, live_api, admin_client):
    admin_client.create(r.NODES, node("node-a"))
    admin_client.create(r.DEPLOYMENTS, deployment("web", 2))
    admin_client.create(r.PODS, pod("p1", "node-a"))
    admin_client.create(r.PODS, pod("p2", "node-a"))
    client.force_login(superuser)

    assert client.post("/dashboard/scenario/scale-up", {"target": "default/web"}).status_code == 200
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["replicas"] == 3
    assert client.post("/dashboard/scenario/scale-down", {"target": "default/web"}).status_code == 200
    assert client.post("/dashboard/scenario/scale-down", {"target": "default/web"}).status_code == 200
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["replicas"] == 1

    response = client.post("/dashboard/scenario/rollout", {"target": "default/web"})
    assert response.status_code == 200 and "nginx:1.28" in response.content.decode()
    template = admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.28"

    response = client.post("/dashboard/scenario/drain", {"target": "node-a"})
    assert response.status_code == 200 and "2 pods evicted" in response.content.decode()
    assert admin_client.get(r.NODES, "node-a")["spec"]["unschedulable"] is True
    left = [p for p in admin_client.list(r.PODS, "default")["items"] if not p["metadata"].get("deletionTimestamp")]
    assert left == []

    admin_client.create(r.PODS, pod("p3", "node-a"))
    assert client.post("/dashboard/scenario/delete-pod", {"target": "default/p3"}).status_code == 200
    assert admin_client.get(r.PODS, "p3", "default")["metadata"].get("deletionTimestamp")  # graceful: Terminating
    assert client.post("/dashboard/scenario/delete-pod", {"target": "default/nope"}).status_code == 409

    admin_client.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert client.post("/dashboard/scenario/delete-namespace", {"target": "team-a"}).status_code == 200
    namespace = admin_client.get(r.NAMESPACES, "team-a")
    assert namespace["metadata"].get("deletionTimestamp") and namespace["status"]["phase"] == "Terminating"


def test_a_viewers_scale_click_is_forbidden(client, viewer, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment("web", 2))
    client.force_login(viewer)
    for name in ("scale-up", "rollout", "drain", "delete-pod"):
        target = "node-a" if name == "drain" else "default/web"
        response = client.post(f"/dashboard/scenario/{name}", {"target": target})
        assert response.status_code == 403, (name, response.content)
        assert "forbidden" in response.content.decode().lower()
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["replicas"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_viewer_sees_everything_with_a_button_per_action(live_api, admin_client, viewer):
    """No RBAC binding at all: the viewer still sees nodes, pods and workloads, each with its buttons."""
    admin_client.create(r.NODES, node("node-a"))
    admin_client.create(r.PODS, pod("p1", "node-a"))
    admin_client.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    admin_client.create(r.DEPLOYMENTS, deployment("api", 1, namespace="team-a"))

    async def run():
        comm = communicator(viewer)
        connected, _ = await comm.connect()
        assert connected
        html = "".join(await receive_until(comm, 'id="workloads"'))
        await comm.disconnect()
        return html

    html = async_to_sync(run)()
    assert "Hidden from you" not in html
    assert 'data-node="node-a"' in html and 'data-pod="default/p1"' in html
    for action in ("kill-node", "revive-node", "partition-node", "heal-node", "slow-node", "remove-node", "cordon",
                   "uncordon", "drain"):
        assert f'data-scenario="{action}" data-target="node-a"' in html, action
    for action in ("crash-pod", "delete-pod"):
        assert f'data-scenario="{action}" data-target="default/p1"' in html, action
    for action in ("scale-up", "scale-down", "rollout"):
        assert f'data-scenario="{action}" data-target="team-a/api"' in html, action
    assert 'data-scenario="delete-namespace" data-target="team-a"' in html


def test_the_scenario_command_does_what_the_buttons_do(live_api, admin_client):
    from io import StringIO

    from django.core.management import call_command

    admin_client.create(r.NODES, node("node-a"))
    admin_client.create(r.DEPLOYMENTS, deployment("web", 2))
    admin_client.create(r.PODS, pod("p1", "node-a"))

    def run(*args: str) -> str:
        out = StringIO()
        call_command("scenario", *args, stdout=out)
        return out.getvalue()

    assert "scaled to 5" in run("scale", "default/web", "--replicas", "5")
    assert "scaled to 4" in run("scale", "default/web", "--replicas=-1")
    assert "nginx:2" in run("rollout", "default/web", "--image", "nginx:2")
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "nginx:2"
    assert "evicting pod default/p1" in run("drain", "node-a")
    assert "uncordoned" in run("uncordon", "node-a")
    assert not admin_client.get(r.NODES, "node-a")["spec"].get("unschedulable")
    admin_client.create(r.PODS, pod("p2", "node-a"))
    assert "pod/p2 deleted" in run("delete-pod", "default/p2")

    assert "node/gpu-1 added" in run("add-node", "--name", "gpu-1", "--cpu", "2", "--memory", "4Gi", "--pods", "20",
                                     "--labels", "accel=gpu,zone=a", "--labels", "disk=ssd",
                                     "--taints", "gpu=true:NoSchedule", "--taints", "spot:PreferNoSchedule")
    spec = scenarios.simulated_nodes(admin_client)["gpu-1"]["spec"]
    assert (spec["cpu"], spec["memory"], spec["pods"]) == ("2", "4Gi", 20)
    assert spec["labels"] == {"accel": "gpu", "zone": "a", "disk": "ssd"}
    assert spec["taints"] == [{"key": "gpu", "value": "true", "effect": "NoSchedule"},
                              {"key": "spot", "effect": "PreferNoSchedule"}]


def test_scripts_use_the_same_endpoint_with_a_bearer_token(client, live_api, admin_client):
    """Issue #4: scenarios behind an HTTP endpoint authorised through RBAC like any other request."""
    from cluster.api.authn import issue_token

    admin_client.create(r.NODES, node("node-a"))
    nobody, admin = issue_token("alice"), issue_token("root", ["system:masters"])

    response = client.post("/dashboard/scenario/cordon", {"target": "node-a"}, HTTP_AUTHORIZATION=f"Bearer {nobody}")
    assert response.status_code == 403 and response.json()["code"] == 403
    assert 'User "alice" cannot patch resource "nodes"' in response.json()["message"]
    assert not admin_client.get(r.NODES, "node-a")["spec"].get("unschedulable")

    response = client.post("/dashboard/scenario/cordon", {"target": "node-a"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {admin}")
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "cordon node-a: done"
    assert admin_client.get(r.NODES, "node-a")["spec"]["unschedulable"] is True
    assert any(rec.user == "root" and rec.verb == "patch" for rec in live_api.audit.recent(5))

    assert client.post("/dashboard/scenario/cordon", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    assert client.post("/dashboard/scenario/cordon", {"target": "node-a"}).status_code == 302  # no token, no session
