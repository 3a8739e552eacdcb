"""Node lifecycle controller: Lease silence → Unknown → taints → evictions."""
from __future__ import annotations

from typing import Any

from controllers.clock import Profile, from_rfc3339
from controllers.runtime.actions import Action, AddTaint, DeleteObject, RemoveTaint, UpdateStatus
from controllers.runtime.controller import Result
from controllers.runtime.objects import get_condition
from controllers.runtime.plancontroller import PlanController
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]
NODE_LEASE_NAMESPACE = "kube-node-lease"


class NodeLifecycleController(PlanController):
    name = "nodelifecycle"
    component = "node-controller"

    def __init__(self, *args: Any, profile: Profile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.informers["Node"].add_handler(self._on_node)
        self.informers["Lease"].add_handler(self._on_lease)
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_node(self, old: Obj | None, new: Obj | None) -> None:
        if new is not None:
            self.enqueue(new["metadata"]["name"])

    def _on_lease(self, old: Obj | None, new: Obj | None) -> None:
        lease = new or old
        if not lease or lease["metadata"].get("namespace") != NODE_LEASE_NAMESPACE:
            return
        name = lease["metadata"]["name"]
        if old is not None and new is not None and self._healthy(name):
            # A Ready node's renewal changes nothing now; the grace-period timer its last
            # reconcile set reads the newest renewTime (as kube-controller-manager's periodic
            # monitor does) — 500 renewals/s at 5,000 nodes need not be 500 reconciles/s.
            return
        self.enqueue(name)

    def _healthy(self, name: str) -> bool:
        node = self.informers["Node"].get(name)
        if node is None or (node.get("spec") or {}).get("taints"):
            return False
        ready = get_condition(node, "Ready")
        return ready is not None and ready.get("status") == "True"

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        # A pod landing on a tainted node may have to go.
        node = ((new or {}).get("spec") or {}).get("nodeName")
        if node and (old is None or not (old.get("spec") or {}).get("nodeName")):
            cached = self.informers["Node"].get(node)
            if cached and (cached.get("spec") or {}).get("taints"):
                self.enqueue(node)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        node = self.informers["Node"].get(key)
        if node is None:
            return None
        lease = self.informers["Lease"].get(f"{NODE_LEASE_NAMESPACE}/{key}")
        renew = from_rfc3339((lease or {}).get("spec", {}).get("renewTime")) if lease else None
        pods = self.informers["Pod"].by_index("node", key)
        now = self.clock.now()
        actions = plan(node, renew, pods, now=now, profile=self.profile)
        ready = get_condition(node, "Ready")
        trace.observed = {"ready": ready.get("status") if ready else None,
                          "leaseAge": round(now - renew, 3) if renew else None, "pods": len(pods)}
        trace.desired = {"gracePeriod": self.profile.node_monitor_grace_period}

        def report(action: Action, result: Obj | None) -> None:
            if isinstance(action, UpdateStatus) and action.kind == "Node":
                self.recorder.normal(node, "NodeNotReady", f"Node {key} status is now: NodeNotReady")
            elif isinstance(action, UpdateStatus) and action.kind == "Pod":
                pod = self.cached("Pod", action.namespace, action.name) or {}
                if pod:
                    self.recorder.warning(pod, "NodeNotReady", "Node is not ready")
            elif isinstance(action, DeleteObject):
                pod = self.cached("Pod", action.namespace, action.name)
                if pod:
                    self.recorder.normal(pod, "TaintManagerEviction",
                                         f"Marking for deletion Pod {action.namespace}/{action.name}")
            elif isinstance(action, AddTaint) and action.taint.get("effect") == "NoExecute":
                self.recorder.normal(node, "TaintAdded", f"Taint {action.taint['key']}:NoExecute added")
            elif isinstance(action, RemoveTaint) and action.effect == "NoExecute":
                self.recorder.normal(node, "TaintRemoved", f"Taint {action.key}:NoExecute removed")

        return self.execute(actions, trace, report)
