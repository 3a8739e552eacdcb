"""Endpoints controller: each Service's selector → its Endpoints object."""
from __future__ import annotations

from typing import Any

from controllers.runtime.controller import Result
from controllers.runtime.informer import object_key
from controllers.runtime.plancontroller import PlanController, split_key
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]


class EndpointsController(PlanController):
    name = "endpoints"
    component = "endpoint-controller"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.informers["Service"].add_handler(self._on_service)
        self.informers["Endpoints"].add_handler(self._on_service)  # someone edited ours: put it back
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_service(self, old: Obj | None, new: Obj | None) -> None:
        self.enqueue(object_key(new or old))  # type: ignore[arg-type]

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        namespace = (new or old)["metadata"].get("namespace")  # type: ignore[index]
        for service in self.informers["Service"].by_index("namespace", namespace):
            self.enqueue(object_key(service))

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        namespace, name = split_key(key)
        service = self.informers["Service"].get(key)
        endpoints = self.informers["Endpoints"].get(key)
        pods = self.informers["Pod"].by_index("namespace", namespace)
        actions = plan(service, pods, endpoints, name=name, namespace=namespace)
        trace.observed = {"subsets": len((endpoints or {}).get("subsets") or [])}
        return self.execute(actions, trace)
