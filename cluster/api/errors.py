"""API errors as Kubernetes ``metav1.Status`` objects.

Every failure the API server reports is one of these; the HTTP layer turns it
into a JSON Status with the same ``reason`` and ``code`` a real kube-apiserver
sends, so kubectl and client libraries print the familiar messages.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    code = 500
    reason = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        code: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code
        if reason is not None:
            self.reason = reason

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


def _details(name: str, group: str, kind: str, causes: list[dict[str, str]] | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    if causes:
        details["causes"] = causes
    return details


def qualified(resource: str, group: str) -> str:
    """``pods`` or ``deployments.apps``: how Kubernetes names a resource in messages."""
    return f"{resource}.{group}" if group else resource


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Unauthorized(ApiError):
    code, reason = 401, "Unauthorized"

    def __init__(self, message: str = "Unauthorized") -> None:
        super().__init__(message)


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    code, reason = 404, "NotFound"

    @classmethod
    def object(cls, resource: str, group: str, name: str) -> "NotFound":
        return cls(
            f'{qualified(resource, group)} "{name}" not found',
            details=_details(name, group, resource),
        )


class MethodNotAllowed(ApiError):
    code, reason = 405, "MethodNotAllowed"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"

    @classmethod
    def object(cls, resource: str, group: str, name: str) -> "AlreadyExists":
        return cls(
            f'{qualified(resource, group)} "{name}" already exists',
            details=_details(name, group, resource),
        )


class Conflict(ApiError):
    code, reason = 409, "Conflict"

    @classmethod
    def modified(cls, resource: str, group: str, name: str) -> "Conflict":
        return cls(
            f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": '
            "the object has been modified; please apply your changes to the latest version "
            "and try again",
            details=_details(name, group, resource),
        )


class Gone(ApiError):
    code, reason = 410, "Expired"


class RequestEntityTooLarge(ApiError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaType(ApiError):
    code, reason = 415, "UnsupportedMediaType"


class Invalid(ApiError):
    code, reason = 422, "Invalid"

    @classmethod
    def object(
        cls, kind: str, group: str, name: str, causes: list[tuple[str, str, str]]
    ) -> "Invalid":
        """``causes`` are (field, message, reason) as validation found them; the
        message is Kubernetes' ``Kind.group "name" is invalid: field: message``."""
        label = f"{kind}.{group}" if group else kind
        parts = [f"{field}: {message}" if field else message for field, message, _ in causes]
        summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        return cls(
            f'{label} "{name}" is invalid: {summary}',
            details=_details(
                name,
                group,
                kind,
                [{"reason": reason, "message": message, "field": field} for field, message, reason in causes],
            ),
        )


class InternalError(ApiError):
    code, reason = 500, "InternalError"
