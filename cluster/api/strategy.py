"""Per-kind policy for the generic REST handler, after kube-apiserver's
``rest.RESTCreateStrategy`` / ``RESTUpdateStrategy``.

A Strategy answers the questions that differ between kinds: how to default a
new object, what makes it valid, what an update may change, whether status is
a separate subresource, and which fields a field selector may use.
"""
from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
Cause = tuple[str, str, str]  # (field, message, reason), as metav1.StatusCause

_SYSTEM_FIELDS = ("apiVersion", "kind", "metadata", "status")


def spec_of(obj: Obj) -> Obj:
    """Everything but metadata and status: what ``generation`` counts changes of."""
    return {k: v for k, v in obj.items() if k not in _SYSTEM_FIELDS}


class Strategy:
    status_subresource = False  # spec writes keep status; status writes keep spec
    has_generation = False  # metadata.generation bumps on spec changes
    immutable_fields: tuple[str, ...] = ()  # dotted paths an update may not change
    field_selectors: tuple[str, ...] = ()  # beyond metadata.name / metadata.namespace
    default_propagation = "Background"  # what DELETE does with dependents when not told
    return_deleted_object = False  # DELETE answers with the object (pods, services) or a Status

    def default(self, obj: Obj) -> None:
        """Fill in defaults, as the API server's defaulting does (in place)."""

    def prepare_for_create(self, obj: Obj) -> None:
        """Reset what a client may not set on create (e.g. status of a Deployment)."""
        if self.status_subresource:
            obj.pop("status", None)
            self.default_status(obj)

    def default_status(self, obj: Obj) -> None:
        """The status a new object starts with."""

    def validate(self, obj: Obj) -> list[Cause]:
        return []

    def validate_update(self, new: Obj, old: Obj) -> list[Cause]:
        causes = self.validate(new)
        for path in self.immutable_fields:
            if _dig(new, path) != _dig(old, path):
                causes.append((path, "field is immutable", "FieldValueInvalid"))
        return causes

    def grace_period(self, obj: Obj, requested: int | None) -> int | None:
        """Seconds a deleted object lingers before removal (pods on a node only)."""
        return None

    def finalize_on_delete(self, obj: Obj) -> bool:
        """Whether a kind-specific finalizer (a namespace's spec.finalizers) holds it."""
        return False

    def on_delete(self, obj: Obj) -> None:
        """Changes made when the object is marked for deletion (e.g. phase Terminating)."""

    def fields(self, obj: Obj) -> dict[str, str]:
        """The values field selectors match against."""
        meta = obj.get("metadata", {})
        values = {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}
        for path in self.field_selectors:
            value = _dig(obj, path)
            values[path] = "" if value is None else str(value)
        return values


def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj
