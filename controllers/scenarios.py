"""Scenario actions: one set of functions behind ``manage.py scenario``, an endpoint and the buttons.

The simulated machines' state lives in the API — ConfigMap
``kube-system/kubeviz-scenarios``, one ``node.<name>`` entry each (JSON: the
machine's ``spec`` and its ``state``). The kubelet pool watches it, so a
scenario run from another process reaches the running cluster through the
API server like any other change, and shows up in the change log.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r

from .kubelet.pool import SCENARIO_CONFIGMAP, SCENARIO_NAMESPACE
from .kubelet.runtime import CRASH_NOW

Obj = dict[str, Any]
STATES = ("running", "dead", "partitioned", "slow", "removed")


class ScenarioError(Exception):
    pass


def _configmap(client: ApiClient) -> Obj | None:
    try:
        return client.get(r.CONFIGMAPS, SCENARIO_CONFIGMAP, SCENARIO_NAMESPACE)
    except StatusError as error:
        if error.not_found:
            return None
        raise


def simulated_nodes(client: ApiClient) -> dict[str, Obj]:
    cm = _configmap(client) or {}
    return {k[5:]: json.loads(v) for k, v in (cm.get("data") or {}).items() if k.startswith("node.")}


def _update(client: ApiClient, change: Callable[[dict[str, Obj]], None]) -> dict[str, Obj]:
    """Read-modify-write the scenario ConfigMap, retrying on conflict."""
    for _ in range(10):
        cm = _configmap(client)
        nodes = {k[5:]: json.loads(v) for k, v in ((cm or {}).get("data") or {}).items() if k.startswith("node.")}
        change(nodes)
        data = {f"node.{name}": json.dumps(entry, sort_keys=True) for name, entry in sorted(nodes.items())}
        try:
            if cm is None:
                client.create(r.CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": SCENARIO_CONFIGMAP, "namespace": SCENARIO_NAMESPACE},
                                             "data": data}, SCENARIO_NAMESPACE)
            else:
                client.update(r.CONFIGMAPS, {**cm, "data": data})
            return nodes
        except StatusError as error:
            if error.code != 409:
                raise
    raise ScenarioError("the scenario ConfigMap kept changing; try again")


def _set_state(client: ApiClient, name: str, state: str, allowed_from: tuple[str, ...] | None = None) -> None:
    def change(nodes: dict[str, Obj]) -> None:
        if name not in nodes or nodes[name].get("state") == "removed":
            raise ScenarioError(f'node "{name}" is not a simulated node')
        if allowed_from is not None and nodes[name].get("state", "running") not in allowed_from:
            raise ScenarioError(f'node "{name}" is {nodes[name].get("state")}, not {" or ".join(allowed_from)}')
        nodes[name]["state"] = state

    _update(client, change)


def add_node(client: ApiClient, name: str = "", cpu: str = "4", memory: str = "8Gi", pods: int = 110,
             labels: dict[str, str] | None = None, taints: list[Obj] | None = None) -> str:
    chosen = [name]

    def change(nodes: dict[str, Obj]) -> None:
        index = max([int((e.get("spec") or {}).get("index", 0)) for e in nodes.values()], default=0) + 1
        if not chosen[0]:
            chosen[0] = f"node-{index}"
        if chosen[0] in nodes and nodes[chosen[0]].get("state") != "removed":
            raise ScenarioError(f'node "{chosen[0]}" already exists')
        nodes[chosen[0]] = {"state": "running", "spec": {"index": index, "cpu": cpu, "memory": memory, "pods": pods,
                                                         "labels": labels or {}, "taints": taints or []}}

    _update(client, change)
    return chosen[0]


def add_nodes(client: ApiClient, count: int, cpu: str = "4", memory: str = "8Gi", pods: int = 110) -> list[str]:
    """Add ``count`` machines ``node-<index>`` in one write of the scenario ConfigMap
    (``add_node`` once per machine rewrites the whole map each time: quadratic at 5,000)."""
    added: list[str] = []

    def change(nodes: dict[str, Obj]) -> None:
        added.clear()
        index = max([int((e.get("spec") or {}).get("index", 0)) for e in nodes.values()], default=0)
        while len(added) < count:
            index += 1
            name = f"node-{index}"
            if name in nodes and nodes[name].get("state") != "removed":
                continue
            nodes[name] = {"state": "running", "spec": {"index": index, "cpu": cpu, "memory": memory, "pods": pods,
                                                        "labels": {}, "taints": []}}
            added.append(name)

    if count > 0:
        _update(client, change)
    return added


def kill_node(client: ApiClient, name: str) -> None:
    """The machine dies: its kubelet stops, its containers stop."""
    _set_state(client, name, "dead")


def revive_node(client: ApiClient, name: str) -> None:
    _set_state(client, name, "running", ("dead",))


def partition_node(client: ApiClient, name: str) -> None:
    """The kubelet keeps running its pods but cannot reach the API server."""
    _set_state(client, name, "partitioned")


def heal_node(client: ApiClient, name: str) -> None:
    _set_state(client, name, "running", ("partitioned", "slow"))


def slow_node(client: ApiClient, name: str) -> None:
    """Heartbeats arrive late, but within the grace period: the node stays Ready."""
    _set_state(client, name, "slow")


def remove_node(client: ApiClient, name: str) -> None:
    """The machine leaves the cluster: kubelet stopped, Node and Lease deleted."""
    _set_state(client, name, "removed")
    for resource, namespace in ((r.NODES, ""), (r.LEASES, "kube-node-lease")):
        try:
            client.delete(resource, name, namespace)
        except StatusError as error:
            if not error.not_found:
                raise


def crash_pod(client: ApiClient, namespace: str, name: str) -> None:
    """The pod's first running container crashes once (exit code 1), as if the process died."""
    try:
        pod = client.get(r.PODS, name, namespace)
    except StatusError as error:
        raise ScenarioError(f'pod "{namespace}/{name}" not found') if error.not_found else error
    if not (pod.get("spec") or {}).get("nodeName"):
        raise ScenarioError(f'pod "{namespace}/{name}" is not running on a node yet')
    annotations = dict(pod["metadata"].get("annotations") or {})
    annotations[CRASH_NOW] = f"{time.time():.3f}-{uuid.uuid4().hex[:6]}"
    pod["metadata"]["annotations"] = annotations
    client.update(r.PODS, pod)


