"""The scheduler's loop: informers keep NodeInfos current, the queue feeds ``schedule()``, binds go through the API.

Like kube-scheduler's ``scheduleOne``: pop the next pod, run the filters and
scores against a snapshot of the NodeInfos, *assume* the pod on the chosen node
(so the next pod already sees its requests), bind through ``pods/binding``,
and emit ``Scheduled`` — or park the pod as unschedulable with a
``FailedScheduling`` event worded as kube-scheduler words it. Cluster events
(node added, taint removed, pod deleted) move parked pods back to the queue.

Only the leader of the ``kube-system/kube-scheduler`` Lease schedules
(``enable_leader_election``; ``run`` enables it when nobody did): a standby
keeps its cache and queue current and binds nothing.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from cluster.client import ApiClient, StatusError
from controllers.clock import Profile, SimClock
from controllers.leaderelection import LeaderElected, LeaderElector
from controllers.runtime import events
from controllers.runtime.events import EventRecorder
from controllers.runtime.informer import Informer
from controllers.runtime.trace import Trace, TraceLog

from . import queue as q
from .decisions import DecisionLog
from .framework import NodeInfo, ScheduleDecision
from .schedule import failed_scheduling_message, schedule

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
SCHEDULER_NAME = "default-scheduler"


def _is_ours(pod: Obj) -> bool:
    return ((pod.get("spec") or {}).get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME


def _unassigned(pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    phase = (pod.get("status") or {}).get("phase")
    return not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp") \
        and phase not in ("Succeeded", "Failed")


class Scheduler(LeaderElected):
    name = "scheduler"
    lease_name = "kube-scheduler"
    elector: LeaderElector | None = None

    def __init__(self, client: ApiClient, clock: SimClock, traces: TraceLog, pods: Informer, nodes: Informer,
                 profile: Profile, keep_decisions: int = 200) -> None:
        self.client = client
        self.clock = clock
        self.traces = traces
        self.pods = pods
        self.nodes = nodes
        self.queue = q.SchedulingQueue(clock, profile.pod_initial_backoff, profile.pod_max_backoff)
        self.recorder = EventRecorder(client, SCHEDULER_NAME, clock)
        self.node_infos: dict[str, NodeInfo] = {}
        self._assigned: dict[str, str] = {}  # pod key → node, as the cache (or our assumption) says
        self._lock = threading.RLock()
        self.decisions = DecisionLog(keep_decisions)
        self._start_index = 0
        self.profile = profile
        self._leading = threading.Event()
        pods.add_handler(self._on_pod)
        nodes.add_handler(self._on_node)

    # -- the cache ---------------------------------------------------------------------
    def _on_node(self, old: Obj | None, new: Obj | None) -> None:
        with self._lock:
            if new is None:
                self.node_infos.pop(old["metadata"]["name"], None)  # type: ignore[index]
                return
            name = new["metadata"]["name"]
            info = self.node_infos.get(name)
            if info is None:
                pods = [p for k, p in ((k, self.pods.get(k)) for k, n in self._assigned.items() if n == name) if p]
                self.node_infos[name] = NodeInfo(new, pods)
                self.queue.on_event(q.NODE_ADDED)
                return
            before = (info.taints, info.labels, info.unschedulable, info.alloc_cpu, info.alloc_mem, info.alloc_pods)
            info.set_node(new)
        if before[0] != info.taints:
            self.queue.on_event(q.NODE_TAINT_CHANGED)
        if before[1] != info.labels:
            self.queue.on_event(q.NODE_LABEL_CHANGED)
        if before[2] != info.unschedulable:
            self.queue.on_event(q.NODE_SCHEDULABLE_CHANGED)
        if before[3:] != (info.alloc_cpu, info.alloc_mem, info.alloc_pods):
            self.queue.on_event(q.NODE_ALLOCATABLE_CHANGED)

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        pod = new or old
        assert pod is not None
        key = q.pod_key(pod)
        if new is None:
            self.queue.delete(key)
            if self._forget(key):
                self.queue.on_event(q.ASSIGNED_POD_DELETED)
            return
        node = (new.get("spec") or {}).get("nodeName")
        if node:
            self.queue.delete(key)
            finished = (new.get("status") or {}).get("phase") in ("Succeeded", "Failed")
            if finished:  # a finished pod no longer holds its requests
                if self._forget(key):
                    self.queue.on_event(q.ASSIGNED_POD_DELETED)
                return
            with self._lock:
                self._assigned[key] = node
                info = self.node_infos.get(node)
                if info is not None:
                    info.add_pod(new)
            if old is None or not (old.get("spec") or {}).get("nodeName"):
                self.queue.on_event(q.ASSIGNED_POD_ADDED)
        elif _is_ours(new):
            if _unassigned(new):
                self.queue.update(new) if old is not None else self.queue.add(new)
            else:
                self.queue.delete(key)

    def _forget(self, key: str) -> bool:
        with self._lock:
            node = self._assigned.pop(key, None)
            info = self.node_infos.get(node) if node else None
            if info is not None:
                info.remove_pod(key)
            return node is not None

    # -- one scheduling cycle ----------------------------------------------------------
    def process_next(self, timeout: float | None = 0.0) -> bool:
        queued = self.queue.pop(timeout)
        if queued is None:
            return False
        pod = self.pods.get(queued.key) or queued.pod
        if not _unassigned(pod):
            self.queue.done(queued.key)
            return True
        started = time.perf_counter()
        trace = Trace(self.name, queued.key, self.clock.now())
        with self._lock:
            infos = list(self.node_infos.values())
            decision = schedule(pod, infos, start_index=self._start_index)
            self._start_index = decision.next_start_index
            if decision.node:  # assume: the next pod must see this one's requests
                assumed = {**pod, "spec": {**pod["spec"], "nodeName": decision.node}}
                self.node_infos[decision.node].add_pod(assumed)
                self._assigned[queued.key] = decision.node
        trace.observed = {"nodes": decision.num_all_nodes, "feasible": len(decision.feasible)}
        if decision.node:
            self._bind(pod, queued, decision, trace)
        else:
            self._unschedulable(pod, queued, decision, trace)
        trace.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        self.traces.record(trace)
        self.decisions.append(decision, self.clock.now())
        return True

    def _bind(self, pod: Obj, queued: q.QueuedPodInfo, decision: ScheduleDecision, trace: Trace) -> None:
        ns, name = pod["metadata"].get("namespace", "default"), pod["metadata"]["name"]
        try:
            self.client.bind(ns, name, decision.node)  # type: ignore[arg-type]
        except StatusError as error:
            self._forget(queued.key)
            trace.result, trace.error = "error", str(error)
            if error.not_found or error.conflict:
                self.queue.done(queued.key)  # deleted, or bound by someone else: nothing to retry
            else:
                self.queue.add_unschedulable(queued, set())
                self.queue.on_event(q.UNSCHEDULABLE_TIMEOUT)
            return
        trace.act(f"bind pod {ns}/{name} to {decision.node}")
        self.queue.done(queued.key)
        self.recorder.normal(pod, "Scheduled", f"Successfully assigned {ns}/{name} to {decision.node}")

    def _unschedulable(self, pod: Obj, queued: q.QueuedPodInfo, decision: ScheduleDecision, trace: Trace) -> None:
        plugins = {decision.filters[idx] for idx, _ in decision.rejected.values()}
        # v1.31's wording (our kubelets report v1.31.0): the taint is named, as issue #4 quotes it.
        message = failed_scheduling_message(decision, legacy_taint_detail=True)
        trace.result, trace.error = "requeue", message
        self.queue.add_unschedulable(queued, plugins)
        self.recorder.warning(pod, "FailedScheduling", message)

    # -- driving -----------------------------------------------------------------------
    def drain(self) -> int:
        done = 0
        while self.leading and self.process_next(0.0):
            done += 1
        return done

    def run(self, stop: threading.Event, leader_elect: bool = True) -> threading.Thread:
        events.broadcaster.start(stop)  # live: Events are queued, not awaited
        if leader_elect and self.elector is None:
            self.enable_leader_election()
        if self.elector is not None:
            self.elector.run(stop)

        def work() -> None:
            while not stop.is_set():
                if self.elector is not None and not self._leading.wait(0.5):
                    continue  # standing by
                try:
                    self.process_next(timeout=0.2)
                except Exception:
                    logger.exception("scheduling cycle failed")
                    stop.wait(0.5)

        thread = threading.Thread(target=work, name="kube-scheduler", daemon=True)
        thread.start()
        return thread
