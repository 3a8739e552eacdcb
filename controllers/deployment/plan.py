"""Deployment controller plan: ReplicaSets for the rollout, and the Deployment's status.

``plan(deployment, replicasets, pods, now=…)`` returns actions on ReplicaSets
(create, scale, delete old ones) and the Deployment status; no I/O.

* the **new** ReplicaSet is the one whose ``spec.template`` equals the
  Deployment's (ignoring the ``pod-template-hash`` label) — so a rollback is
  just putting an old template back: that old ReplicaSet becomes new again
  and gets the next revision;
* **RollingUpdate**: maxSurge (percent rounds up) / maxUnavailable (percent
  rounds down; both 0 → 1 unavailable) bound a pass that either scales the new
  ReplicaSet up or the old ones down, like the controller's rolloutRolling;
* **Recreate**: old ReplicaSets to 0, wait until their pods are gone, then the
  new one to full size;
* revisions (``deployment.kubernetes.io/revision``), revisionHistoryLimit
  clean-up, ``spec.paused``, progressDeadlineSeconds, and the conditions
  Progressing / Available with Kubernetes' reasons.
"""
from __future__ import annotations

import copy
import json
import math
from typing import Mapping, Sequence

from controllers.clock import from_rfc3339, to_rfc3339
from controllers.runtime.actions import Action, CreateObject, DeleteObject, RequeueAfter, UpdateObject, UpdateStatus
from controllers.runtime.objects import get_condition, is_controlled_by, is_pod_active, is_terminating, meta, owner_reference

REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"