def cordon_node(client: ApiClient, name: str, unschedulable: bool = True) -> None:
    """Mark the node unschedulable (``kubectl cordon``): no new pods land there."""
    client.patch(r.NODES, name, {"spec": {"unschedulable": True if unschedulable else None}})


def uncordon_node(client: ApiClient, name: str) -> None:
    cordon_node(client, name, unschedulable=False)


def drain_node(client: ApiClient, name: str) -> list[str]:
    """``kubectl drain``: cordon, then evict every pod on the node through the eviction
    API (DaemonSet pods and pods already terminating stay). Returns the evicted pods."""
    cordon_node(client, name)
    pods = client.list(r.PODS, field_selector=f"spec.nodeName={name}").get("items") or []
    evicted = []
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp") or any(o.get("kind") == "DaemonSet" for o in meta.get("ownerReferences") or []):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        try:
            client.evict(meta.get("namespace", ""), meta["name"])
        except StatusError as error:
            if not error.not_found:
                raise
        evicted.append(f"{meta.get('namespace', '')}/{meta['name']}")
    return evicted


def delete_pod(client: ApiClient, namespace: str, name: str) -> None:
    try:
        client.delete(r.PODS, name, namespace)
    except StatusError as error:
        raise ScenarioError(f'pod "{namespace}/{name}" not found') if error.not_found else error


def _deployment(client: ApiClient, namespace: str, name: str) -> Obj:
    try:
        return client.get(r.DEPLOYMENTS, name, namespace)
    except StatusError as error:
        raise ScenarioError(f'deployment "{namespace}/{name}" not found') if error.not_found else error


def scale(client: ApiClient, namespace: str, name: str, replicas: str | int) -> int:
    """Set a Deployment's ``spec.replicas``: a number, or ``+N`` / ``-N`` relative to now.
    Returns the new replica count."""
    text = str(replicas).strip()
    try:
        delta = int(text)
    except ValueError:
        raise ScenarioError(f'replicas must be a number, +N or -N, not "{text}"') from None
    current = int((_deployment(client, namespace, name).get("spec") or {}).get("replicas", 1))
    target = max(0, current + delta if text.startswith(("+", "-")) else delta)
    client.patch(r.DEPLOYMENTS, name, {"spec": {"replicas": target}}, namespace)
    return target


def next_image(image: str) -> str:
    """The image a "roll out" button moves to: the tag's last number plus one
    (``nginx:1.27`` → ``nginx:1.28``, ``app:v3`` → ``app:v4``); no number in the tag → ``:1``."""
    repository, tag = image, ""
    if ":" in image.rsplit("/", 1)[-1]:
        repository, _, tag = image.rpartition(":")
    match = re.search(r"(\d+)$", tag)
    if match is None:
        return f"{repository}:1"
    return f"{repository}:{tag[:match.start()]}{int(match.group(1)) + 1}"


def rollout(client: ApiClient, namespace: str, name: str, image: str = "") -> str:
    """Roll out a new image (``kubectl set image``): every container of the Deployment's
    pod template gets ``image`` (or, when empty, its current image's next tag).
    Returns the new image; the deployment controller does the rolling update."""
    containers = ((_deployment(client, namespace, name).get("spec") or {}).get("template") or {}) \
        .get("spec", {}).get("containers") or []
    if not containers:
        raise ScenarioError(f'deployment "{namespace}/{name}" has no containers')
    new = image or next_image(str(containers[0].get("image") or "nginx"))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": c["name"], "image": new} for c in containers]}}}}
    client.patch(r.DEPLOYMENTS, name, patch, namespace, patch_type="strategic")
    return new


def delete_namespace(client: ApiClient, name: str) -> None:
    """Namespace → Terminating → its contents deleted → finalizer removed → gone."""
    try:
        client.delete(r.NAMESPACES, name)
    except StatusError as error:
        raise ScenarioError(f'namespace "{name}" not found') if error.not_found else error


# --- etcd: snapshot, restore, compaction (the API server's /kubeviz/etcd/ endpoint) ----------

ETCD_PATH = "/kubeviz/etcd/"


def etcd_snapshot(client: ApiClient) -> Obj:
    """``etcdctl snapshot save`` through the API server (cluster-admin only): a file under
    ``var/snapshots/``. Returns its name, path, revision, totalKey, totalSize and sha256."""
    return client.transport.request("POST", ETCD_PATH + "snapshot", None, {})


def etcd_restore(client: ApiClient, name: str = "") -> Obj:
    """Restore the snapshot ``name`` (default: the newest). The revision moves forward and is
    compacted, so every watch ends (410) and every informer relists the restored state.
    Returns the snapshot's description with ``restoredRevision``."""
    return client.transport.request("POST", ETCD_PATH + "restore", None, {"name": name} if name else {})


def etcd_compact(client: ApiClient, revision: int = 0) -> Obj:
    """``etcdctl compaction REVISION`` (0: the current revision): history below it is gone,
    and a watch or read from before it gets etcd's "required revision has been compacted"."""
    return client.transport.request("POST", ETCD_PATH + "compact", None, {"revision": int(revision)})
