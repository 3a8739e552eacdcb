"""Fixtures for the dashboard: the process's API server swapped for the test's."""
from __future__ import annotations

import pytest


@pytest.fixture
def live_api(api):
    """``api_server()`` returns the test's API server while the test runs."""
    from cluster.api import service

    previous = service._server
    service._server = api
    yield api
    service._server = previous


@pytest.fixture
def superuser(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin", "", "pw-admin")


@pytest.fixture
def viewer(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("viewer", "", "pw-viewer")


def node(name: str, ready: str = "True", cpu: str = "4", memory: str = "8Gi") -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {},
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "conditions": [{"type": "Ready", "status": ready}]}}


def pod(name: str, node_name: str = "", namespace: str = "default") -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "nginx",
                                  "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": spec}
