"""Per-workload progress rows for the dashboard: desired vs current vs ready,
generation vs observedGeneration, rollout conditions, TrainingJob progress.

Pure functions over Kubernetes-shaped JSON (no I/O), like ``model.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import dom_id

Obj = dict[str, Any]


@dataclass(frozen=True)
class WorkloadRow:
    kind: str  # Deployment, ReplicaSet, TrainingJob
    namespace: str
    name: str
    desired: int
    current: int
    ready: int
    updated: int | None  # Deployment: pods of the newest template
    generation: int
    observed_generation: int
    image: str
    owner: str
    conditions: list[str]  # "Progressing=True (NewReplicaSetAvailable)"
    phase: str = ""  # TrainingJob
    epoch: int = 0
    epochs: int = 0
    checkpoint: int = 0
    restarts: int = 0

    @property
    def id(self) -> str:
        return "wl-" + dom_id(self.kind, self.namespace, self.name)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ratio(self) -> str:
        """``web 4/6``: ready of desired."""
        return f"{self.ready}/{self.desired}"

    @property
    def settled(self) -> bool:
        if self.kind == "TrainingJob":
            return self.phase in ("Succeeded", "Failed")
        return self.ready == self.desired == self.current and self.observed_generation >= self.generation

    @property
    def percent(self) -> int:
        if self.kind == "TrainingJob":
            return min(100, round(100 * self.epoch / self.epochs)) if self.epochs else 0
        return min(100, round(100 * self.ready / self.desired)) if self.desired else 100


def _image(spec: Obj) -> str:
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return ", ".join(c.get("image", "") for c in containers)


def _conditions(status: Obj) -> list[str]:
    return [f"{c.get('type')}={c.get('status')}" + (f" ({c['reason']})" if c.get("reason") else "")
            for c in status.get("conditions") or []]


def workload_row(kind: str, obj: Obj) -> WorkloadRow:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    owners = meta.get("ownerReferences") or []
    common: dict[str, Any] = {
        "namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
        "generation": int(meta.get("generation") or 0), "owner": owners[0].get("name", "") if owners else "",
        "observed_generation": int(status.get("observedGeneration") or 0), "conditions": _conditions(status)}
    if kind == "trainingjobs":
        return WorkloadRow(
            kind="TrainingJob", desired=int(spec.get("workers", 2)), current=int(status.get("workers") or 0),
            ready=int(status.get("workers") or 0) if status.get("phase") == "Running" else 0,
            updated=None, image=_image(spec) or str(spec.get("image", "")), phase=status.get("phase") or "Pending",
            epoch=int(status.get("epoch") or 0), epochs=int(spec.get("epochs", 10)),
            checkpoint=int(status.get("lastCheckpointEpoch") or 0), restarts=int(status.get("restarts") or 0),
            **common)
    return WorkloadRow(
        kind="Deployment" if kind == "deployments" else "ReplicaSet",
        desired=int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1),
        current=int(status.get("replicas") or 0), ready=int(status.get("readyReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0) if kind == "deployments" else None,
        image=_image(spec), **common)


def rows(workloads: dict[str, dict[str, Obj]]) -> list[WorkloadRow]:
    """Deployments, then their ReplicaSets (newest-first is not needed: by name), then TrainingJobs."""
    out: list[WorkloadRow] = []
    for kind in ("deployments", "replicasets", "trainingjobs"):
        items = [workload_row(kind, obj) for obj in (workloads.get(kind) or {}).values()]
        if kind == "replicasets":  # an old ReplicaSet scaled to zero is history, not a workload
            items = [row for row in items if row.desired or row.current]
        out += sorted(items, key=lambda row: (row.namespace, row.name))
    return out