# Progressing reasons
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
# Available reasons
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(template: Mapping, collision_count: int = 0) -> str:
    """A stable short hash of the pod template: FNV-1a 32 over its canonical JSON, in k8s' safe alphabet."""
    t = copy.deepcopy(dict(template))
    (t.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    data = json.dumps(t, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE_ALPHABET[int(d) % len(_SAFE_ALPHABET)] for d in str(h))


def _template_without_hash(template: Mapping) -> dict:
    t = copy.deepcopy(dict(template))
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return t


def resolve_fenceposts(d: Mapping) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts: surge rounds up, unavailable rounds down."""
    replicas = (d.get("spec") or {}).get("replicas", 1)
    ru = (((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate")) or {}

    def scaled(value, round_up: bool) -> int:
        if isinstance(value, str) and value.endswith("%"):
            exact = int(value[:-1]) * replicas / 100
            return math.ceil(exact) if round_up else math.floor(exact)
        return int(value)

    surge = scaled(ru.get("maxSurge", "25%"), True)
    unavailable = scaled(ru.get("maxUnavailable", "25%"), False)
    if surge == 0 and unavailable == 0:
        unavailable = 1  # otherwise the rollout could never make progress
    return surge, unavailable


def revision_of(rs: Mapping) -> int:
    try:
        return int((meta(rs).get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def _replicas(rs: Mapping) -> int:
    return (rs.get("spec") or {}).get("replicas", 0)


def _status(rs: Mapping, key: str) -> int:
    return (rs.get("status") or {}).get(key, 0)


def _created(rs: Mapping) -> tuple[float, str]:
    return (from_rfc3339(meta(rs).get("creationTimestamp")) or 0.0, meta(rs).get("name", ""))


def _scale(rs: Mapping, replicas: int, d: Mapping, max_surge: int, why: str) -> UpdateObject:
    body = copy.deepcopy(dict(rs))
    body["spec"]["replicas"] = replicas
    ann = body["metadata"].setdefault("annotations", {})
    ann[DESIRED_REPLICAS] = str((d.get("spec") or {}).get("replicas", 1))
    ann[MAX_REPLICAS] = str((d.get("spec") or {}).get("replicas", 1) + max_surge)
    return UpdateObject("ReplicaSet", meta(rs).get("namespace", "default"), meta(rs)["name"], body, why=why)


# The Deployment's annotations a new ReplicaSet does not inherit (the controller's own,
# and kubectl's record of the last apply).
_NOT_COPIED = {"kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision-history"}


def _copied_annotations(d: Mapping) -> dict[str, str]:
    """As the deployment controller does: a new ReplicaSet carries its Deployment's
    annotations — ``kubernetes.io/change-cause`` is what ``kubectl rollout history`` shows."""
    own = {REVISION, DESIRED_REPLICAS, MAX_REPLICAS}
    return {k: v for k, v in (meta(d).get("annotations") or {}).items() if k not in _NOT_COPIED | own}


def _new_replicaset(d: Mapping, replicas: int, revision: int, max_surge: int, collision_count: int) -> dict:
    spec = d.get("spec") or {}
    template = _template_without_hash(spec.get("template") or {})
    h = pod_template_hash(template, collision_count)
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = h
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta(d)['name']}-{h}",
            "namespace": meta(d).get("namespace", "default"),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                **_copied_annotations(d),
                REVISION: str(revision),
                DESIRED_REPLICAS: str(spec.get("replicas", 1)),
                MAX_REPLICAS: str(spec.get("replicas", 1) + max_surge),
            },
            "ownerReferences": [owner_reference(d, "apps/v1", "Deployment")],
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": spec.get("minReadySeconds", 0),
            "selector": selector,
            "template": template,
        },
    }


def plan(
    deployment: Mapping,
    replicasets: Sequence[Mapping],
    pods: Sequence[Mapping] = (),
    *,
    now: float,
) -> list[Action]:
    d = deployment
    spec = d.get("spec") or {}
    ns = meta(d).get("namespace", "default")
    replicas = spec.get("replicas", 1)
    strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
    max_surge, max_unavailable = resolve_fenceposts(d) if strategy == "RollingUpdate" else (0, 0)
    owned = [rs for rs in replicasets if is_controlled_by(rs, d) and not is_terminating(rs)]
    wanted = _template_without_hash(spec.get("template") or {})
    new_rs = next(
        (rs for rs in sorted(owned, key=_created) if _template_without_hash((rs.get("spec") or {}).get("template") or {}) == wanted),
        None,
    )
    olds = sorted((rs for rs in owned if rs is not new_rs), key=_created)
    actions: list[Action] = []
    progressing: tuple[str, str] | None = None  # (reason, message) when this pass made progress

    if is_terminating(d):
        return _status_actions(d, new_rs, owned, max_unavailable, now, None)

    # -- revision bookkeeping: the new ReplicaSet carries max(old)+1 ---------------------
    max_old_revision = max((revision_of(rs) for rs in olds), default=0)
    created_rs: dict | None = None
    if new_rs is None:
        if spec.get("paused"):
            return _status_actions(d, None, owned, max_unavailable, now, None)
        if strategy == "Recreate":
            first = 0 if any(_replicas(rs) > 0 for rs in olds) or _old_pods_running(olds, pods) else replicas
        else:
            first = _new_rs_replicas(replicas, max_surge, owned, None)
        created_rs = _new_replicaset(d, first, max_old_revision + 1, max_surge, (d.get("status") or {}).get("collisionCount", 0))
        actions.append(CreateObject("ReplicaSet", ns, created_rs))
        rs_name = created_rs["metadata"]["name"]
        return actions + _status_actions(d, created_rs, owned + [created_rs], max_unavailable, now,
                                         (NEW_RS_CREATED, f'Created new replica set "{rs_name}"'))
    if revision_of(new_rs) <= max_old_revision:  # rollback: an old template came back
        body = copy.deepcopy(dict(new_rs))
        body["metadata"].setdefault("annotations", {})[REVISION] = str(max_old_revision + 1)
        actions.append(UpdateObject("ReplicaSet", ns, meta(new_rs)["name"], body, why="new revision"))
        new_rs = body
    new_name = meta(new_rs)["name"]

    if spec.get("paused"):
        # A paused Deployment still follows spec.replicas, without rolling anything.
        if _replicas(new_rs) != replicas and not any(_replicas(rs) for rs in olds):
            actions.append(_scale(new_rs, replicas, d, max_surge, "scale (paused)"))
        return actions + _status_actions(d, new_rs, owned, max_unavailable, now, None)

    if strategy == "Recreate":
        active_olds = [rs for rs in olds if _replicas(rs) > 0]
        if active_olds:
            for rs in active_olds:
                actions.append(_scale(rs, 0, d, 0, "recreate: stop old pods"))
            progressing = (RS_UPDATED, f'ReplicaSet "{new_name}" is progressing.')
        elif not _old_pods_running(olds, pods) and _replicas(new_rs) != replicas:
            actions.append(_scale(new_rs, replicas, d, 0, "recreate: start new pods"))
            progressing = (RS_UPDATED, f'ReplicaSet "{new_name}" is progressing.')
    else:
        # reconcileNewReplicaSet: scale the new one up (or down if it overshoots)...
        target = _new_rs_replicas(replicas, max_surge, owned, new_rs)
        if target != _replicas(new_rs):
            actions.append(_scale(new_rs, target, d, max_surge, f"scale new to {target}"))
            progressing = (RS_UPDATED, f'ReplicaSet "{new_name}" is progressing.')
        else:
            # ...otherwise reconcileOldReplicaSets: scale old ones down within maxUnavailable.
            for rs, to in _scale_down_olds(replicas, max_unavailable, owned, new_rs, olds):
                actions.append(_scale(rs, to, d, max_surge, f"scale old to {to}"))
            if any(isinstance(a, UpdateObject) and a.name != new_name for a in actions):
                progressing = (RS_UPDATED, f'ReplicaSet "{new_name}" is progressing.')

    complete = _complete(d, new_rs, owned)
    if complete and not actions:
        actions += _cleanup(d, olds)
    return actions + _status_actions(d, new_rs, owned, max_unavailable, now, progressing)


def _old_pods_running(olds: Sequence[Mapping], pods: Sequence[Mapping]) -> bool:
    return any(is_pod_active(p) and any(is_controlled_by(p, rs) for rs in olds) for p in pods)


def _new_rs_replicas(replicas: int, max_surge: int, owned: Sequence[Mapping], new_rs: Mapping | None) -> int:
    """NewRSNewReplicas: grow the new ReplicaSet without exceeding replicas + maxSurge pods in total."""
    current_new = _replicas(new_rs) if new_rs is not None else 0
    if current_new >= replicas:
        return replicas
    total = sum(_replicas(rs) for rs in owned)
    room = replicas + max_surge - total
    if room <= 0:
        return current_new
    return current_new + min(room, replicas - current_new)


def _scale_down_olds(replicas, max_unavailable, owned, new_rs, olds) -> list[tuple[Mapping, int]]:
    """How far old ReplicaSets may shrink while at least replicas − maxUnavailable stay available."""
    if not any(_replicas(rs) for rs in olds):
        return []
    all_pods = sum(_replicas(rs) for rs in owned)
    min_available = replicas - max_unavailable
    new_unavailable = _replicas(new_rs) - _status(new_rs, "availableReplicas")
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return []
    result: dict[int, tuple[Mapping, int]] = {}  # id(rs) → (rs, new size): ReplicaSets are unhashable dicts
    # First the old pods that are not available anyway (cleanupUnhealthyReplicas)...
    for rs in olds:
        if max_scaled_down <= 0:
            break
        unhealthy = _replicas(rs) - _status(rs, "availableReplicas")
        cut = min(max_scaled_down, max(0, unhealthy))
        if cut > 0:
            result[id(rs)] = (rs, _replicas(rs) - cut)
            max_scaled_down -= cut
    # ...then available ones, oldest ReplicaSet first, keeping min_available.
    available = sum(_status(rs, "availableReplicas") for rs in owned)
    budget = min(max_scaled_down, available - min_available)
    for rs in olds:
        if budget <= 0:
            break
        current = result.get(id(rs), (rs, _replicas(rs)))[1]
        cut = min(current, budget)
        if cut > 0:
            result[id(rs)] = (rs, current - cut)
            budget -= cut
    return list(result.values())


def _complete(d: Mapping, new_rs: Mapping | None, owned: Sequence[Mapping]) -> bool:
    replicas = (d.get("spec") or {}).get("replicas", 1)
    return (
        new_rs is not None
        and _status(new_rs, "replicas") == replicas
        and _status(new_rs, "availableReplicas") == replicas
        and sum(_status(rs, "replicas") for rs in owned) == replicas
    )


def _cleanup(d: Mapping, olds: Sequence[Mapping]) -> list[Action]:
    """Keep at most revisionHistoryLimit (default 10) scaled-down old ReplicaSets, oldest go first."""
    limit = (d.get("spec") or {}).get("revisionHistoryLimit", 10)
    idle = [rs for rs in olds if _replicas(rs) == 0 and _status(rs, "replicas") == 0]
    idle.sort(key=lambda rs: (revision_of(rs), _created(rs)))
    surplus = len(idle) - limit
    return [
        DeleteObject("ReplicaSet", meta(rs).get("namespace", "default"), meta(rs)["name"], meta(rs).get("uid"),
                     reason="revisionHistoryLimit")
        for rs in idle[: max(0, surplus)]
    ]


def _status_actions(d, new_rs, owned, max_unavailable, now, progressing) -> list[Action]:
    spec = d.get("spec") or {}
    replicas = spec.get("replicas", 1)
    current = d.get("status") or {}
    stamp = to_rfc3339(now)
    available = sum(_status(rs, "availableReplicas") for rs in owned)
    status: dict = {
        "observedGeneration": meta(d).get("generation", 1),
        "replicas": sum(_status(rs, "replicas") for rs in owned),
        "updatedReplicas": _status(new_rs, "replicas") if new_rs is not None else 0,
        "readyReplicas": sum(_status(rs, "readyReplicas") for rs in owned),
        "availableReplicas": available,
        "unavailableReplicas": max(0, replicas - available),
    }
    if current.get("collisionCount"):
        status["collisionCount"] = current["collisionCount"]
    conditions = [dict(c) for c in current.get("conditions") or ()]

    def put(type_, cstatus, reason, message, refresh=False):
        """Set a condition; ``refresh`` bumps lastUpdateTime even if unchanged (progress was made)."""
        old = next((c for c in conditions if c["type"] == type_), None)
        same = old is not None and (old.get("status"), old.get("reason"), old.get("message")) == (cstatus, reason, message)
        if same and (not refresh or old.get("lastUpdateTime") == stamp):
            return
        new = {"type": type_, "status": cstatus, "reason": reason, "message": message, "lastUpdateTime": stamp,
               "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == cstatus else stamp}
        conditions[:] = [c for c in conditions if c["type"] != type_] + [new]

    if available >= replicas - max_unavailable:
        put("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.")
    else:
        put("Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.")

    new_name = meta(new_rs)["name"] if new_rs is not None else ""
    prog = get_condition({"status": {"conditions": conditions}}, "Progressing")
    requeue = None
    deadline = spec.get("progressDeadlineSeconds", 600)
    if spec.get("paused"):
        put("Progressing", "Unknown", PAUSED, "Deployment is paused")
    elif prog is not None and prog.get("reason") == PAUSED:
        put("Progressing", "Unknown", RESUMED, "Deployment is resumed")
    elif _complete(d, new_rs, owned):
        put("Progressing", "True", NEW_RS_AVAILABLE, f'ReplicaSet "{new_name}" has successfully progressed.')
    elif progressing is not None:
        put("Progressing", "True", progressing[0], progressing[1], refresh=True)
    elif prog is None and new_rs is not None:
        put("Progressing", "True", FOUND_NEW_RS, f'Found new replica set "{new_name}"')
    elif prog is not None and prog.get("reason") != TIMED_OUT and deadline is not None:
        last = from_rfc3339(prog.get("lastUpdateTime")) or now
        if last + deadline <= now:
            put("Progressing", "False", TIMED_OUT, f'ReplicaSet "{new_name}" has timed out progressing.')
        else:
            requeue = last + deadline - now
    status["conditions"] = conditions

    actions: list[Action] = []
    if status != {k: current.get(k) for k in status} or len(conditions) != len(current.get("conditions") or ()):
        actions.append(UpdateStatus("Deployment", meta(d).get("namespace", "default"), meta(d)["name"], status))
    if (meta(d).get("annotations") or {}).get(REVISION) != (str(revision_of(new_rs)) if new_rs is not None else None) and new_rs is not None:
        body = copy.deepcopy(dict(d))
        body.pop("status", None)
        body["metadata"].setdefault("annotations", {})[REVISION] = str(revision_of(new_rs))
        actions.append(UpdateObject("Deployment", meta(d).get("namespace", "default"), meta(d)["name"], body, why="revision"))
    if requeue is not None:
        actions.append(RequeueAfter(requeue, why="progressDeadlineSeconds"))
    return actions
