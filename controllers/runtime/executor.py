"""Executor: a plan's actions become API calls, each recorded on the Trace.

Every write goes through the API client (rule 1) and is recorded with the
resourceVersion it produced, so a trace line can be matched to its CDC row.
Updates carry the resourceVersion the plan saw: a stale cache fails with a
409 Conflict and the key is retried, as in client-go.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient, Resource, StatusError
from cluster.client import resources as r

from .actions import (
    Action,
    AddTaint,
    CreateObject,
    DeleteObject,
    RemoveTaint,
    RequeueAfter,
    UpdateObject,
    UpdateStatus,
)
from .trace import Trace

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]  # (kind, namespace, name) → cached object

KINDS: dict[str, Resource] = {
    "Pod": r.PODS, "Node": r.NODES, "Service": r.SERVICES, "Endpoints": r.ENDPOINTS, "Event": r.EVENTS,
    "ConfigMap": r.CONFIGMAPS, "Secret": r.SECRETS, "ServiceAccount": r.SERVICEACCOUNTS,
    "Namespace": r.NAMESPACES, "Deployment": r.DEPLOYMENTS, "ReplicaSet": r.REPLICASETS, "Job": r.JOBS,
    "Lease": r.LEASES, "TrainingJob": r.TRAININGJOBS,
}


def resource_for(kind: str) -> Resource:
    return KINDS[kind]


def _rv(obj: Any) -> str | None:
    if isinstance(obj, dict):
        return (obj.get("metadata") or {}).get("resourceVersion")
    return None


class Executor:
    def __init__(self, client: ApiClient, lookup: Lookup | None = None) -> None:
        self.client = client
        self.lookup = lookup or (lambda kind, ns, name: None)

    def execute(self, actions: list[Action], trace: Trace,
                on_result: Callable[[Action, Obj | None], None] | None = None,
                ) -> tuple[float | None, list[tuple[Action, Obj | None]]]:
        """Run ``actions`` in order (``on_result`` hears each as it lands, e.g. to emit its Event);
        returns the shortest RequeueAfter (or None) and each action's result."""
        requeue: float | None = None
        self._fresh: dict[tuple[str, str, str], Obj] = {}  # what this pass wrote: newer than the cache
        results: list[tuple[Action, Obj | None]] = []
        trace.diff.extend(a.describe() for a in actions)
        for action in actions:
            if isinstance(action, RequeueAfter):
                requeue = action.seconds if requeue is None else min(requeue, action.seconds)
                continue
            result = self.run(action)
            if isinstance(result, dict) and result.get("kind") not in (None, "Status") and "metadata" in result:
                m = result["metadata"]
                self._fresh[(result["kind"], m.get("namespace", ""), m.get("name", ""))] = result
            trace.act(action.describe(), _rv(result))
            results.append((action, result))
            if on_result is not None:
                on_result(action, result)
        return requeue, results

    def _latest(self, kind: str, namespace: str, name: str) -> Obj | None:
        fresh = getattr(self, "_fresh", {}).get((kind, namespace, name))
        return fresh if fresh is not None else self.lookup(kind, namespace, name)

    def run(self, action: Action) -> Obj | None:
        if isinstance(action, CreateObject):
            return self.client.create(resource_for(action.kind), action.body, action.namespace)
        if isinstance(action, UpdateObject):
            return self.client.update(resource_for(action.kind), action.body)
        if isinstance(action, UpdateStatus):
            return self._update_status(action)
        if isinstance(action, DeleteObject):
            try:
                return self.client.delete(resource_for(action.kind), action.name, action.namespace,
                                          preconditions={"uid": action.uid} if action.uid else None)
            except StatusError as error:
                if error.not_found:
                    return None  # already gone: what we wanted
                raise
        if isinstance(action, (AddTaint, RemoveTaint)):
            return self._taint(action)
        raise TypeError(f"unknown action {action!r}")

    def _update_status(self, action: UpdateStatus) -> Obj:
        resource = resource_for(action.kind)
        live = self._latest(action.kind, action.namespace, action.name)
        if live is None:
            live = self.client.get(resource, action.name, action.namespace)
        body = copy.deepcopy(live)
        body["status"] = copy.deepcopy(action.status)
        return self.client.update_status(resource, body)

    def _taint(self, action: AddTaint | RemoveTaint) -> Obj:
        node = self._latest("Node", "", action.node) or self.client.get(r.NODES, action.node)
        body = copy.deepcopy(node)
        taints = list((body.get("spec") or {}).get("taints") or [])
        if isinstance(action, AddTaint):
            if any((t.get("key"), t.get("effect")) == (action.taint["key"], action.taint["effect"]) for t in taints):
                return node
            taints.append(dict(action.taint))
        else:
            taints = [t for t in taints if (t.get("key"), t.get("effect")) != (action.key, action.effect)]
        body.setdefault("spec", {})["taints"] = taints
        if not taints:
            body["spec"].pop("taints")
        return self.client.update(r.NODES, body)
