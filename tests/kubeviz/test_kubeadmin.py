"""Desired-state admin: edits go through the API server as the logged-in user."""
from __future__ import annotations

import yaml
from django.test import Client

from cluster.client import resources as r


def deployment(name: str = "web", replicas: int = 2) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def _form(client, url: str) -> dict:
    """The edit form's current values, as a browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}


URL = "/admin/kube/deployments/default/web/"


def test_lists_and_scales_a_deployment(client, superuser, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    client.force_login(superuser)
    listing = client.get("/admin/kube/deployments/").content.decode()
    assert 'data-admin-object="default/web"' in listing
    data = _form(client, URL) | {"replicas": "5"}
    response = client.post(URL, data)
    assert response.status_code == 302 and response.url.endswith("?saved=1")
    saved = admin_client.get(r.DEPLOYMENTS, "web", "default")
    assert saved["spec"]["replicas"] == 5 and saved["metadata"]["generation"] == 2


def test_the_yaml_editor_changes_the_rest(client, superuser, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    client.force_login(superuser)
    data = _form(client, URL)
    obj = yaml.safe_load(data["yaml"])
    obj["metadata"].setdefault("annotations", {})["team"] = "blue"
    assert client.post(URL, data | {"yaml": yaml.safe_dump(obj)}).status_code == 302
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["metadata"]["annotations"]["team"] == "blue"


def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_saved(client, superuser, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    client.force_login(superuser)
    before = admin_client.get(r.DEPLOYMENTS, "web", "default")["metadata"]["resourceVersion"]
    response = client.post(URL, _form(client, URL) | {"replicas": "-3"})
    assert response.status_code == 422
    assert response.context["form"].errors.get("replicas"), response.context["form"].errors
    assert 'data-field-error="replicas"' in response.content.decode()
    bad_yaml = client.post(URL, _form(client, URL) | {"yaml": "metadata: [unclosed"})
    assert bad_yaml.status_code == 422 and bad_yaml.context["form"].errors.get("yaml")
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["metadata"]["resourceVersion"] == before


def test_rbac_applies_to_the_logged_in_user(client, viewer, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    client.force_login(viewer)
    assert client.get(URL).status_code == 403
    assert client.get("/admin/kube/deployments/").status_code == 403


def test_save_requires_csrf(superuser, live_api, admin_client):
    admin_client.create(r.DEPLOYMENTS, deployment(), "default")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(superuser)
    assert csrf_client.post(URL, {"replicas": "4"}).status_code == 403
    assert admin_client.get(r.DEPLOYMENTS, "web", "default")["spec"]["replicas"] == 2


def test_create_from_yaml(client, superuser, live_api, admin_client):
    client.force_login(superuser)
    page = client.get("/admin/kube/deployments/new/")
    assert page.status_code == 200 and "kind: Deployment" in page.content.decode()
    response = client.post("/admin/kube/deployments/new/", {"yaml": yaml.safe_dump(deployment("hello", 1))})
    assert response.status_code == 302
    assert admin_client.get(r.DEPLOYMENTS, "hello", "default")["spec"]["replicas"] == 1
    invalid = deployment("bad", -1)
    response = client.post("/admin/kube/deployments/new/", {"yaml": yaml.safe_dump(invalid)})
    assert response.status_code == 422 and "spec.replicas" in response.content.decode()


def test_the_django_admin_index_leads_to_every_resource(client, superuser):
    """Issue #5 says "Django admin for the resources": /admin/ lists each kind the
    desired-state pages edit (kubeviz/kubeadmin/kinds.py), beside Django's own models."""
    from kubeviz.kubeadmin.kinds import KINDS

    client.force_login(superuser)
    body = client.get("/admin/").content.decode()
    assert "Kubernetes resources" in body and "Users" in body
    for slug, kind in KINDS.items():
        assert f'href="/admin/kube/{slug}/" data-admin-kind="{slug}">{kind.title}</a>' in body, slug
        assert f'href="/admin/kube/{slug}/new/"' in body, slug


def test_a_trainingjobs_workers_epochs_and_per_worker_resources_have_fields(client, superuser, live_api, admin_client):
    from controllers.training.controller import ensure_crd

    ensure_crd(admin_client)
    admin_client.create(r.TRAININGJOBS, {
        "apiVersion": "kubeviz.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": "mnist", "namespace": "default"},
        "spec": {"workers": 2, "epochs": 10, "secondsPerEpoch": 3, "checkpointEvery": 5,
                 "resources": {"cpu": "250m", "memory": "256Mi"}}}, "default")
    client.force_login(superuser)
    url = "/admin/kube/trainingjobs/default/mnist/"
    data = _form(client, url)
    assert (data["workers"], data["epochs"], data["cpu"], data["memory"]) == (2, 10, "250m", "256Mi")
    response = client.post(url, data | {"workers": "3", "epochs": "20", "cpu": "500m"})
    assert response.status_code == 302, response.content
    spec = admin_client.get(r.TRAININGJOBS, "mnist", "default")["spec"]
    assert (spec["workers"], spec["epochs"], spec["resources"]) == (3, 20, {"cpu": "500m", "memory": "256Mi"})
    assert "template" not in spec and "containers" not in spec
