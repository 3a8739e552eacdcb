"""ControllerManager: shared informers (one per resource) and the controllers that read them.

Like kube-controller-manager's SharedInformerFactory: every controller that
cares about pods reads the same pod cache, so N controllers cost one watch,
not N. ``sync()`` drives everything to quiescence deterministically (tests);
``run(stop)`` starts a thread per informer and per controller (the live server).

Only the leader acts: ``enable_leader_election`` makes the manager a candidate
for the ``kube-system/kube-controller-manager`` Lease; its informers keep their
caches warm while it stands by, but no controller reconciles (``drain`` does
nothing, the workers wait) until it holds the Lease, and they stop when it
loses it. ``run`` enables it when nobody did (in ``runcluster`` it simply wins).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from cluster.client import ApiClient
from cluster.client import resources as r
from controllers.clock import DEMO, Profile, SimClock
from controllers.leaderelection import LeaderElected, LeaderElector
from controllers.runtime import events
from controllers.runtime.controller import Controller
from controllers.runtime.indexes import controller_index, namespace_index, node_index
from controllers.runtime.informer import Informer
from controllers.runtime.trace import TraceLog

logger = logging.getLogger(__name__)
Obj = dict[str, Any]

SHARED = {
    "Pod": r.PODS, "Node": r.NODES, "Lease": r.LEASES, "Deployment": r.DEPLOYMENTS, "ReplicaSet": r.REPLICASETS,
    "Service": r.SERVICES, "Endpoints": r.ENDPOINTS, "Namespace": r.NAMESPACES, "Job": r.JOBS,
}


def shared_informers(client: ApiClient, kinds: dict[str, r.Resource] = SHARED) -> dict[str, Informer]:
    informers = {kind: Informer(client, resource) for kind, resource in kinds.items()}
    for kind, informer in informers.items():
        if kinds[kind].namespaced:
            informer.add_index("namespace", namespace_index)
    if "Pod" in informers:
        informers["Pod"].add_index("node", node_index)
        informers["Pod"].add_index("controller", controller_index)
    return informers


LEADER_LEASE = "kube-controller-manager"


class ControllerManager(LeaderElected):
    lease_name = LEADER_LEASE
    elector: LeaderElector | None = None

    def __init__(self, client: ApiClient, clock: SimClock, profile: Profile = DEMO, traces: TraceLog | None = None,
                 informers: dict[str, Informer] | None = None, controllers: tuple[str, ...] | None = None) -> None:
        from controllers.deployment.controller import DeploymentController
        from controllers.endpoints.controller import EndpointsController
        from controllers.garbagecollector.controller import GarbageCollector
        from controllers.job.controller import JobController
        from controllers.namespace.controller import NamespaceController
        from controllers.nodelifecycle.controller import NodeLifecycleController
        from controllers.replicaset.controller import ReplicaSetController

        self.client = client
        self.clock = clock
        self.profile = profile
        self.traces = traces or TraceLog()
        self.informers = informers if informers is not None else shared_informers(client)
        args = (client, clock, self.traces, self.informers)
        factories = {
            "replicaset": lambda: ReplicaSetController(*args),
            "deployment": lambda: DeploymentController(*args),
            "nodelifecycle": lambda: NodeLifecycleController(*args, profile=profile),
            "endpoints": lambda: EndpointsController(*args),
            "namespace": lambda: NamespaceController(*args),
            "garbagecollector": lambda: GarbageCollector(*args),
            "job": lambda: JobController(*args, profile=profile),
        }
        wanted = controllers or tuple(factories)
        self.controllers: dict[str, Controller] = {name: factories[name]() for name in wanted}
        self._leading = threading.Event()

    # -- deterministic driving (tests) -------------------------------------------------
    def step_informers(self) -> int:
        return sum(informer.step(0.0) for informer in self.informers.values())

    def drain(self) -> int:
        done = 0
        for controller in self.controllers.values():
            while self.leading and controller.process_next(0.0):
                done += 1
        return done

    def sync(self, max_rounds: int = 200) -> int:
        """Step informers and drain queues until nothing moves; returns how many reconciles ran."""
        total = 0
        for _ in range(max_rounds):
            moved = self.step_informers()
            work = self.drain()
            total += work
            if not moved and not work:
                return total
        raise RuntimeError("controller manager did not settle")

    # -- live --------------------------------------------------------------------------
    def run(self, stop: threading.Event, workers: int = 1, leader_elect: bool = True) -> list[threading.Thread]:
        threads = [events.broadcaster.start(stop)]  # live: Events are queued, not awaited
        for informer in self.informers.values():
            informer.relist()  # sync the caches before controllers read them
        for informer in self.informers.values():
            thread = threading.Thread(target=informer.run, args=(stop,), daemon=True,
                                      name=f"informer-{informer.resource.plural}")
            thread.start()
            threads.append(thread)
        if leader_elect and self.elector is None:
            self.enable_leader_election()
        for controller in self.controllers.values():
            threads += [self._worker(controller, stop, i) for i in range(workers)]
        if self.elector is not None:
            threads.append(self.elector.run(stop))
        return threads

    def _worker(self, controller: Controller, stop: threading.Event, index: int) -> threading.Thread:
        def work() -> None:
            while not stop.is_set():
                if self.elector is not None and not self._leading.wait(0.5):
                    continue  # standing by
                controller.process_next(timeout=0.2)

        thread = threading.Thread(target=work, daemon=True, name=f"{controller.name}-{index}")
        thread.start()
        return thread
