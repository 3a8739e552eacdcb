"""Small helpers on Kubernetes-JSON objects shared by the plans."""
from __future__ import annotations

from typing import Any, Mapping


def meta(obj: Mapping) -> Mapping:
    return obj.get("metadata") or {}


def labels_of(obj: Mapping) -> dict[str, str]:
    return meta(obj).get("labels") or {}


def controller_ref(obj: Mapping) -> Mapping | None:
    for ref in meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: Mapping, owner: Mapping) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == meta(owner).get("uid")


def owner_reference(owner: Mapping, api_version: str, kind: str) -> dict[str, Any]:
    m = meta(owner)
    return {"apiVersion": api_version, "kind": kind, "name": m.get("name"), "uid": m.get("uid"),
            "controller": True, "blockOwnerDeletion": True}


def is_terminating(obj: Mapping) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def pod_phase(pod: Mapping) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def is_pod_active(pod: Mapping) -> bool:
    """Counts towards replicas: not finished and not being deleted."""
    return pod_phase(pod) not in ("Succeeded", "Failed") and not is_terminating(pod)


def get_condition(obj: Mapping, type_: str) -> Mapping | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c
    return None


def is_pod_ready(pod: Mapping) -> bool:
    c = get_condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def pod_ready_since(pod: Mapping) -> str | None:
    c = get_condition(pod, "Ready")
    return c.get("lastTransitionTime") if c is not None and c.get("status") == "True" else None


def restart_count(pod: Mapping) -> int:
    return max((cs.get("restartCount", 0) for cs in (pod.get("status") or {}).get("containerStatuses") or ()), default=0)


def set_condition(conditions: list[dict], new: dict, now: str) -> list[dict]:
    """Replace the condition of that type; keep lastTransitionTime if status did not change."""
    out = []
    found = False
    for c in conditions:
        if c.get("type") == new["type"]:
            found = True
            merged = dict(new)
            if c.get("status") == new.get("status"):
                merged["lastTransitionTime"] = c.get("lastTransitionTime", now)
            else:
                merged["lastTransitionTime"] = now
            out.append(merged)
        else:
            out.append(c)
    if not found:
        out.append({**new, "lastTransitionTime": now})
    return out
