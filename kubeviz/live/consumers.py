"""The dashboard's websocket: a snapshot on connect, then coalesced deltas.

On connect the consumer lists nodes, pods and events (viewers see everything:
the dashboard reads as itself; actions go as the logged-in user), renders
every live region with the revision it reflects and opens watches from there.
Changes mark keys dirty; at most once per ``FLUSH_INTERVAL`` seconds whatever
is dirty is rendered once and sent as one message of out-of-band swaps — a
thousand changes in a burst are one repaint.
A watch that ends (compaction, a restart) closes the socket; the ws extension
reconnects and the new connection starts with a fresh snapshot.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from cluster.client import ApiClient, StatusError

from . import render, sources
from .pump import Batch, WatchPump
from .state import ClusterState

logger = logging.getLogger(__name__)
FLUSH_INTERVAL = 0.15  # seconds: at most one repaint per window while changes keep coming
IDLE_POLL = 0.5  # seconds: how often the feeds without watches (traces, audit, etcd) are read when quiet
FEED_LIMIT = 30
TRACE_LOOKBACK = 500  # traces searched for the ones the control-loop filter shows
TICK = 1.0  # seconds between redraws of a failing node's countdown
RECONNECT = 4012  # close code: "start afresh" (dashboard.js reconnects on it)


def client_for(user: Any) -> ApiClient:
    from cluster.api.authn import user_from_django
    from cluster.api.service import api_server
    from cluster.client.local import LocalTransport

    return ApiClient(LocalTransport(api_server(), user_from_django(user)))


DASHBOARD_READER = "system:kubeviz-dashboard"


def reader_client() -> ApiClient:
    """What the page is drawn from: viewers see everything, so the map, feeds and
    workloads are listed and watched by the dashboard itself (it only lists and
    watches); every action — buttons, the admin — goes as the logged-in user, and
    RBAC decides (a viewer's click is a 403)."""
    from cluster.api.identity import AUTHENTICATED, MASTERS, UserInfo
    from cluster.api.service import api_server
    from cluster.client.local import LocalTransport

    return ApiClient(LocalTransport(api_server(), UserInfo(DASHBOARD_READER, (MASTERS, AUTHENTICATED))))


def read_changes(revision: int, limit: int, prefix: str = "") -> tuple[list[Any], int, Any]:
    from cluster.api import telemetry

    status = telemetry.store_status()
    start = max(revision, status.revision - limit) if revision else status.revision - limit
    changes, upto = telemetry.changes_since(start, prefix=prefix, limit=limit)
    return changes, max(upto, status.revision), status


PREFIX_WINDOW = 5_000  # revisions searched back for the newest changes under a prefix


def read_prefixed(prefix: str, limit: int) -> tuple[list[Any], int]:
    """The newest ``limit`` changes under ``prefix`` in the last PREFIX_WINDOW revisions, oldest first."""
    from cluster.api import telemetry

    status = telemetry.store_status()
    start = max(status.compact_revision, status.revision - PREFIX_WINDOW)
    found: list[Any] = []
    while True:
        changes, upto = telemetry.changes_since(start, prefix=prefix, limit=PREFIX_WINDOW)
        found = (found + changes)[-limit:]
        if upto <= start or upto >= status.revision:
            return found, max(upto, status.revision)
        start = upto


class DashboardConsumer(AsyncWebsocketConsumer):
    flush_interval = FLUSH_INTERVAL

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()
        self.loop = asyncio.get_running_loop()
        self.inbox: list[tuple[str, str, dict[str, Any]]] = []
        self.wake = asyncio.Event()
        self.state = ClusterState(clock=sources.now_and_profile)
        self.cdc_prefix = ""
        self.sched_pod = ""  # the scheduler panel: every pod's newest decisions, or one pod's
        self.trace_controller, self.trace_idle = "", False  # idle passes (nothing to do) hidden at first
        self.last_tick = self.last_flush = 0.0
        self.trace_seq = self.audit_seq = self.cdc_revision = 0
        self.last_decision: int | None = None
        self.messages_sent = 0
        self.pump = WatchPump(reader_client(), self._from_thread)
        try:
            items, revision = await sync_to_async(self.pump.list, thread_sensitive=False)()
        except StatusError as error:
            await self.send(text_data=f'<div id="flash" class="flash error">{error}</div>')
            await self.close(code=4403)
            return
        for kind, objects in items.items():
            self.state.load(kind, objects)
        self.state.revision = max(self.state.revision, revision)
        extras = await self._extras(snapshot=True)
        for message in render.snapshot_messages(self.state, extras, can_act=True):
            await self._send(message)
        if self.pump.forbidden:
            await self.send(text_data=render.flash("Hidden from you by RBAC: " + "; ".join(self.pump.forbidden.values())))
        self.pump.start()
        self.flusher = asyncio.create_task(self._flush_loop())

    async def disconnect(self, code: int) -> None:
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.close()
        flusher = getattr(self, "flusher", None)
        if flusher is not None:
            flusher.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The page sends three things (htmx ``ws-send`` forms): the etcd panel's key prefix
        filter, the control-loop panel's filter (one controller; idle passes or not) and
        the scheduler panel's pod."""
        try:
            message = json.loads(text_data or "{}")
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if "trace_filter" in message:
            self.trace_controller = str(message.get("trace_controller") or "").strip()[:100]
            self.trace_idle = bool(message.get("trace_idle"))
            feed = sources.trace_feed()
            traces = self._wanted(feed.since(0, TRACE_LOOKBACK)[0]) if feed is not None else []
            await self._send(render.traces_html(list(reversed(traces[-FEED_LIMIT:])), self.trace_controller,
                                                self.trace_idle))
            return
        if "sched_pod" in message:
            self.sched_pod = str(message.get("sched_pod") or "").strip()[:300]
            decisions = sources.scheduler_decisions(pod=self.sched_pod)
            self.last_decision = id(decisions[-1]) if decisions else None
            await self._send(render.scheduler(list(reversed(decisions)), self.sched_pod,
                                              sources.plane() is not None))
            return
        if "cdc_prefix" not in message:
            return
        self.cdc_prefix = str(message.get("cdc_prefix") or "").strip()[:200]
        changes, upto = await sync_to_async(read_prefixed, thread_sensitive=False)(self.cdc_prefix, FEED_LIMIT)
        self.cdc_revision = upto
        await self._send(render.cdc(list(reversed(changes)), self.cdc_prefix))

    def _wanted(self, traces: list[Any]) -> list[Any]:
        """The traces the control-loop panel shows under its filter (oldest first)."""
        return [t for t in traces if (not self.trace_controller or t.controller == self.trace_controller)
                and (self.trace_idle or not render.idle(t))]

    # -- the pump's thread hands batches over here ----------------------------------
    def _from_thread(self, batch: Batch) -> None:
        self.loop.call_soon_threadsafe(self._receive_batch, batch)

    def _receive_batch(self, batch: Batch) -> None:
        self.inbox.extend(batch)
        self.wake.set()

    # -- flushing ---------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        try:
            while True:
                try:
                    await asyncio.wait_for(self.wake.wait(), IDLE_POLL)
                except TimeoutError:
                    pass
                # A throttle, not a debounce: a lone change is drawn at once; during a burst
                # at most one repaint per flush_interval carries everything since the last.
                since = self.loop.time() - self.last_flush
                if since < self.flush_interval:
                    await asyncio.sleep(self.flush_interval - since)
                self.wake.clear()
                self.last_flush = self.loop.time()
                if not await self.flush():
                    return
        except asyncio.CancelledError:
            pass

    async def flush(self) -> bool:
        """Apply what arrived, send one delta; False when the socket was closed."""
        inbox, self.inbox = self.inbox, []
        before = self.state.revision
        for kind, type_, obj in inbox:
            if type_ == "ERROR":
                # The watch ended (410 after an etcd restore): close with RECONNECT, on which
                # dashboard.js reconnects, and a reconnect gets a fresh snapshot. Not 1012
                # "service restart", which the htmx ws extension would answer by itself:
                # daphne's autobahn refuses to send any code but 1000 and 3000-4999.
                await self.close(code=RECONNECT)
                return False
            self.state.apply(kind, type_, obj)
        now = self.loop.time()
        if now - self.last_tick >= TICK:  # failing nodes count down
            self.last_tick = now
            self.state.tick()
        ops = self.state.flush()
        extras = await self._extras(snapshot=False)
        changed = self.state.revision != before
        if not (ops or changed or extras.traces or extras.audit or extras.changes or extras.decisions is not None):
            return True
        html = render.delta(self.state, ops, extras, can_act=True, revision_changed=changed)
        if len(html) * 2 > render.MESSAGE_BUDGET and len(html.encode()) > render.MESSAGE_BUDGET:
            # too big for one message (a huge burst): draw everything afresh, in parts
            for message in render.snapshot_messages(self.state, extras, can_act=True):
                await self._send(message)
            return True
        await self._send(html)
        return True

    async def _send(self, html: str) -> None:
        self.messages_sent += 1
        await self.send(text_data=html)

    async def _extras(self, snapshot: bool) -> render.Extras:
        extras = render.Extras(has_plane=sources.plane() is not None)
        traces = sources.trace_feed()
        if traces is not None:
            items, self.trace_seq = traces.since(self.trace_seq, TRACE_LOOKBACK)
            extras.traces = list(reversed(self._wanted(items)[-FEED_LIMIT:]))
        items, self.audit_seq = sources.audit_feed().since(self.audit_seq, FEED_LIMIT)
        extras.audit = list(reversed(items))
        try:
            changes, upto, status = await sync_to_async(read_changes, thread_sensitive=False)(
                self.cdc_revision, FEED_LIMIT, self.cdc_prefix)
        except Exception:  # the etcd panel is telemetry: a busy database skips one read
            logger.debug("store status unavailable", exc_info=True)
        else:
            if snapshot or upto != self.cdc_revision:
                extras.changes, extras.status = list(reversed(changes)), status
            self.cdc_revision = upto
        decisions = sources.scheduler_decisions(pod=self.sched_pod)
        marker = id(decisions[-1]) if decisions else None
        if snapshot or marker != self.last_decision:
            extras.decisions = list(reversed(decisions))
            self.last_decision = marker
        return extras
