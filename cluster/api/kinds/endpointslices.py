"""discovery.k8s.io/v1 EndpointSlices, read-only, derived from the Endpoints the
endpoints controller keeps: one slice per Endpoints subset, named and labelled as
kube-controller-manager's EndpointSlice controller names them. Nothing is stored:
``get`` and ``list`` convert on the fly (kubectl describe service reads the
service's endpoints from its slices). No watch, no writes: KubeViz has no
EndpointSlice controller yet."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from ..registry import ResourceType
from ..strategy import Strategy

Obj = dict[str, Any]
GROUP = "discovery.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String alphabet


class EndpointSliceStrategy(Strategy):
    derived_from_endpoints = True


def _suffix(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])


def from_endpoints(endpoints: Obj) -> list[Obj]:
    """The slices of one Endpoints object (one per subset; none for an empty one)."""
    metadata = endpoints.get("metadata") or {}
    service, namespace = str(metadata.get("name", "")), str(metadata.get("namespace", ""))
    uid = str(metadata.get("uid", ""))
    slices = []
    for index, subset in enumerate(endpoints.get("subsets") or []):
        if not isinstance(subset, dict):
            continue
        members = [(a, True) for a in subset.get("addresses") or []] + \
                  [(a, False) for a in subset.get("notReadyAddresses") or []]
        name = f"{service}-{_suffix(f'{uid}/{index}')}"
        slice_metadata: Obj = {
            "name": name, "generateName": f"{service}-", "namespace": namespace,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"endpointslice/{uid}/{index}")),
            "resourceVersion": metadata.get("resourceVersion", ""),
            "creationTimestamp": metadata.get("creationTimestamp"), "generation": 1,
            "labels": {**(metadata.get("labels") or {}), SERVICE_NAME_LABEL: service,
                       MANAGED_BY_LABEL: "endpointslice-controller.k8s.io"},
        }
        slices.append({
            "apiVersion": f"{GROUP}/v1", "kind": "EndpointSlice", "metadata": slice_metadata,
            "addressType": "IPv4",
            "endpoints": [_endpoint(address, ready) for address, ready in members if isinstance(address, dict)],
            "ports": [{"name": p.get("name", ""), "port": p.get("port"), "protocol": p.get("protocol", "TCP")}
                      for p in subset.get("ports") or [] if isinstance(p, dict)],
        })
    return slices


def _endpoint(address: Obj, ready: bool) -> Obj:
    endpoint: Obj = {"addresses": [address.get("ip", "")],
                     "conditions": {"ready": ready, "serving": ready, "terminating": False}}
    if address.get("nodeName"):
        endpoint["nodeName"] = address["nodeName"]
    if address.get("targetRef"):
        endpoint["targetRef"] = address["targetRef"]
    return endpoint


def types() -> list[ResourceType]:
    return [ResourceType(GROUP, "v1", "EndpointSlice", "endpointslices", "endpointslice", True,
                         EndpointSliceStrategy(), verbs=("get", "list"))]
