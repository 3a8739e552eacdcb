"""Endpoints controller plan: a Service's selector → the Endpoints object listing its pods.

``plan(service, pods, endpoints)``: pods in the Service's namespace matching
its selector, with an IP, not terminating and not finished, become addresses
(``ip``, ``nodeName``, ``targetRef``) — in ``addresses`` when Ready (or when the
Service publishes not-ready addresses), else in ``notReadyAddresses``. Ports
come from the Service, named ``targetPort``s resolved per pod, and pods with
the same resolved ports share a subset (addresses sorted by IP, like the
controller's repacking). Written only when different; a Service without a
selector is left alone; a deleted Service (``service=None``) deletes its Endpoints.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from controllers.runtime.actions import Action, CreateObject, DeleteObject, UpdateObject
from controllers.runtime.objects import is_pod_ready, is_terminating, labels_of, meta, pod_phase
from controllers.runtime.selectors import map_selector


def _resolve_port(pod: Mapping, target) -> int | None:
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target:
                return p.get("containerPort")
    return None


def desired_subsets(service: Mapping, pods: Sequence[Mapping]) -> list[dict]:
    spec = service.get("spec") or {}
    selector = map_selector(spec.get("selector"))
    ns = meta(service).get("namespace", "default")
    publish = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple, dict] = {}
    for pod in pods:
        pm = meta(pod)
        if pm.get("namespace", "default") != ns or not selector(labels_of(pod)):
            continue
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or is_terminating(pod) or pod_phase(pod) in ("Succeeded", "Failed"):
            continue
        ports = []
        for sp in spec.get("ports") or ():
            port = _resolve_port(pod, sp.get("targetPort", sp.get("port")))
            if port is None:
                continue
            entry = {"port": port, "protocol": sp.get("protocol", "TCP")}
            if sp.get("name"):
                entry["name"] = sp["name"]
            ports.append(entry)
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        address = {"ip": ip, "targetRef": {"kind": "Pod", "namespace": ns, "name": pm["name"], "uid": pm.get("uid")}}
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            address["nodeName"] = node
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": sorted(ports, key=lambda p: (p.get("name", ""), p["port"]))})
        group["addresses" if publish or is_pod_ready(pod) else "notReadyAddresses"].append(address)
    subsets = []
    for key in sorted(groups):
        g = groups[key]
        subset: dict = {}
        for field in ("addresses", "notReadyAddresses"):
            if g[field]:
                subset[field] = sorted(g[field], key=lambda a: (a["ip"], a["targetRef"]["name"]))
        if g["ports"]:
            subset["ports"] = g["ports"]
        subsets.append(subset)
    return subsets


def plan(service: Mapping | None, pods: Sequence[Mapping], endpoints: Mapping | None, *, name: str = "", namespace: str = "default") -> list[Action]:
    if service is None or is_terminating(service):
        if endpoints is not None:
            return [DeleteObject("Endpoints", meta(endpoints).get("namespace", namespace), meta(endpoints)["name"], reason="service deleted")]
        return []
    spec = service.get("spec") or {}
    if not spec.get("selector"):
        return []  # endpoints of a selector-less Service are managed by hand
    ns = meta(service).get("namespace", "default")
    svc_name = meta(service)["name"]
    labels = dict(labels_of(service))
    if spec.get("clusterIP") == "None":
        labels["service.kubernetes.io/headless"] = ""
    subsets = desired_subsets(service, pods)
    if endpoints is None:
        body = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": svc_name, "namespace": ns, "labels": labels}, "subsets": subsets}
        return [CreateObject("Endpoints", ns, body)]
    if (endpoints.get("subsets") or []) == subsets and (labels_of(endpoints) == labels):
        return []
    body = {**endpoints, "metadata": {**meta(endpoints), "labels": labels}, "subsets": subsets}
    return [UpdateObject("Endpoints", ns, svc_name, body, why="pods changed")]
