"""The control plane in one process: clock driver, controller manager, scheduler, kubelets.

``ControlPlane`` wires the components to an in-process API server, each with
its own identity (so RBAC and the node authorizer apply as in a real cluster):

* controllers as ``system:kube-controller-manager``;
* the scheduler as ``system:kube-scheduler``;
* each kubelet as ``system:node:<name>`` in ``system:nodes``; the pool's shared
  watches use ``system:kubeviz:kubelet-pool`` (a ClusterRole created here).

Tests call ``sync()`` / ``run_for(seconds)`` (deterministic, no sleeps);
``runcluster`` calls ``start_control_plane`` (threads, real-time clock).
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from cluster.client.local import LocalTransport
from controllers.clock import DEMO, Profile, SimClock
from controllers.kubelet.agent import NodeSpec
from controllers.kubelet.pool import KubeletPool
from controllers.manager import ControllerManager
from controllers.runtime.trace import TraceLog
from controllers.scheduler.loop import Scheduler

if TYPE_CHECKING:
    from cluster.api.server import ApiServer

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
AUTHENTICATED = "system:authenticated"
POOL_USER = "system:kubeviz:kubelet-pool"


def local_client(server: "ApiServer", user: str, *groups: str) -> ApiClient:
    from cluster.api.identity import UserInfo

    return ApiClient(LocalTransport(server, UserInfo(user, (*groups, AUTHENTICATED))))


def admin_client(server: "ApiServer") -> ApiClient:
    return local_client(server, "kubeviz:control-plane-bootstrap", "system:masters")


def ensure_pool_role(admin: ApiClient) -> None:
    """The kubelet pool watches every pod and node, and the scenario ConfigMap."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": POOL_USER},
            "rules": [{"apiGroups": [""], "resources": ["pods", "nodes", "configmaps"],
                       "verbs": ["get", "list", "watch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": POOL_USER},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": POOL_USER},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": POOL_USER}]}
    for resource, body in ((r.CLUSTERROLES, role), (r.CLUSTERROLEBINDINGS, binding)):
        try:
            admin.create(resource, body)
        except StatusError as error:
            if error.code != 409:
                raise


def node_names(count: int) -> list[str]:
    return [f"node-{i}" for i in range(1, count + 1)]


