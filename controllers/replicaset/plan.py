"""ReplicaSet controller plan: the pods to create or delete, and the status to write.

``plan(rs, pods, now=…)`` takes the ReplicaSet and the pods of its namespace
(from the informer cache) and returns actions; it never calls the API.

* **claim** — pods controlled by this ReplicaSet count; orphans matching the
  selector are adopted; owned pods that no longer match are released;
* **diff** — only active pods count (not Succeeded/Failed, not terminating);
  too few → create from the template (at most ``burst`` per pass, 500 like
  the controller's burstReplicas); too many → delete the least valuable ones
  in Kubernetes' order (see ``deletion_rank``);
* **status** — replicas, fullyLabeledReplicas, readyReplicas,
  availableReplicas (ready for ``minReadySeconds``), observedGeneration;
  written only when it changed, so a converged ReplicaSet plans nothing.
"""
from __future__ import annotations

import copy
from collections import Counter
from typing import Mapping, Sequence

from controllers.clock import from_rfc3339
from controllers.runtime.actions import Action, RequeueAfter, UpdateObject, UpdateStatus, create_pod, delete_pod
from controllers.runtime.objects import (
    controller_ref,
    is_controlled_by,
    is_pod_active,
    is_pod_ready,
    is_terminating,
    labels_of,
    meta,
    owner_reference,
    pod_phase,
    pod_ready_since,
    restart_count,
)
from controllers.runtime.selectors import compile_selector

BURST_REPLICAS = 500
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def pod_from_template(owner: Mapping, template: Mapping, api_version: str, kind: str) -> dict:
    """A pod body from a workload's pod template, controlled by ``owner`` (the API server names it)."""
    tmeta = template.get("metadata") or {}
    body: dict = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{meta(owner)['name']}-",
            "namespace": meta(owner).get("namespace", "default"),
            "labels": dict(tmeta.get("labels") or {}),
            "ownerReferences": [owner_reference(owner, api_version, kind)],
        },
        "spec": copy.deepcopy(template.get("spec") or {}),
    }
    if tmeta.get("annotations"):
        body["metadata"]["annotations"] = dict(tmeta["annotations"])
    return body


def claim_pods(owner: Mapping, pods: Sequence[Mapping], selector, api_version: str, kind: str) -> tuple[list[Mapping], list[Action]]:
    """The pods this owner controls after adoption/release, and the updates that adopt/release."""
    owned: list[Mapping] = []
    actions: list[Action] = []
    ns = meta(owner).get("namespace", "default")
    for pod in pods:
        if meta(pod).get("namespace", "default") != ns:
            continue
        ref = controller_ref(pod)
        matches = selector(labels_of(pod))
        if ref is not None:
            if not is_controlled_by(pod, owner):
                continue
            if matches:
                owned.append(pod)
            elif not is_terminating(pod):
                released = copy.deepcopy(dict(pod))
                released["metadata"]["ownerReferences"] = [
                    r for r in meta(pod).get("ownerReferences", []) if r.get("uid") != meta(owner).get("uid")
                ]
                actions.append(UpdateObject("Pod", ns, meta(pod)["name"], released, why="release: labels no longer match"))
        elif matches and not is_terminating(pod) and not is_terminating(owner):
            adopted = copy.deepcopy(dict(pod))
            adopted["metadata"].setdefault("ownerReferences", []).append(owner_reference(owner, api_version, kind))
            actions.append(UpdateObject("Pod", ns, meta(pod)["name"], adopted, why="adopt orphan"))
            owned.append(adopted)
    return owned, actions


def deletion_rank(pods: Sequence[Mapping]):
    """Sort key: pods that sort first are deleted first (the controller's ActivePodsWithRanks).

    unassigned < assigned; Pending < Unknown < Running; not ready < ready;
    lower pod-deletion-cost; more siblings on the same node; ready for less
    time; more restarts; newer.
    """
    per_node = Counter((p.get("spec") or {}).get("nodeName") for p in pods)

    def key(pod: Mapping):
        node = (pod.get("spec") or {}).get("nodeName") or ""
        ready = is_pod_ready(pod)
        try:
            cost = int((meta(pod).get("annotations") or {}).get(DELETION_COST, 0))
        except ValueError:
            cost = 0
        ready_since = from_rfc3339(pod_ready_since(pod)) or 0.0 if ready else 0.0
        return (
            1 if node else 0,
            _PHASE_RANK.get(pod_phase(pod), 0),
            1 if ready else 0,
            cost,
            -per_node[node] if node else 0,
            -ready_since,
            -restart_count(pod),
            -(from_rfc3339(meta(pod).get("creationTimestamp")) or 0.0),
            meta(pod).get("name", ""),
        )

    return key


def is_available(pod: Mapping, min_ready_seconds: float, now: float) -> bool:
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = from_rfc3339(pod_ready_since(pod))
    return since is not None and since + min_ready_seconds <= now


def plan(
    rs: Mapping,
    pods: Sequence[Mapping],
    *,
    now: float,
    expectations_satisfied: bool = True,
    burst: int = BURST_REPLICAS,
) -> list[Action]:
    """Actions that move the ReplicaSet's pods towards ``spec.replicas`` and record its status.

    ``expectations_satisfied=False`` (creates/deletes from the last pass not yet
    seen in the cache) skips create/delete, like the controller's expectations.
    """
    spec = rs.get("spec") or {}
    ns = meta(rs).get("namespace", "default")
    name = meta(rs)["name"]
    selector = compile_selector(spec.get("selector"), empty_matches=False)
    owned, actions = claim_pods(rs, pods, selector, "apps/v1", "ReplicaSet")
    active = [p for p in owned if is_pod_active(p)]
    replicas = spec.get("replicas", 1)

    if expectations_satisfied and not is_terminating(rs):
        diff = len(active) - replicas
        if diff < 0:
            template = spec.get("template") or {}
            for _ in range(min(-diff, burst)):
                actions.append(create_pod(ns, pod_from_template(rs, template, "apps/v1", "ReplicaSet")))
        elif diff > 0:
            for pod in sorted(active, key=deletion_rank(active))[: min(diff, burst)]:
                actions.append(delete_pod(pod, reason=f"scale down {name} to {replicas}"))

    min_ready = spec.get("minReadySeconds", 0) or 0
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    current = rs.get("status") or {}
    ready = [p for p in active if is_pod_ready(p)]  # once: this runs on every pod change
    status = {
        "replicas": len(active),
        "fullyLabeledReplicas": sum(
            1 for p in active if all(labels_of(p).get(k) == v for k, v in template_labels.items())
        ),
        "readyReplicas": len(ready),
        "availableReplicas": len(ready) if min_ready <= 0 else sum(1 for p in ready if is_available(p, min_ready, now)),
        "observedGeneration": meta(rs).get("generation", 1),
    }
    if current.get("conditions"):
        status["conditions"] = current["conditions"]
    if any(current.get(k, 0) != v for k, v in status.items() if k != "conditions"):
        actions.append(UpdateStatus("ReplicaSet", ns, name, status))

    if min_ready > 0:  # come back when the next ready pod becomes available
        waits = [
            from_rfc3339(pod_ready_since(p)) + min_ready - now
            for p in ready
            if not is_available(p, min_ready, now) and pod_ready_since(p)
        ]
        if waits:
            actions.append(RequeueAfter(max(0.0, min(waits)), why="minReadySeconds"))
    return actions
