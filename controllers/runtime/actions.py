"""What a plan asks for: small, JSON-friendly dataclasses, executed through the API by reconcile.

A plan never performs I/O; it returns these. The reconcile loop executes them
through the API client and records them in the reconcile trace
(``describe()`` is the line the dashboard shows).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Action:
    def describe(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"action": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class CreateObject(Action):
    """Create ``body`` (a pod from a template uses ``metadata.generateName``)."""

    kind: str
    namespace: str
    body: dict = field(hash=False, compare=True)

    def describe(self) -> str:
        meta = self.body.get("metadata", {})
        return f"create {self.kind} {self.namespace}/{meta.get('name') or meta.get('generateName', '') + '*'}"


@dataclass(frozen=True)
class UpdateObject(Action):
    """Replace metadata/spec with ``body`` (optimistic concurrency on its resourceVersion)."""

    kind: str
    namespace: str
    name: str
    body: dict = field(hash=False, compare=True)
    why: str = ""

    def describe(self) -> str:
        return f"update {self.kind} {self.namespace}/{self.name}" + (f": {self.why}" if self.why else "")


@dataclass(frozen=True)
class UpdateStatus(Action):
    """Write the status subresource."""

    kind: str
    namespace: str
    name: str
    status: dict = field(hash=False, compare=True)

    def describe(self) -> str:
        return f"update {self.kind} {self.namespace}/{self.name} status"


@dataclass(frozen=True)
class DeleteObject(Action):
    kind: str
    namespace: str
    name: str
    uid: str | None = None  # delete precondition: only this incarnation
    reason: str = ""

    def describe(self) -> str:
        return f"delete {self.kind} {self.namespace}/{self.name}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class AddTaint(Action):
    node: str
    taint: dict = field(hash=False, compare=True)

    def describe(self) -> str:
        return f"taint node {self.node} {self.taint['key']}:{self.taint['effect']}"


@dataclass(frozen=True)
class RemoveTaint(Action):
    node: str
    key: str
    effect: str

    def describe(self) -> str:
        return f"untaint node {self.node} {self.key}:{self.effect}"


@dataclass(frozen=True)
class RequeueAfter(Action):
    """Nothing to do now; look again in ``seconds`` (controller-runtime's RequeueAfter)."""

    seconds: float
    why: str = ""

    def describe(self) -> str:
        return f"check again in {self.seconds:g}s" + (f": {self.why}" if self.why else "")


def create_pod(namespace: str, body: dict) -> CreateObject:
    return CreateObject("Pod", namespace, body)


def delete_pod(pod: dict, reason: str = "") -> DeleteObject:
    meta = pod["metadata"]
    return DeleteObject("Pod", meta.get("namespace", "default"), meta["name"], meta.get("uid"), reason)


def without_requeue(actions: list[Action]) -> list[Action]:
    """The actions that change something (a plan is converged when this is empty)."""
    return [a for a in actions if not isinstance(a, RequeueAfter)]
