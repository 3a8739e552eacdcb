"""HTTP transport: talks to an API server in another process, as a real
component talks to kube-apiserver (bearer token, JSON, streaming watch)."""
from __future__ import annotations

import json
import queue
import threading
from typing import Any

import requests

from .base import StatusError, WatchEvent, decode_status


class HttpTransport:
    def __init__(self, server: str, token: str, timeout: float = 30.0) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def request(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json") -> Any:
        data = None if body is None else json.dumps(body)
        response = self.session.request(method, self.server + path, params=query, data=data,
                                        headers={"Content-Type": content_type}, timeout=self.timeout)
        if response.status_code >= 400:
            raise StatusError(decode_status(response.content))
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.text

    def watch(self, path: str, query: dict[str, str]) -> "HttpWatch":
        response = self.session.get(self.server + path, params=query, stream=True, timeout=(self.timeout, None))
        if response.status_code >= 400:
            raise StatusError(decode_status(response.content))
        return HttpWatch(response)


class HttpWatch:
    """Reads the newline-delimited event stream on a thread, so ``next`` can time out."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.events: queue.Queue[WatchEvent | None] = queue.Queue()
        self.closed = False
        threading.Thread(target=self._read, daemon=True, name="http-watch").start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line:
                    event = json.loads(line)
                    self.events.put(WatchEvent(event["type"], event["object"]))
        except (requests.RequestException, ValueError, AttributeError):
            pass
        finally:
            self.events.put(None)

    def next(self, timeout: float) -> list[WatchEvent]:
        if self.closed:
            return []
        try:
            first = self.events.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = []
        item: WatchEvent | None = first
        while True:
            if item is None:
                self.closed = True
                break
            batch.append(item)
            try:
                item = self.events.get_nowait()
            except queue.Empty:
                break
        return batch

    def close(self) -> None:
        self.closed = True
        self.response.close()
