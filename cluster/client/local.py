"""In-process transport: calls this process's API server without HTTP."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .base import StatusError, WatchEvent

if TYPE_CHECKING:
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiServer


class LocalTransport:
    def __init__(self, server: "ApiServer", user: "UserInfo") -> None:
        self.server = server
        self.user = user

    def _handle(self, method: str, path: str, query: dict[str, str] | None, body: Any, content_type: str) -> Any:
        from cluster.api.server import ApiRequest

        data = b"" if body is None else json.dumps(body).encode()
        response = self.server.handle(ApiRequest(method, path, self.user, dict(query or {}), data, content_type))
        if response.code >= 400:
            raise StatusError(response.body)
        return response

    def request(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json") -> Any:
        return self._handle(method, path, query, body, content_type).body

    def watch(self, path: str, query: dict[str, str]) -> "LocalWatch":
        response = self._handle("GET", path, query, None, "application/json")
        return LocalWatch(response.stream)


class LocalWatch:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.closed = False

    def next(self, timeout: float) -> list[WatchEvent]:
        if self.closed:
            return []
        return [WatchEvent(e.type, e.object) for e in self.stream.poll(timeout)]

    def close(self) -> None:
        self.closed = True
