"""The API client the control plane uses: one interface, two transports.

``ApiClient(LocalTransport(server, user))`` calls this process's API server
directly; ``ApiClient(HttpTransport(url, token))`` talks HTTP to one in another
process. Either way the request is authenticated as ``user``, authorised,
admitted and audited — the client never touches the store.
"""
from .base import ApiClient, StatusError, WatchEvent
from .resources import Resource

__all__ = ["ApiClient", "Resource", "StatusError", "WatchEvent"]
