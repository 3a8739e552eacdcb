"""EventRecorder: core/v1 Events written through the API, repeats aggregated.

Like client-go's ``record.EventRecorder`` with its correlator: an Event with the
same involved object, reason, message and source as one recorded recently is
not written again — the existing Event's ``count`` goes up and its
``lastTimestamp`` moves. Recording never fails the caller: an Event is telemetry.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Mapping

from cluster.client import ApiClient, StatusError
from cluster.client.resources import EVENTS
from controllers.clock import SimClock, to_rfc3339, to_rfc3339_micro

logger = logging.getLogger(__name__)
NORMAL = "Normal"
WARNING = "Warning"
_CACHE_SIZE = 4096  # client-go's maxLruCacheEntries


def object_reference(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref = {"kind": obj.get("kind", ""), "apiVersion": obj.get("apiVersion", ""), "name": meta.get("name", "")}
    for key in ("namespace", "uid", "resourceVersion"):
        if meta.get(key):
            ref[key] = meta[key]
    return ref


class EventRecorder:
    def __init__(self, client: ApiClient, component: str, clock: SimClock, host: str = "") -> None:
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self._lock = threading.Lock()
        # aggregation key → the Event as last written
        self._seen: OrderedDict[tuple, dict[str, Any]] = OrderedDict()

    def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.record(obj, NORMAL, reason, message)

    def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        self.record(obj, WARNING, reason, message)

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str) -> dict[str, Any] | None:
        ref = object_reference(obj)
        namespace = ref.get("namespace") or "default"  # cluster-scoped objects' Events live in default
        key = (ref["kind"], namespace, ref["name"], ref.get("uid"), type_, reason, message)
        now = self.clock.now()
        try:
            with self._lock:
                previous = self._seen.get(key)
            if previous is not None:
                event = self._bump(previous, now)
            else:
                event = self._create(ref, namespace, type_, reason, message, now)
            with self._lock:
                self._seen[key] = event
                self._seen.move_to_end(key)
                while len(self._seen) > _CACHE_SIZE:
                    self._seen.popitem(last=False)
            return event
        except StatusError as error:
            logger.debug("%s: event %s %s not recorded: %s", self.component, reason, ref["name"], error)
            with self._lock:
                self._seen.pop(key, None)
            return None

    def _create(self, ref: dict, namespace: str, type_: str, reason: str, message: str, now: float) -> dict:
        # Real Event names are <object>.<hex nanoseconds>, unique per occurrence.
        name = f"{ref['name']}.{int(now * 1e9):x}"
        source: dict[str, str] = {"component": self.component}
        if self.host:
            source["host"] = self.host
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "type": type_,
            "source": source, "count": 1,
            "firstTimestamp": to_rfc3339(now), "lastTimestamp": to_rfc3339(now),
            "eventTime": None, "reportingComponent": self.component, "reportingInstance": self.host,
        }
        try:
            return self.client.create(EVENTS, body, namespace)
        except StatusError as error:
            if error.code != 409:
                raise
            body["metadata"]["name"] = f"{name}{to_rfc3339_micro(now)[-7:-1]}"
            return self.client.create(EVENTS, body, namespace)

    def _bump(self, event: dict, now: float) -> dict:
        body = dict(event)
        body["count"] = int(event.get("count") or 1) + 1
        body["lastTimestamp"] = to_rfc3339(now)
        try:
            return self.client.update(EVENTS, body)
        except StatusError as error:
            if error.not_found:  # expired or deleted: start a new one
                ref = event["involvedObject"]
                return self._create(ref, event["metadata"]["namespace"], event["type"], event["reason"],
                                    event["message"], now)
            if not error.conflict:
                raise
            live = self.client.get(EVENTS, event["metadata"]["name"], event["metadata"]["namespace"])
            live["count"] = int(live.get("count") or 1) + 1
            live["lastTimestamp"] = to_rfc3339(now)
            return self.client.update(EVENTS, live)
