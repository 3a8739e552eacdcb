"""HTTP transport: talks to an API server in another process, as a real
component talks to kube-apiserver (bearer token, JSON, streaming watch)."""
from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
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
        return HttpWatch(lambda: self.session.get(self.server + path, params=query, stream=True,
                                                  timeout=(self.timeout, None)))


class HttpWatch:
    """Opens the stream and reads its newline-delimited events on a thread, so ``next`` can time out.

    The request is made on that thread too: a server may hold back the response
    headers until the first event, and a quiet resource must not block the caller.
    A refused watch (410 Gone, 403, …) arrives as an ``ERROR`` event carrying the
    Status, as kube-apiserver sends an expired resourceVersion inside the stream."""

    def __init__(self, open_stream: Callable[[], requests.Response]) -> None:
        self.response: requests.Response | None = None
        self.events: queue.Queue[WatchEvent | None] = queue.Queue()
        self.closed = False
        threading.Thread(target=self._read, args=(open_stream,), daemon=True, name="http-watch").start()

    def _read(self, open_stream: Callable[[], requests.Response]) -> None:
        try:
            self.response = open_stream()
            if self.closed:
                return
            if self.response.status_code >= 400:
                self.events.put(WatchEvent("ERROR", decode_status(self.response.content)))
                return
            for line in self.response.iter_lines():
                if line:
                    event = json.loads(line)
                    self.events.put(WatchEvent(event["type"], event["object"]))
        except requests.ConnectionError:
            time.sleep(0.5)  # the API server is away: do not spin reconnecting
        except (requests.RequestException, ValueError, AttributeError):
            pass
        finally:
            self.events.put(None)
            if self.closed and self.response is not None:
                self.response.close()

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
        if self.response is not None:
            self.response.close()
