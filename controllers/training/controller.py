"""The custom ML controller: a TrainingJob (kubeviz.io/v1alpha1) and its gang of worker pods.

Written the way a user's own controller would be: only the public API client,
an informer on its custom resource and on pods, a pure plan. ``ensure_crd``
installs the CustomResourceDefinition through the API.
"""
from __future__ import annotations

from typing import Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from controllers.runtime.actions import Action, CreateObject, UpdateStatus
from controllers.runtime.controller import Result, owner_key
from controllers.runtime.expectations import Expectations
from controllers.runtime.informer import object_key
from controllers.runtime.plancontroller import PlanController, split_key
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "trainingjobs.kubeviz.io"},
    "spec": {
        "group": "kubeviz.io", "scope": "Namespaced",
        "names": {"plural": "trainingjobs", "singular": "trainingjob", "kind": "TrainingJob",
                  "shortNames": ["tj"]},
        "versions": [{
            "name": "v1alpha1", "served": True, "storage": True, "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            "additionalPrinterColumns": [
                {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                {"name": "Epoch", "type": "integer", "jsonPath": ".status.epoch"},
                {"name": "Checkpoint", "type": "integer", "jsonPath": ".status.lastCheckpointEpoch"},
                {"name": "Restarts", "type": "integer", "jsonPath": ".status.restarts"},
            ],
        }],
    },
}


def ensure_crd(client: ApiClient) -> None:
    try:
        client.create(r.CRDS, CRD)
    except StatusError as error:
        if error.code != 409:
            raise


class TrainingJobController(PlanController):
    name = "trainingjob"
    component = "trainingjob-controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expectations = Expectations(self.clock)  # generateName: a lagging cache would double-create
        self.informers["TrainingJob"].add_handler(lambda old, new: self.enqueue(object_key(new or old)))
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        key = owner_key(new or old, "TrainingJob")  # type: ignore[arg-type]
        if key:
            if old is None:
                self.expectations.creation_observed(key)
            self.enqueue(key)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        tj = self.informers["TrainingJob"].get(key)
        if tj is None:
            return None
        namespace, _ = split_key(key)
        pods = self.informers["Pod"].by_index("namespace", namespace)
        actions = plan(tj, pods, now=self.clock.now())
        if not self.expectations.satisfied(key):
            actions = [a for a in actions if not isinstance(a, CreateObject)]
        creates = sum(isinstance(a, CreateObject) for a in actions)
        if creates:
            self.expectations.expect(key, adds=creates)
        trace.observed = dict(tj.get("status") or {})
        trace.desired = {k: (tj.get("spec") or {}).get(k) for k in ("workers", "epochs")}
        before = tj.get("status") or {}

        def report(action: Action, result: Obj | None) -> None:
            if isinstance(action, CreateObject):
                self.recorder.normal(tj, "SuccessfulCreate", f"Created worker pod: {(result or {}).get('metadata', {}).get('name', '')}")
            elif isinstance(action, UpdateStatus):
                phase, was = action.status.get("phase"), before.get("phase")
                if phase == "Restarting" and was == "Running":
                    self.recorder.warning(tj, "WorkerLost", "A worker is gone; training paused, resuming from "
                                          f"checkpoint epoch {action.status['lastCheckpointEpoch']}")
                elif phase == "Running" and was != "Running":
                    self.recorder.normal(tj, "TrainingStarted", f"All {action.status['workers']} workers ready; "
                                         f"training from epoch {action.status['epoch']}")
                elif phase == "Succeeded" and was != "Succeeded":
                    self.recorder.normal(tj, "TrainingSucceeded", f"Trained {action.status['epoch']} epochs")
                if action.status.get("lastCheckpointEpoch", 0) > before.get("lastCheckpointEpoch", 0):
                    self.recorder.normal(tj, "Checkpoint", f"Checkpoint at epoch {action.status['lastCheckpointEpoch']}")

        try:
            return self.execute(actions, trace, report)
        except Exception:
            self.expectations.forget(key)
            raise
