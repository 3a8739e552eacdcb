"""A Controller whose reconcile is observe → pure plan → execute → events."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient
from controllers.clock import SimClock

from .actions import Action, CreateObject, DeleteObject
from .controller import Controller, Result
from .events import EventRecorder
from .executor import Executor
from .informer import Informer
from .trace import Trace, TraceLog

Obj = dict[str, Any]


class PlanController(Controller):
    def __init__(self, client: ApiClient, clock: SimClock, traces: TraceLog,
                 informers: dict[str, Informer]) -> None:
        super().__init__(client, clock, traces)
        self.informers = informers
        self.recorder = EventRecorder(client, self.component, clock)
        self.executor = Executor(client, self.cached)

    component = "controller-manager"

    def cached(self, kind: str, namespace: str, name: str) -> Obj | None:
        informer = self.informers.get(kind)
        if informer is None:
            return None
        return informer.get(f"{namespace}/{name}" if namespace else name)

    def report_pod(self, owner: Obj, action: Action, result: Obj | None) -> None:
        """SuccessfulCreate / SuccessfulDelete on the owner, worded as the
        ReplicaSet and Job controllers word them."""
        if isinstance(action, CreateObject) and result:
            self.recorder.normal(owner, "SuccessfulCreate", f"Created pod: {result['metadata']['name']}")
        elif isinstance(action, DeleteObject):
            self.recorder.normal(owner, "SuccessfulDelete", f"Deleted pod: {action.name}")

    def execute(self, actions: list[Action], trace: Trace,
                on_result: Callable[[Action, Obj | None], None] | None = None) -> Result | None:
        requeue, _ = self.executor.execute(actions, trace, on_result)
        return Result(requeue_after=requeue) if requeue is not None else None


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name
