"""Deployment controller: roll ReplicaSets towards the Deployment's template."""
from __future__ import annotations

from typing import Any

from controllers.runtime.actions import Action, CreateObject, DeleteObject, UpdateObject
from controllers.runtime.controller import Result, owner_key
from controllers.runtime.informer import object_key
from controllers.runtime.objects import meta
from controllers.runtime.plancontroller import PlanController, split_key
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]


class DeploymentController(PlanController):
    name = "deployment"
    component = "deployment-controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.informers["Deployment"].add_handler(self._on_deployment)
        self.informers["ReplicaSet"].add_handler(self._on_replicaset)
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_deployment(self, old: Obj | None, new: Obj | None) -> None:
        self.enqueue(object_key(new or old))  # type: ignore[arg-type]

    def _on_replicaset(self, old: Obj | None, new: Obj | None) -> None:
        key = owner_key(new or old, "Deployment")  # type: ignore[arg-type]
        if key:
            self.enqueue(key)

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        if new is not None:
            return  # only deletions matter here (Recreate waits for old pods to go)
        rs_key = owner_key(old, "ReplicaSet")  # type: ignore[arg-type]
        rs = self.informers["ReplicaSet"].get(rs_key) if rs_key else None
        key = owner_key(rs, "Deployment") if rs else None
        if key:
            self.enqueue(key)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        d = self.informers["Deployment"].get(key)
        if d is None:
            return None
        namespace, _ = split_key(key)
        replicasets = self.informers["ReplicaSet"].by_index("namespace", namespace)
        pod_cache = self.informers["Pod"]  # the pods of its ReplicaSets (Recreate waits for them)
        pods = [pod for rs in replicasets if owner_key(rs, "Deployment") == key
                for pod in pod_cache.by_index("controller", rs["metadata"].get("uid", ""))]
        actions = plan(d, replicasets, pods, now=self.clock.now())
        trace.observed = {"replicaSets": {meta(rs)["name"]: (rs.get("spec") or {}).get("replicas", 0)
                                          for rs in replicasets if owner_key(rs, "Deployment") == key}}
        trace.desired = {"replicas": (d.get("spec") or {}).get("replicas", 1)}

        def report(action: Action, result: Obj | None) -> None:
            if isinstance(action, CreateObject):
                n = action.body["spec"]["replicas"]
                self.recorder.normal(d, "ScalingReplicaSet",
                                     f"Scaled up replica set {action.body['metadata']['name']} from 0 to {n}")
            elif isinstance(action, UpdateObject) and action.kind == "ReplicaSet":
                before = (self.informers["ReplicaSet"].get(f"{namespace}/{action.name}") or {}).get("spec", {})
                old, new = before.get("replicas", 0), action.body["spec"]["replicas"]
                if old != new:
                    verb = "up" if new > old else "down"
                    self.recorder.normal(d, "ScalingReplicaSet",
                                         f"Scaled {verb} replica set {action.name} from {old} to {new}")
            elif isinstance(action, DeleteObject):
                self.recorder.normal(d, "DeletedReplicaSet", f"Deleted replica set {action.name}")

        return self.execute(actions, trace, report)
