"""KubeletPool: many simulated kubelets in one process, sharing one pod informer.

A real node runs one kubelet watching ``spec.nodeName=<itself>``; hundreds of
simulated nodes in one process instead share a single pod informer indexed by
``spec.nodeName`` and a single work queue (keys ``("pod", ns/name)``,
``("lease", node)``, ``("node", node)``), each key handled by the kubelet of
the node it concerns — with that kubelet's own identity.

The scenario state lives in the API (ConfigMap ``kube-system/kubeviz-scenarios``,
see ``controllers.scenarios``), so ``manage.py scenario`` in another process
reaches the kubelets through the same watch as everything else.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient
from cluster.client import resources as r
from controllers.clock import Profile, SimClock
from controllers.runtime import events
from controllers.runtime.indexes import node_index
from controllers.runtime.informer import Informer
from controllers.runtime.trace import Trace, TraceLog
from controllers.runtime.workqueue import WorkQueue

from .agent import Kubelet, NodeSpec

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
SCENARIO_NAMESPACE = "kube-system"
SCENARIO_CONFIGMAP = "kubeviz-scenarios"
MIN_WORKERS, MAX_WORKERS, NODES_PER_WORKER = 4, 32, 200  # see KubeletPool.workers_wanted


class KubeletPool:
    name = "kubelet"

    def __init__(self, client_for: Callable[[str], ApiClient], watcher: ApiClient, clock: SimClock,
                 profile: Profile, traces: TraceLog | None = None, pods: Informer | None = None) -> None:
        self.client_for = client_for
        self.clock = clock
        self.profile = profile
        self.traces = traces or TraceLog()
        self.queue: WorkQueue[tuple] = WorkQueue(clock, name="kubelet")
        self.kubelets: dict[str, Kubelet] = {}
        self._lock = threading.RLock()
        self._workers: list[threading.Thread] = []
        self._bound: dict[str, str] = {}  # pod key → the node it was bound to (outlives its deletion)
        self._stop: threading.Event | None = None  # set once ``run`` has started the workers
        self.pods = pods or Informer(watcher, r.PODS)
        self.own_pods_informer = pods is None
        if "node" not in getattr(self.pods, "_indexers", {}):
            self.pods.add_index("node", node_index)
        self.pods.add_handler(self._on_pod)
        self.nodes = Informer(watcher, r.NODES)
        self.nodes.add_handler(self._on_node)
        self.scenarios = Informer(watcher, r.CONFIGMAPS, SCENARIO_NAMESPACE,
                                  field_selector=f"metadata.name={SCENARIO_CONFIGMAP}")
        self.scenarios.add_handler(self._on_scenarios)

    # -- membership --------------------------------------------------------------------
    def add(self, spec: NodeSpec, state: str = "running") -> Kubelet:
        with self._lock:
            kubelet = self.kubelets.get(spec.name)
            if kubelet is None:
                kubelet = Kubelet(spec, self.client_for(spec.name), self.clock, self.profile, self._requeue)
                self.kubelets[spec.name] = kubelet
                self._scale_workers()
        kubelet.set_state(state)
        return kubelet

    def remove(self, name: str) -> None:
        with self._lock:
            kubelet = self.kubelets.pop(name, None)
            self._bound = {key: node for key, node in self._bound.items() if node != name}
        if kubelet is not None:
            kubelet.stop()

    def _requeue(self, key: tuple, delay: float) -> None:
        self.queue.add_after(key, delay) if delay > 0 else self.queue.add(key)

    # -- informer handlers: map to keys ------------------------------------------------
    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        pod = new or old
        node = ((pod or {}).get("spec") or {}).get("nodeName")
        if node and node in self.kubelets:
            key = _key(pod)  # type: ignore[arg-type]
            self._bound[key] = node
            self.queue.add(("pod", key))

    def _on_node(self, old: Obj | None, new: Obj | None) -> None:
        name = (new or old)["metadata"]["name"]  # type: ignore[index]
        if name in self.kubelets:
            self.queue.add(("node", name))

    def _on_scenarios(self, old: Obj | None, new: Obj | None) -> None:
        data = (new or {}).get("data") or {}
        wanted: dict[str, Obj] = {}
        for k, v in data.items():
            if k.startswith("node."):
                try:
                    wanted[k[5:]] = json.loads(v)
                except ValueError:
                    logger.warning("scenario entry %s is not JSON", k)
        for name, entry in wanted.items():
            state = entry.get("state", "running")
            if state == "removed":
                self.remove(name)
                continue
            kubelet = self.kubelets.get(name)
            if kubelet is None:
                if entry.get("spec") is None:
                    continue  # a node not simulated here
                self.add(NodeSpec.from_dict(name, entry["spec"]), state)
            else:
                kubelet.set_state(state)

    # -- the work ----------------------------------------------------------------------
    def process_next(self, timeout: float | None = 0.0) -> bool:
        key = self.queue.get(timeout)
        if key is None:
            return False
        kind, ident = key
        trace = Trace(self.name, f"{kind}:{ident}", self.clock.now())
        try:
            if kind == "pod":
                pod = self.pods.get(ident)
                # Gone from the API: the kubelet it was bound to lets go of it (looked up,
                # not searched for among 5,000 kubelets on every deletion).
                node = ((pod or {}).get("spec") or {}).get("nodeName") or self._bound.get(ident)
                kubelet = self.kubelets.get(node) if node else None
                if kubelet is not None:
                    with kubelet.lock:
                        kubelet.sync_pod(ident, pod)
                if pod is None:
                    self._bound.pop(ident, None)
            elif kind == "lease":
                kubelet = self.kubelets.get(ident)
                if kubelet is not None:
                    with kubelet.lock:
                        kubelet.renew_lease()
            elif kind == "resync":
                kubelet = self.kubelets.get(ident)
                keys = {_key(pod) for pod in self.pods.by_index("node", ident)}
                for key in keys | set(kubelet.pods if kubelet else ()):
                    self.queue.add(("pod", key))
            elif kind == "node":
                kubelet = self.kubelets.get(ident)
                if kubelet is not None:
                    with kubelet.lock:
                        kubelet.sync_node(self.nodes.get(ident))
            self.queue.forget(key)
        except Exception as error:  # a conflict or a busy database: try again shortly
            logger.debug("kubelet %s failed: %s", key, error)
            trace.result, trace.error = "error", str(error)
            self.traces.record(trace)
            self.queue.add_rate_limited(key)
        finally:
            self.queue.done(key)
        return True

    def informers(self) -> list[Informer]:
        return ([self.pods] if self.own_pods_informer else []) + [self.nodes, self.scenarios]

    def step_informers(self) -> int:
        return sum(informer.step(0.0) for informer in self.informers())

    def drain(self) -> int:
        done = 0
        while self.process_next(0.0):
            done += 1
        return done

    def log_source(self, pod: Obj, container: str) -> str:
        node = (pod.get("spec") or {}).get("nodeName")
        kubelet = self.kubelets.get(node) if node else None
        return kubelet.logs(pod, container) if kubelet is not None else ""

    def workers_wanted(self) -> int:
        """One worker per ``NODES_PER_WORKER`` kubelets, at least ``MIN_WORKERS``: a
        worker mostly waits for its write's group commit, so more of them put more
        Lease renewals in each commit (5,000 nodes renew 500 times a second)."""
        return max(MIN_WORKERS, min(MAX_WORKERS, len(self.kubelets) // NODES_PER_WORKER))

    def _scale_workers(self) -> None:
        with self._lock:
            stop = self._stop
            while stop is not None and len(self._workers) < self.workers_wanted():
                thread = threading.Thread(target=self._work, args=(stop,), daemon=True,
                                          name=f"kubelet-{len(self._workers)}")
                thread.start()
                self._workers.append(thread)

    def _work(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.process_next(timeout=0.5)

    def run(self, stop: threading.Event) -> list[threading.Thread]:
        """Informers and the worker threads (more as kubelets join)."""
        threads = [events.broadcaster.start(stop)]  # live: Events are queued, not awaited
        for informer in self.informers():
            informer.relist()
            thread = threading.Thread(target=informer.run, args=(stop,), daemon=True,
                                      name=f"kubelet-informer-{informer.resource.plural}")
            thread.start()
            threads.append(thread)
        with self._lock:
            self._stop = stop
            self._scale_workers()
            return threads + list(self._workers)


def _key(pod: Obj) -> str:
    return f"{pod['metadata'].get('namespace', 'default')}/{pod['metadata']['name']}"
