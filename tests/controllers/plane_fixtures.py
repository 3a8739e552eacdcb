"""Helpers for control-plane tests: a ControlPlane on the test API server, driven by a SimClock."""
from __future__ import annotations

from typing import Any

from cluster.client import resources as r
from controllers.clock import DEMO, SimClock
from controllers.plane import ControlPlane

LABELS = {"app": "web"}


def make_plane(api: Any, nodes: int = 3, profile=DEMO) -> ControlPlane:
    clock = SimClock()
    api.now = clock.now  # one clock: the API server's timestamps are simulated time too
    api.storage.now = clock.now
    plane = ControlPlane(api, clock, profile)
    plane.add_nodes(nodes)
    plane.sync()
    return plane


def deployment(name: str = "web", replicas: int = 6, image: str = "nginx:1.27", **pod_spec: Any) -> dict:
    spec = {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80, "name": "http"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}], **pod_spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def pods(client, namespace: str = "default", selector: str = "") -> list[dict]:
    return client.list(r.PODS, namespace, label_selector=selector)["items"]


def running(client, selector: str = "app=web") -> list[dict]:
    return [p for p in pods(client, selector=selector)
            if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]


def node_of(pod: dict) -> str:
    return pod["spec"].get("nodeName", "")
