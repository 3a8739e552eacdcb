"""ReplicaSet controller: keep ``spec.replicas`` pods running, with expectations."""
from __future__ import annotations

from typing import Any

from controllers.runtime.actions import Action, DeleteObject, UpdateStatus
from controllers.runtime.controller import Result, owner_key
from controllers.runtime.expectations import Expectations
from controllers.runtime.indexes import orphans_of
from controllers.runtime.informer import object_key
from controllers.runtime.objects import get_condition
from controllers.runtime.plancontroller import PlanController, split_key
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]


class ReplicaSetController(PlanController):
    name = "replicaset"
    component = "replicaset-controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expectations = Expectations(self.clock)
        self.informers["ReplicaSet"].add_handler(self._on_replicaset)
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_replicaset(self, old: Obj | None, new: Obj | None) -> None:
        self.enqueue(object_key(new or old))  # type: ignore[arg-type]

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        pod = new or old
        key = owner_key(pod, "ReplicaSet")  # type: ignore[arg-type]
        if key is None:
            if new is not None and old is None:  # an orphan: a ReplicaSet may adopt it
                ns = new["metadata"].get("namespace")
                for rs in self.informers["ReplicaSet"].by_index("namespace", ns):
                    self.enqueue(object_key(rs))
            return
        if old is None:
            self.expectations.creation_observed(key)
        elif new is None or (new["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp")):
            self.expectations.deletion_observed(key)
        elif not changes_what_a_replicaset_sees(old, new):
            return  # a binding or a container starting: nothing to plan or count
        self.enqueue(key)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        rs = self.informers["ReplicaSet"].get(key)
        if rs is None:
            self.expectations.forget(key)
            return None
        namespace, _ = split_key(key)
        pod_cache = self.informers["Pod"]
        pods = pod_cache.by_index("controller", rs["metadata"].get("uid", "")) \
            + pod_cache.by_index("controller", orphans_of(namespace))
        satisfied = self.expectations.satisfied(key)
        actions = plan(rs, pods, now=self.clock.now(), expectations_satisfied=satisfied)
        trace.observed = {"replicas": (rs.get("status") or {}).get("replicas", 0), "pods": len(pods),
                          "expectationsSatisfied": satisfied}
        trace.desired = {"replicas": (rs.get("spec") or {}).get("replicas", 1)}
        creates, _ = self.expectations.expect_actions(key, actions)

        def report(action: Action, result: Obj | None) -> None:
            self.report_pod(rs, action, result)
            if isinstance(action, DeleteObject) and result is None:
                self.expectations.deletion_observed(key)  # it was already gone: no event will come

        try:
            return self.execute(actions, trace, report)
        except Exception as error:
            # What did not happen will never be observed: stop expecting it.
            self.expectations.forget(key)
            if creates:
                self.recorder.warning(rs, "FailedCreate", f"Error creating: {error}")
            raise


def _seen(pod: Obj) -> tuple:
    m, status = pod["metadata"], pod.get("status") or {}
    ready = get_condition(pod, "Ready") or {}
    return (m.get("labels"), m.get("ownerReferences"), m.get("deletionTimestamp"), status.get("phase"),
            ready.get("status"), ready.get("lastTransitionTime"),
            sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or ()))


def changes_what_a_replicaset_sees(old: Obj, new: Obj) -> bool:
    """An event predicate, as controller-runtime's: a pod update matters to its
    ReplicaSet only if it changes what ``plan`` reads — labels, owners, deletion,
    phase, readiness (and since when), restarts. At thousands of pods most
    updates (bindings, containers being created) do not, and each reconcile
    reads every pod of the ReplicaSet."""
    return _seen(old) != _seen(new)


def status_only(actions: list[Action]) -> bool:
    return all(isinstance(a, UpdateStatus) for a in actions)
