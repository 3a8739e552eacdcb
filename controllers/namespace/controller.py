"""Namespace controller: a Terminating namespace's contents are deleted, then it is finalized.

Like kube-controller-manager's namespace deleter: delete every namespaced
object (through the API, so the garbage collector and kubelets see it), wait
until nothing is left, then drop the ``kubernetes`` finalizer through
``namespaces/<name>/finalize`` — and the API server removes the namespace.
"""
from __future__ import annotations

import copy
from typing import Any

from cluster.client import StatusError
from cluster.client import resources as r
from controllers.runtime.controller import Result
from controllers.runtime.plancontroller import PlanController
from controllers.runtime.trace import Trace

Obj = dict[str, Any]
FINALIZER = "kubernetes"
# Workloads first so their controllers stop recreating pods, events last.
CONTENTS = (r.DEPLOYMENTS, r.REPLICASETS, r.JOBS, r.TRAININGJOBS, r.PODS, r.SERVICES, r.ENDPOINTS,
            r.CONFIGMAPS, r.SECRETS, r.LEASES, r.ROLEBINDINGS, r.ROLES, r.SERVICEACCOUNTS, r.EVENTS)


class NamespaceController(PlanController):
    name = "namespace"
    component = "namespace-controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.informers["Namespace"].add_handler(self._on_namespace)

    def _on_namespace(self, old: Obj | None, new: Obj | None) -> None:
        if new is not None and new["metadata"].get("deletionTimestamp"):
            self.enqueue(new["metadata"]["name"])

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        ns = self.informers["Namespace"].get(key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return None
        remaining: dict[str, int] = {}
        for resource in CONTENTS:
            try:
                items = self.client.list(resource, key)["items"]
            except StatusError as error:
                if error.not_found:  # a kind that is not installed
                    continue
                raise
            if items:
                remaining[resource.plural] = len(items)
            for item in items:
                if item["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.client.delete(resource, item["metadata"]["name"], key, propagation_policy="Background")
                    trace.act(f"delete {resource.plural} {key}/{item['metadata']['name']}")
                except StatusError as error:
                    if not error.not_found:
                        raise
        trace.observed = {"remaining": remaining}
        if remaining:
            return Result(requeue_after=1.0)
        body = copy.deepcopy(ns)
        body["spec"]["finalizers"] = [f for f in body["spec"]["finalizers"] if f != FINALIZER]
        try:
            result = self.client.update(r.NAMESPACES, body, subresource="finalize")
        except StatusError as error:
            if error.not_found:
                return None
            raise
        trace.act(f"finalize namespace {key}", (result.get("metadata") or {}).get("resourceVersion"))
        return None
