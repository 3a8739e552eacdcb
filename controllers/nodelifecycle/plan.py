"""Node lifecycle plan: notice a silent kubelet, taint the node, evict pods whose toleration ran out.

``plan(node, lease_renew_time, pods, now=…, profile=…)``:

* no Lease renewal (and no status heartbeat) for ``node_monitor_grace_period``
  → the node's conditions become Unknown, "Kubelet stopped posting node
  status.", and its pods are marked not Ready (so Services stop sending traffic);
* Ready Unknown → ``node.kubernetes.io/unreachable`` taints, Ready False →
  ``node.kubernetes.io/not-ready``, NoSchedule and NoExecute, with
  ``timeAdded``; Ready True again → the taints go;
* each pod on the node with a NoExecute taint it does not tolerate is deleted;
  one it tolerates for ``tolerationSeconds`` (300 s by default, added by the
  DefaultTolerationSeconds admission plugin: ``default_tolerations``) is deleted
  once ``timeAdded + tolerationSeconds`` has passed; before that, a RequeueAfter.
"""
from __future__ import annotations

import copy
from typing import Mapping, Sequence

from controllers.clock import Profile, from_rfc3339, to_rfc3339
from controllers.runtime.actions import Action, AddTaint, RemoveTaint, RequeueAfter, UpdateStatus, delete_pod
from controllers.runtime.objects import get_condition, is_terminating, meta
from controllers.scheduler.framework import Taint, Toleration, tolerations_of

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
STOPPED_POSTING = "Kubelet stopped posting node status."
NODE_STATUS_UNKNOWN = "NodeStatusUnknown"
MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def default_tolerations(profile: Profile) -> list[dict]:
    """What DefaultTolerationSeconds admission adds to a pod that does not say otherwise."""
    return [
        {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": profile.not_ready_toleration_seconds},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": profile.unreachable_toleration_seconds},
    ]


def _desired_taint_key(ready_status: str | None) -> str | None:
    if ready_status == "True":
        return None
    if ready_status == "False":
        return NOT_READY
    return UNREACHABLE  # Unknown, or never reported


def plan(
    node: Mapping,
    lease_renew_time: float | None,
    pods: Sequence[Mapping],
    *,
    now: float,
    profile: Profile,
) -> list[Action]:
    name = meta(node)["name"]
    actions: list[Action] = []
    status = copy.deepcopy(dict(node.get("status") or {}))
    conditions = status.get("conditions") or []
    ready = get_condition(node, "Ready")
    heartbeat = from_rfc3339(ready.get("lastHeartbeatTime")) if ready else None
    last_seen = max([t for t in (lease_renew_time, heartbeat) if t is not None], default=None)
    if last_seen is None:  # a brand-new node gets the grace period from its creation
        last_seen = from_rfc3339(meta(node).get("creationTimestamp")) or now
    stamp = to_rfc3339(now)

    # -- 1. a silent kubelet: conditions to Unknown -----------------------------------
    ready_status = ready.get("status") if ready else None
    silent_for = now - last_seen
    if silent_for >= profile.node_monitor_grace_period:
        changed = False
        new_conditions = []
        for c in conditions:
            if c.get("type") in MONITORED_CONDITIONS and c.get("status") != "Unknown":
                c = {**c, "status": "Unknown", "reason": NODE_STATUS_UNKNOWN, "message": STOPPED_POSTING,
                     "lastTransitionTime": stamp}
                changed = True
            new_conditions.append(c)
        if ready is None:
            new_conditions.append({"type": "Ready", "status": "Unknown", "reason": NODE_STATUS_UNKNOWN,
                                   "message": STOPPED_POSTING, "lastTransitionTime": stamp})
            changed = True
        if changed:
            status["conditions"] = new_conditions
            actions.append(UpdateStatus("Node", "", name, status))
        ready_status = "Unknown"
        # The node's pods are no longer Ready (MarkPodsNotReady).
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") != name or is_terminating(pod):
                continue
            pod_ready = get_condition(pod, "Ready")
            if pod_ready is not None and pod_ready.get("status") == "True":
                pstatus = copy.deepcopy(pod["status"])
                pstatus["conditions"] = [
                    {**c, "status": "False", "lastTransitionTime": stamp} if c.get("type") == "Ready" else c
                    for c in pstatus.get("conditions", [])
                ]
                actions.append(UpdateStatus("Pod", meta(pod).get("namespace", "default"), meta(pod)["name"], pstatus))
    elif ready_status is not None:
        actions.append(RequeueAfter(profile.node_monitor_grace_period - silent_for, why="lease grace period"))

    # -- 2. taints follow the Ready condition ------------------------------------------
    taints = [Taint.from_dict(t) for t in (node.get("spec") or {}).get("taints") or ()]
    times = {(t.get("key"), t.get("effect")): t.get("timeAdded") for t in (node.get("spec") or {}).get("taints") or ()}
    wanted = _desired_taint_key(ready_status)
    current_keys = {(t.key, t.effect) for t in taints}
    # (key, effect) → (taint, when it was added), as the node will be after this plan
    effective: dict[tuple[str, str], tuple[Taint, float]] = {
        (t.key, t.effect): (t, from_rfc3339(times.get((t.key, t.effect))) or now) for t in taints
    }
    for key in (UNREACHABLE, NOT_READY):
        for effect in ("NoSchedule", "NoExecute"):
            present = (key, effect) in current_keys
            if key == wanted and not present:
                actions.append(AddTaint(name, {"key": key, "effect": effect, "timeAdded": stamp}))
                effective[(key, effect)] = (Taint(key, "", effect), now)
            elif key != wanted and present:
                actions.append(RemoveTaint(name, key, effect))
                effective.pop((key, effect), None)

    # -- 3. NoExecute: evict pods whose toleration has run out -------------------------
    no_execute = [(t, added) for t, added in effective.values() if t.effect == "NoExecute"]
    waits: list[float] = []
    for pod in pods:
        if (pod.get("spec") or {}).get("nodeName") != name or is_terminating(pod):
            continue
        evict_at = _eviction_time(tolerations_of(pod), no_execute)
        if evict_at is None:
            continue
        if evict_at <= now:
            actions.append(delete_pod(pod, reason="TaintManagerEviction"))
        else:
            waits.append(evict_at - now)
    if waits:
        actions.append(RequeueAfter(min(waits), why="tolerationSeconds"))
    return actions


def _eviction_time(tolerations: tuple[Toleration, ...], taints: list[tuple[Taint, float]]) -> float | None:
    """When the pod must go: the earliest expiry over the NoExecute taints; None = it may stay."""
    earliest: float | None = None
    for taint, added in taints:
        matching = [t for t in tolerations if t.tolerates(taint)]
        if not matching:
            return added  # not tolerated at all: evict now
        if any(t.toleration_seconds is None for t in matching):
            continue  # tolerated forever
        seconds = min(max(0, t.toleration_seconds) for t in matching)
        at = added + seconds
        earliest = at if earliest is None else min(earliest, at)
    return earliest