class ControlPlane:
    def __init__(self, server: "ApiServer", clock: SimClock, profile: Profile = DEMO,
                 traces: TraceLog | None = None) -> None:
        from cluster.api.identity import NODES_GROUP

        self.server = server
        self.clock = clock
        self.profile = profile
        self.traces = traces or TraceLog()
        self.admin = admin_client(server)
        ensure_pool_role(self.admin)
        self.manager = ControllerManager(local_client(server, "system:kube-controller-manager"), clock, profile,
                                         self.traces)
        self._add_training_controller()
        self.scheduler = Scheduler(local_client(server, "system:kube-scheduler"), clock, self.traces,
                                   self.manager.informers["Pod"], self.manager.informers["Node"], profile)
        # The kubelets watch with their own identity (a separate component), not the manager's caches.
        self.kubelets = KubeletPool(lambda name: local_client(server, f"system:node:{name}", NODES_GROUP),
                                    local_client(server, POOL_USER), clock, profile, self.traces)
        server.log_source = self.kubelets.log_source

    def _add_training_controller(self) -> None:
        """The custom ML controller: install its CRD, then watch TrainingJobs like any controller."""
        from controllers.runtime.indexes import namespace_index
        from controllers.runtime.informer import Informer
        from controllers.training.controller import TrainingJobController, ensure_crd

        ensure_crd(self.admin)
        informer = Informer(self.manager.client, r.TRAININGJOBS)
        informer.add_index("namespace", namespace_index)
        self.manager.informers["TrainingJob"] = informer
        self.manager.controllers["trainingjob"] = TrainingJobController(
            self.manager.client, self.clock, self.traces, self.manager.informers)

    def flush_watches(self) -> None:
        """Make every committed change visible to the watches now.

        The watch hub's tailer thread reads the change log shortly after each
        commit; a deterministic ``sync`` cannot wait for it, so it pulls itself
        (``WatchHub.pull`` is safe beside the tailer)."""
        hub = getattr(self.server.storage, "_hub", None)
        if hub is not None:
            hub().pull()

    def add_nodes(self, count: int, **spec: Any) -> list[str]:
        names = []
        start = len(self.kubelets.kubelets)
        for i in range(start + 1, start + count + 1):
            name = f"node-{i}"
            self.kubelets.add(NodeSpec(name, i, **spec))
            names.append(name)
        return names

    # -- deterministic driving ---------------------------------------------------------
    def sync(self, max_rounds: int = 500) -> int:
        """Step every informer and drain every queue until nothing moves."""
        total = 0
        for _ in range(max_rounds):
            self.flush_watches()
            moved = self.manager.step_informers() + self.kubelets.step_informers()
            moved += self.manager.drain() + self.scheduler.drain() + self.kubelets.drain()
            total += moved
            if not moved:
                return total
        raise RuntimeError("control plane did not settle")

    def run_for(self, seconds: float, step: float = 0.5) -> None:
        """Let ``seconds`` of simulated time pass in ``step``s, settling after each."""
        self.sync()
        elapsed = 0.0
        while elapsed < seconds - 1e-9:
            dt = min(step, seconds - elapsed)
            self.clock.advance(dt)
            elapsed += dt
            self.sync()

    # -- live --------------------------------------------------------------------------
    def start(self, stop: threading.Event) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.clock.drive, args=(stop,), daemon=True, name="simclock")]
        threads[0].start()
        threads += self.manager.run(stop)
        threads.append(self.scheduler.run(stop))
        threads += self.kubelets.run(stop)
        return threads


_current: ControlPlane | None = None


def current() -> ControlPlane | None:
    """The control plane running in this process (for the dashboard), if any."""
    return _current


def start_control_plane(server: "ApiServer", clock: SimClock, profile: Profile = DEMO, nodes: int = 3,
                        demo: bool = True, stop: threading.Event | None = None) -> ControlPlane:
    """Start everything in background threads on a real-time clock; create the demo workload."""
    global _current
    from controllers import scenarios

    # One clock for everything (design rule 5): the API server's timestamps too.
    server.now = clock.now
    server.storage.now = clock.now
    plane = ControlPlane(server, clock, profile)
    existing = scenarios.simulated_nodes(plane.admin)
    if existing:
        for name, entry in existing.items():
            plane.kubelets.add(NodeSpec.from_dict(name, entry.get("spec") or {}), entry.get("state", "running"))
    else:
        scenarios.add_nodes(plane.admin, nodes)  # one write, not one per node
    plane.start(stop or threading.Event())
    if demo:
        create_demo_workload(plane.admin, profile)
    _current = plane
    return plane


def create_demo_workload(client: ApiClient, profile: Profile) -> None:
    """A Deployment ``web`` of six, a Service in front of it and a TrainingJob ``mnist`` (skipped when present)."""
    labels = {"app": "web"}
    tolerations = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": profile.not_ready_toleration_seconds},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": profile.unreachable_toleration_seconds},
    ]
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels},
        "spec": {"replicas": 6, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "ports": [{"containerPort": 80, "name": "http"}],
                                                       "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
                                       "tolerations": tolerations}}},
    }
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": labels},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    training = {
        "apiVersion": "kubeviz.io/v1alpha1", "kind": "TrainingJob",
        "metadata": {"name": "mnist", "namespace": "default"},
        "spec": {"workers": 2, "epochs": 60, "secondsPerEpoch": 3, "checkpointEvery": 5,
                 "resources": {"cpu": "250m", "memory": "256Mi"}},
    }
    for resource, body in ((r.DEPLOYMENTS, deployment), (r.SERVICES, service), (r.TRAININGJOBS, training)):
        try:
            client.create(resource, body, "default")
        except StatusError as error:
            if error.code != 409:
                raise
