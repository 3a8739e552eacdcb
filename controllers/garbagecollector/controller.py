"""Garbage collector: the ownerReferences graph, and the three deletion policies.

* **background** — an owner is gone (no object with that uid): its dependents
  are deleted;
* **foreground** — the owner carries ``foregroundDeletion``: its dependents
  are deleted first (foreground too), and the finalizer comes off once no
  dependent with ``blockOwnerDeletion`` is left;
* **orphan** — the owner carries ``orphan``: the dependents lose their
  ownerReference to it, then the finalizer comes off.

Keys are ``Kind:namespace/name``; the graph is the shared informers' caches.
"""
from __future__ import annotations

import copy
from typing import Any

from cluster.client import StatusError
from controllers.runtime.controller import Result
from controllers.runtime.executor import resource_for
from controllers.runtime.informer import object_key
from controllers.runtime.plancontroller import PlanController
from controllers.runtime.trace import Trace

Obj = dict[str, Any]
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


class GarbageCollector(PlanController):
    name = "garbagecollector"
    component = "garbage-collector-controller"

    def __init__(self, *args: Any, kinds: tuple[str, ...] = ("Pod", "ReplicaSet", "Deployment", "Job"),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            informer = self.informers[kind]
            informer.add_index("owner-uid", lambda o: [ref["uid"] for ref in o["metadata"].get("ownerReferences") or []])
            informer.add_index("uid", lambda o: [o["metadata"].get("uid", "")])
            informer.add_handler(lambda old, new, kind=kind: self._on_change(kind, old, new))

    def _on_change(self, kind: str, old: Obj | None, new: Obj | None) -> None:
        obj = new or old
        assert obj is not None
        if new is not None and (new["metadata"].get("ownerReferences") or new["metadata"].get("deletionTimestamp")):
            self.enqueue(f"{kind}:{object_key(new)}")
        if new is None:  # an owner went away: look at what it owned
            for dependent_kind, dependent in self._dependents(obj["metadata"].get("uid", "")):
                self.enqueue(f"{dependent_kind}:{object_key(dependent)}")
            # a dependent went away: a foreground owner may now be free to go
            for ref in obj["metadata"].get("ownerReferences") or []:
                owner = self._by_uid(ref.get("kind", ""), ref.get("uid", ""))
                if owner is not None:
                    self.enqueue(f"{ref['kind']}:{object_key(owner)}")

    def _by_uid(self, kind: str, uid: str) -> Obj | None:
        if kind not in self.kinds:
            return None
        found = self.informers[kind].by_index("uid", uid)
        return found[0] if found else None

    def _dependents(self, uid: str) -> list[tuple[str, Obj]]:
        return [(kind, obj) for kind in self.kinds for obj in self.informers[kind].by_index("owner-uid", uid)]

    def _owner_exists(self, ref: dict, namespace: str) -> bool:
        kind = ref.get("kind", "")
        if kind in self.kinds:
            if self._by_uid(kind, ref.get("uid", "")) is not None:
                return True
        # Not in our caches: ask the API server (the cache may lag, or it is a kind we don't watch).
        try:
            resource = resource_for(kind)
        except KeyError:
            return True  # an unknown kind: never delete on a guess
        try:
            live = self.client.get(resource, ref["name"], namespace if resource.namespaced else "")
        except StatusError as error:
            if error.not_found:
                return False
            raise
        return live["metadata"].get("uid") == ref.get("uid")

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        kind, _, obj_key = key.partition(":")
        obj = self.informers[kind].get(obj_key)
        if obj is None:
            return None
        metadata = obj["metadata"]
        namespace = metadata.get("namespace", "")
        finalizers = metadata.get("finalizers") or []
        if metadata.get("deletionTimestamp") and ORPHAN in finalizers:
            return self._orphan(kind, obj, trace)
        if metadata.get("deletionTimestamp") and FOREGROUND in finalizers:
            return self._foreground(kind, obj, trace)
        refs = metadata.get("ownerReferences") or []
        if not refs or metadata.get("deletionTimestamp"):
            return None
        alive = [ref for ref in refs if self._owner_exists(ref, namespace)]
        trace.observed = {"owners": [f"{r['kind']}/{r['name']}" for r in refs], "alive": len(alive)}
        if alive:
            # An owner that is being deleted in the foreground takes its dependents with it.
            for ref in alive:
                owner = self._by_uid(ref.get("kind", ""), ref.get("uid", ""))
                if owner and owner["metadata"].get("deletionTimestamp") and \
                        FOREGROUND in (owner["metadata"].get("finalizers") or []):
                    self._delete(kind, obj, trace, "Foreground", "owner is being deleted in the foreground")
            return None
        self._delete(kind, obj, trace, "Background", "all owners are gone")
        return None

    def _delete(self, kind: str, obj: Obj, trace: Trace, policy: str, why: str) -> None:
        m = obj["metadata"]
        if m.get("deletionTimestamp"):
            return
        try:
            result = self.client.delete(resource_for(kind), m["name"], m.get("namespace", ""),
                                        propagation_policy=policy, preconditions={"uid": m.get("uid")})
        except StatusError as error:
            if error.not_found or error.conflict:
                return
            raise
        trace.act(f"delete {kind} {object_key(obj)} ({why})", (result.get("metadata") or {}).get("resourceVersion"))

    def _foreground(self, kind: str, owner: Obj, trace: Trace) -> Result | None:
        uid = owner["metadata"].get("uid", "")
        blocking = 0
        for dep_kind, dep in self._dependents(uid):
            if not dep["metadata"].get("deletionTimestamp"):
                self._delete(dep_kind, dep, trace, "Foreground", f"{kind} {object_key(owner)} deleted in the foreground")
            if any(ref.get("uid") == uid and ref.get("blockOwnerDeletion")
                   for ref in dep["metadata"].get("ownerReferences") or []):
                blocking += 1
        trace.observed = {"blockingDependents": blocking}
        if blocking:
            return None  # the dependents' deletion events bring us back
        self._drop_finalizer(kind, owner, FOREGROUND, trace)
        return None

    def _orphan(self, kind: str, owner: Obj, trace: Trace) -> Result | None:
        uid = owner["metadata"].get("uid", "")
        for dep_kind, dep in self._dependents(uid):
            body = copy.deepcopy(dep)
            body["metadata"]["ownerReferences"] = [r for r in body["metadata"].get("ownerReferences") or []
                                                   if r.get("uid") != uid]
            if not body["metadata"]["ownerReferences"]:
                body["metadata"].pop("ownerReferences")
            result = self.client.update(resource_for(dep_kind), body)
            trace.act(f"orphan {dep_kind} {object_key(dep)}", result["metadata"].get("resourceVersion"))
        self._drop_finalizer(kind, owner, ORPHAN, trace)
        return None

    def _drop_finalizer(self, kind: str, owner: Obj, finalizer: str, trace: Trace) -> None:
        body = copy.deepcopy(owner)
        body["metadata"]["finalizers"] = [f for f in body["metadata"].get("finalizers") or [] if f != finalizer]
        try:
            result = self.client.update(resource_for(kind), body)
        except StatusError as error:
            if error.not_found:
                return
            raise
        trace.act(f"remove finalizer {finalizer} from {kind} {object_key(owner)}",
                  (result.get("metadata") or {}).get("resourceVersion"))
