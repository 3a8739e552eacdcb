"""A tiny in-memory cluster for plan tests: apply a plan's actions to plain dicts.

Plays the API server's part just enough to test convergence and idempotence:
names from generateName, uids, creationTimestamp, status kept apart from spec.
"""
from __future__ import annotations

import copy
import itertools
from typing import Iterable

from controllers.clock import to_rfc3339
from controllers.runtime.actions import (
    Action,
    AddTaint,
    CreateObject,
    DeleteObject,
    RemoveTaint,
    RequeueAfter,
    UpdateObject,
    UpdateStatus,
)


class World:
    def __init__(self, now: float = 1735689600.0) -> None:
        self.now = now
        self.objects: dict[tuple[str, str, str], dict] = {}
        self._names = itertools.count(1)
        self.log: list[str] = []

    def put(self, kind: str, obj: dict) -> dict:
        m = obj.setdefault("metadata", {})
        m.setdefault("namespace", "default" if kind != "Node" else "")
        m.setdefault("uid", f"uid-{kind.lower()}-{m['name']}")
        m.setdefault("creationTimestamp", to_rfc3339(self.now))
        self.objects[(kind, m["namespace"], m["name"])] = obj
        return obj

    def get(self, kind: str, name: str, namespace: str = "default") -> dict | None:
        return self.objects.get((kind, namespace if kind != "Node" else "", name))

    def list(self, kind: str) -> list[dict]:
        return [o for (k, _, _), o in sorted(self.objects.items(), key=lambda kv: kv[0]) if k == kind]

    def apply(self, actions: Iterable[Action]) -> int:
        changed = 0
        for a in actions:
            if isinstance(a, RequeueAfter):
                continue
            changed += 1
            self.log.append(a.describe())
            if isinstance(a, CreateObject):
                body = copy.deepcopy(a.body)
                m = body["metadata"]
                if not m.get("name"):
                    m["name"] = f"{m.get('generateName', 'obj-')}{next(self._names):05d}"
                m["namespace"] = a.namespace
                m.setdefault("generation", 1)
                self.put(a.kind, body)
            elif isinstance(a, UpdateObject):
                old = self.get(a.kind, a.name, a.namespace)
                body = copy.deepcopy(a.body)
                if old is not None and "status" in old:
                    body["status"] = old["status"]
                if old is not None and old.get("spec") != body.get("spec"):
                    body["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
                self.objects[(a.kind, a.namespace, a.name)] = body
            elif isinstance(a, UpdateStatus):
                self.get(a.kind, a.name, a.namespace)["status"] = copy.deepcopy(a.status)
            elif isinstance(a, DeleteObject):
                self.objects.pop((a.kind, a.namespace, a.name), None)
            elif isinstance(a, AddTaint):
                self.get("Node", a.node)["spec"].setdefault("taints", []).append(copy.deepcopy(a.taint))
            elif isinstance(a, RemoveTaint):
                spec = self.get("Node", a.node)["spec"]
                spec["taints"] = [t for t in spec.get("taints", []) if (t["key"], t["effect"]) != (a.key, a.effect)]
            else:  # pragma: no cover
                raise TypeError(a)
        return changed


def run_pod(pod: dict, now: float, node: str = "node-1", ready: bool = True, ip: str | None = None) -> dict:
    """What the kubelet would do: bind, run, and (optionally) mark Ready."""
    pod["spec"]["nodeName"] = node
    status = pod.setdefault("status", {})
    status["phase"] = "Running"
    status["podIP"] = ip or f"10.0.0.{abs(hash(pod['metadata']['name'])) % 250 + 1}"
    status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": to_rfc3339(now)}]
    return pod
