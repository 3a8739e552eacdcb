"""A thread per dashboard that lists, then watches nodes, pods and events through the API.

Blocking watch polls stay off the event loop: the pump hands each batch of
events to a callback (the consumer's, which crosses back to its loop).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r

logger = logging.getLogger(__name__)
# kind -> (resource, namespace): what the dashboard lists and watches
KINDS = {"nodes": (r.NODES, ""), "pods": (r.PODS, ""), "events": (r.EVENTS, ""),
         "deployments": (r.DEPLOYMENTS, ""), "replicasets": (r.REPLICASETS, ""),
         "trainingjobs": (r.TRAININGJOBS, ""), "leases": (r.LEASES, "kube-node-lease")}
OPTIONAL = {"trainingjobs", "leases"}  # absent (404) or hidden (403) without a word
Batch = list[tuple[str, str, dict[str, Any]]]  # (kind, ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, object)


def _event_time(event: dict[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


class WatchPump:
    def __init__(self, client: ApiClient, on_batch: Callable[[Batch], None], poll: float = 0.05) -> None:
        self.client = client
        self.on_batch = on_batch
        self.poll = poll
        self.stop = threading.Event()
        self.watches: dict[str, Any] = {}
        self.thread: threading.Thread | None = None
        self.forbidden: dict[str, str] = {}  # kind -> the API server's 403 message

    def list(self) -> tuple[dict[str, list[dict[str, Any]]], int]:
        """List every kind and open its watch at the list's revision; returns the
        items and the newest revision they reflect. Raises StatusError (e.g. 403)."""
        items: dict[str, list[dict[str, Any]]] = {}
        revision = 0
        for kind, (resource, namespace) in KINDS.items():
            try:
                listed = self.client.list(resource, namespace)
            except StatusError as error:
                if kind in OPTIONAL and error.code in (403, 404):
                    items[kind] = []  # e.g. the TrainingJob CRD is not installed
                    continue
                if error.code != 403:
                    raise
                self.forbidden[kind] = str(error)  # RBAC: this user does not see these
                items[kind] = []
                continue
            rv = str(listed.get("metadata", {}).get("resourceVersion") or "0")
            revision = max(revision, int(rv) if rv.isdigit() else 0)
            items[kind] = listed.get("items") or []
            self.watches[kind] = self.client.watch(resource, namespace, resource_version=rv)
        items["events"].sort(key=_event_time)
        if not self.watches:
            raise StatusError({"code": 403, "reason": "Forbidden", "message": "; ".join(self.forbidden.values())})
        return items, revision

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="dashboard-watch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                batch: Batch = []
                for kind, watch in self.watches.items():  # one round: nobody blocks
                    batch += [(kind, e.type, e.object) for e in watch.next(0)]
                if not batch:  # quiet: wait on the busiest watch (pods), the others at most ``poll`` late
                    kind, watch = next(((k, w) for k, w in self.watches.items() if k == "pods"),
                                       next(iter(self.watches.items())))
                    batch = [(kind, e.type, e.object) for e in watch.next(self.poll)]
                if batch:
                    self.on_batch(batch)
                    if any(type_ == "ERROR" for _, type_, _ in batch):
                        return  # a watch ended (410 after a restore): the consumer starts afresh, once
        except StatusError as error:  # the watch ended: the consumer starts afresh
            self.on_batch([("", "ERROR", error.status)])
        except Exception:
            logger.exception("dashboard watch failed")
            self.on_batch([("", "ERROR", {})])
        finally:
            for watch in self.watches.values():
                watch.close()
            connection.close()

    def close(self) -> None:
        self.stop.set()
