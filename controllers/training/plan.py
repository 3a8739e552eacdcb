"""TrainingJob plan: gang-scheduled workers, epochs on the clock, checkpoints, resume after a loss.

``plan(tj, pods, now=…)``, no I/O. Training advances only while *every*
worker is Ready (gang semantics). Losing one (its node died, it crashed)
pauses training: phase Restarting, ``restarts`` + 1, and the epoch goes back
to the last checkpoint; the missing worker is recreated, and once the gang is
whole again training resumes from there.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from controllers.clock import from_rfc3339, to_rfc3339
from controllers.runtime.actions import Action, CreateObject, DeleteObject, RequeueAfter, UpdateStatus
from controllers.runtime.objects import is_controlled_by, is_pod_ready, is_terminating, meta, owner_reference, pod_phase

API_VERSION = "kubeviz.io/v1alpha1"
JOB_LABEL = "kubeviz.io/trainingjob"
ROLE_LABEL = "kubeviz.io/role"
INDEX_LABEL = "kubeviz.io/worker-index"


def worker_name(tj: Mapping, index: int) -> str:
    """The worker's name prefix: a replacement gets a fresh suffix, so one stuck
    Terminating on a dead node does not block it (unlike a fixed name)."""
    return f"{meta(tj)['name']}-worker-{index}-"


def worker_pod(tj: Mapping, index: int) -> dict:
    spec = tj.get("spec") or {}
    container: dict[str, Any] = {"name": "trainer", "image": spec.get("image", "kubeviz/trainer:1.0"),
                                 "env": [{"name": "RANK", "value": str(index)},
                                         {"name": "WORLD_SIZE", "value": str(spec.get("workers", 2))}]}
    if spec.get("resources"):
        container["resources"] = {"requests": copy.deepcopy(spec["resources"])}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": worker_name(tj, index), "namespace": meta(tj).get("namespace", "default"),
                         "labels": {JOB_LABEL: meta(tj)["name"], ROLE_LABEL: "worker", INDEX_LABEL: str(index)},
                         "ownerReferences": [owner_reference(tj, API_VERSION, "TrainingJob")]},
            "spec": {"containers": [container], "restartPolicy": "Always"}}


def plan(tj: Mapping, pods: Sequence[Mapping], *, now: float) -> list[Action]:
    spec = tj.get("spec") or {}
    ns = meta(tj).get("namespace", "default")
    workers = int(spec.get("workers", 2))
    epochs = int(spec.get("epochs", 10))
    per_epoch = float(spec.get("secondsPerEpoch", 5))
    every = max(1, int(spec.get("checkpointEvery", 1)))
    current = tj.get("status") or {}
    status: dict[str, Any] = {"phase": current.get("phase", "Pending"), "epoch": current.get("epoch", 0),
                              "lastCheckpointEpoch": current.get("lastCheckpointEpoch", 0),
                              "restarts": current.get("restarts", 0), "workers": workers}
    if current.get("epochStartedAt"):
        status["epochStartedAt"] = current["epochStartedAt"]
    owned = [p for p in pods if is_controlled_by(p, tj)]
    actions: list[Action] = []

    if status["phase"] in ("Succeeded", "Failed"):
        return [DeleteObject("Pod", ns, meta(p)["name"], meta(p).get("uid"), reason="training finished")
                for p in owned if not is_terminating(p)] + _status(tj, status)

    by_index: dict[str, Mapping] = {}
    for p in owned:  # the live worker of each index (a terminating one is already lost)
        index = (meta(p).get("labels") or {}).get(INDEX_LABEL, "")
        if not is_terminating(p) or index not in by_index:
            by_index[index] = p
    ready = 0
    for i in range(workers):
        pod = by_index.get(str(i))
        if pod is None or is_terminating(pod):
            actions.append(CreateObject("Pod", ns, worker_pod(tj, i)))
        elif pod_phase(pod) == "Failed" and not is_terminating(pod):
            actions.append(DeleteObject("Pod", ns, meta(pod)["name"], meta(pod).get("uid"), reason="worker failed"))
        elif not is_terminating(pod) and is_pod_ready(pod):
            ready += 1
    gang = ready == workers

    if not gang:
        if status["phase"] == "Running":  # lost a worker: back to the last checkpoint
            status.update(phase="Restarting", epoch=status["lastCheckpointEpoch"], restarts=status["restarts"] + 1)
            status.pop("epochStartedAt", None)
        return actions + _status(tj, status)

    if status["phase"] != "Running":
        status["phase"] = "Running"
        status["epochStartedAt"] = to_rfc3339(now)
        return actions + _status(tj, status) + [RequeueAfter(per_epoch, why="next epoch")]
    started = from_rfc3339(status.get("epochStartedAt")) or now
    done = int((now - started) // per_epoch) if per_epoch > 0 else epochs
    if done > 0:
        status["epoch"] = min(epochs, status["epoch"] + done)
        status["epochStartedAt"] = to_rfc3339(started + done * per_epoch)
        status["lastCheckpointEpoch"] = status["epoch"] - status["epoch"] % every
    if status["epoch"] >= epochs:
        status.update(phase="Succeeded", epoch=epochs, lastCheckpointEpoch=epochs)
        status.pop("epochStartedAt", None)
        return actions + _status(tj, status)
    next_at = (from_rfc3339(status["epochStartedAt"]) or now) + per_epoch
    return actions + _status(tj, status) + [RequeueAfter(max(0.001, next_at - now), why="next epoch")]


def _status(tj: Mapping, status: dict) -> list[Action]:
    # Like every built-in controller: the status says which generation it reflects.
    status["observedGeneration"] = meta(tj).get("generation", 1)
    if {k: v for k, v in (tj.get("status") or {}).items()} == status:
        return []
    return [UpdateStatus("TrainingJob", meta(tj).get("namespace", "default"), meta(tj)["name"], status)]
