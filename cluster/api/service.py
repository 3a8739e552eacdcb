"""This process's API server, created on first use."""
from __future__ import annotations

import threading

from .server import ApiServer

_lock = threading.Lock()
_server: ApiServer | None = None


def api_server() -> ApiServer:
    global _server
    with _lock:
        if _server is None:
            _server = ApiServer()
        return _server


def reset() -> None:
    """Forget the process's API server (tests that swap databases use this)."""
    global _server
    with _lock:
        _server = None


def start_background(lessor_interval: float = 0.5) -> ApiServer:
    """Start what a running API server needs beside request handling: the watch
    hub's tailer and the store's lessor (etcd lease expiry). Bootstraps the
    system namespaces and default RBAC. Called by ``runcluster``, never on import."""
    import time

    from cluster.store import get_hub, get_store

    from .bootstrap import ensure_bootstrap

    server = api_server()
    get_hub().start()
    ensure_bootstrap(server)

    def expire() -> None:
        store = get_store()
        while True:
            try:
                store.expire_leases()
            except Exception:  # a busy database: the next tick retries
                pass
            time.sleep(lessor_interval)

    threading.Thread(target=expire, name="lessor", daemon=True).start()
    from .retention import start_retention

    start_retention(get_store())  # compaction of the change log, Event TTL
    return server
