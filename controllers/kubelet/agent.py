"""One simulated kubelet: registers its Node, renews its Lease, runs the pods bound to it.

It acts as ``system:node:<name>`` (group ``system:nodes``), so the API
server's node authorizer limits it to its own Node, Lease and pods, as it
limits a real kubelet. The kubelet never polls: timers on the SimClock put
its keys back on the pool's work queue when something is due.

Scenario states: ``running``; ``dead`` (the machine is off: no heartbeats,
containers gone); ``partitioned`` (containers keep running, but nothing
reaches the API server); ``slow`` (heartbeats late, but within the grace period).
"""
from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from controllers.clock import Profile, SimClock, to_rfc3339, to_rfc3339_micro
from controllers.runtime.events import EventRecorder

from .runtime import CRASH_NOW, PodRuntime

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
KUBELET_VERSION = "v1.31.0"
NODE_LEASE_NAMESPACE = "kube-node-lease"


def pod_cidr(index: int) -> str:
    """Node ``index``'s /24: 10.244.<index>.0/24 for the first 255, then on through 10.0.0.0/8
    (``10.244.256.0`` is no address: 5,000 nodes need 5,000 blocks)."""
    block = (244 * 256 + index) % (256 * 256)
    return f"10.{block // 256}.{block % 256}.0/24"


class NodeSpec:
    """What the machine is: its name, size, labels, taints and address block."""

    def __init__(self, name: str, index: int, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
                 labels: dict[str, str] | None = None, taints: list[Obj] | None = None) -> None:
        self.name = name
        self.index = index
        self.cpu = cpu
        self.memory = memory
        self.pods = pods
        self.labels = dict(labels or {})
        self.taints = list(taints or [])
        self.pod_cidr = pod_cidr(index)
        self.internal_ip = f"192.168.{index // 250}.{index % 250 + 10}"

    def to_dict(self) -> Obj:
        return {"cpu": self.cpu, "memory": self.memory, "pods": self.pods, "labels": self.labels,
                "taints": self.taints, "index": self.index}

    @classmethod
    def from_dict(cls, name: str, data: Obj) -> "NodeSpec":
        return cls(name, int(data.get("index", 0)), str(data.get("cpu", "4")), str(data.get("memory", "8Gi")),
                   int(data.get("pods", 110)), data.get("labels") or {}, data.get("taints") or [])


class Kubelet:
    def __init__(self, spec: NodeSpec, client: ApiClient, clock: SimClock, profile: Profile,
                 requeue: Callable[[tuple, float], None]) -> None:
        self.spec = spec
        self.name = spec.name
        self.client = client
        self.clock = clock
        self.profile = profile
        self.requeue = requeue  # (key, delay): ask the pool to process a key later
        self.recorder = EventRecorder(client, "kubelet", clock, host=spec.name)
        self.state = "stopped"
        self.pods: dict[str, PodRuntime] = {}  # pod key → what runs here
        self._ips = (str(ip) for ip in ipaddress.ip_network(spec.pod_cidr).hosts())
        self._free_ips: list[str] = []
        self._lease: Obj | None = None
        self._node_uid = ""
        self.epoch = 0  # bumped on every stop/start; stale timers compare it
        # One key of this kubelet at a time (the pool's workers run different kubelets at once).
        self.lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def reachable(self) -> bool:
        return self.state in ("running", "slow")

    def start(self) -> None:
        self.state = "running"
        self.epoch += 1
        self.requeue(("node", self.name), 0)
        self.requeue(("lease", self.name), 0)
        self.requeue(("resync", self.name), 0)  # look at every pod bound here again

    def stop(self) -> None:
        """The machine dies: heartbeats stop and every container is gone."""
        self.state = "dead"
        self.epoch += 1
        self.pods.clear()

    def set_state(self, state: str) -> None:
        if state == self.state:
            return
        if state == "dead":
            self.stop()
        elif self.state in ("dead", "stopped"):
            self.start()
            self.state = state
        else:
            was_reachable = self.reachable
            self.state = state
            if self.reachable and not was_reachable:  # healed: report everything again
                self.requeue(("node", self.name), 0)
                self.requeue(("lease", self.name), 0)
                self.requeue(("resync", self.name), 0)

    def lease_interval(self) -> float:
        if self.state == "slow":  # late, but inside the grace period
            return self.profile.node_monitor_grace_period * 0.8
        return self.profile.node_lease_renew_interval

    # -- node and lease ----------------------------------------------------------------
    def node_object(self, now: float) -> Obj:
        s = self.spec
        capacity = {"cpu": s.cpu, "memory": s.memory, "pods": str(s.pods), "ephemeral-storage": "100Gi"}
        labels = {"kubernetes.io/hostname": s.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                  "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", **s.labels}
        node: Obj = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": s.name, "labels": labels},
            "spec": {"podCIDR": s.pod_cidr, "podCIDRs": [s.pod_cidr]},
            "status": {"capacity": capacity, "allocatable": dict(capacity), **self._node_status(now)},
        }
        if s.taints:
            node["spec"]["taints"] = list(s.taints)
        return node

    def _node_status(self, now: float, old: Obj | None = None) -> Obj:
        stamp = to_rfc3339(now)
        previous = {c["type"]: c for c in ((old or {}).get("status") or {}).get("conditions") or []}

        def condition(type_: str, status: str, reason: str, message: str) -> Obj:
            was = previous.get(type_)
            since = was["lastTransitionTime"] if was and was.get("status") == status else stamp
            return {"type": type_, "status": status, "reason": reason, "message": message,
                    "lastHeartbeatTime": stamp, "lastTransitionTime": since}

        return {
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": self.spec.internal_ip},
                          {"type": "Hostname", "address": self.spec.name}],
            "nodeInfo": {"kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": KUBELET_VERSION,
                         "containerRuntimeVersion": "kubeviz://0.1.0", "osImage": "KubeViz simulated Linux",
                         "operatingSystem": "linux", "architecture": "amd64", "kernelVersion": "6.1.0-kubeviz",
                         "machineID": f"{self.spec.index:032x}", "systemUUID": f"kubeviz-{self.spec.name}",
                         "bootID": f"{self.epoch:08x}"},
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        }

    def sync_node(self, cached: Obj | None) -> None:
        """Register the Node, or put its status right (Ready, after the node controller said Unknown)."""
        if not self.reachable:
            return
        now = self.clock.now()
        if cached is None:
            try:
                created = self._create(r.NODES, self.node_object(now))
                self._node_uid = created["metadata"].get("uid", "")
                self.recorder.normal(created, "RegisteredNode", f"Node {self.name} event: Registered Node {self.name} in Controller")
                self.recorder.normal(created, "NodeReady", f"Node {self.name} status is now: NodeReady")
                return
            except StatusError as error:
                if error.code != 409:
                    raise
                cached = self.client.get(r.NODES, self.name)
        self._node_uid = cached["metadata"].get("uid", "")
        ready = next((c for c in (cached.get("status") or {}).get("conditions") or [] if c["type"] == "Ready"), None)
        if ready and ready.get("status") == "True" and ready.get("reason") == "KubeletReady" \
                and (cached.get("status") or {}).get("nodeInfo", {}).get("bootID") == f"{self.epoch:08x}":
            return
        body = dict(cached)
        status = dict(cached.get("status") or {})
        status.update(self._node_status(now, cached))
        capacity = {"cpu": self.spec.cpu, "memory": self.spec.memory, "pods": str(self.spec.pods),
                    "ephemeral-storage": "100Gi"}
        status["capacity"], status["allocatable"] = capacity, dict(capacity)
        body["status"] = status
        updated = self.client.update_status(r.NODES, body)
        if not ready or ready.get("status") != "True":
            self.recorder.normal(updated, "NodeReady", f"Node {self.name} status is now: NodeReady")

    def renew_lease(self) -> None:
        """Create or renew ``kube-node-lease/<node>``; then come back in one renew interval."""
        if self.state in ("dead", "stopped"):
            return
        self.requeue(("lease", self.name), self.lease_interval())
        if not self.reachable:
            return
        now = self.clock.now()
        spec = {"holderIdentity": self.name, "leaseDurationSeconds": int(self.profile.node_lease_duration),
                "renewTime": to_rfc3339_micro(now)}
        try:
            if self._lease is None:
                try:
                    self._lease = self.client.get(r.LEASES, self.name, NODE_LEASE_NAMESPACE)
                except StatusError as error:
                    if not error.not_found:
                        raise
                    body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                            "metadata": {"name": self.name, "namespace": NODE_LEASE_NAMESPACE},
                            "spec": {**spec, "acquireTime": to_rfc3339_micro(now)}}
                    if self._node_uid:
                        body["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node",
                                                                "name": self.name, "uid": self._node_uid}]
                    self._lease = self._create(r.LEASES, body)
                    return
            body = dict(self._lease)
            body["spec"] = {**(self._lease.get("spec") or {}), **spec}
            self._lease = self.client.update(r.LEASES, body)
        except StatusError:
            self._lease = None  # conflict or gone: read it again next time (the pool retries with back-off)
            raise

    def _create(self, resource: r.Resource, body: Obj) -> Obj:
        """Create through server-side apply (PATCH to the object's own name).

        Works around the API's node authorizer, which checks a kubelet's create
        against the request's name — empty on a plain POST — so a kubelet could
        not register its own Node or Lease; an apply carries the name."""
        m = body["metadata"]
        return self.client.transport.request("PATCH", resource.path(m.get("namespace", ""), m["name"]),
                                             {"fieldManager": "kubelet"}, body, "application/apply-patch+yaml")

    # -- pods --------------------------------------------------------------------------
    def _allocate_ip(self) -> str:
        return self._free_ips.pop() if self._free_ips else next(self._ips)

    def sync_pod(self, key: str, pod: Obj | None) -> None:
        """Run, report, or finish terminating one pod bound here."""
        if not self.reachable and self.state != "partitioned":
            return
        now = self.clock.now()
        rt = self.pods.get(key)
        if pod is None or (rt is not None and pod["metadata"].get("uid") != rt.uid):
            if rt is not None:  # gone from the API: its containers go too
                self._free_ips.append(rt.ip)
                del self.pods[key]
            if pod is None:
                return
            rt = None
        phase = (pod.get("status") or {}).get("phase")
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        if rt is None:
            if terminating or phase in ("Succeeded", "Failed"):
                if terminating:
                    self._finish_deletion(pod)
                return
            restarts = max([c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or []],
                           default=0)
            if (pod.get("status") or {}).get("containerStatuses"):
                restarts += 1  # the machine came back: containers start again
            ip = (pod.get("status") or {}).get("podIP") or self._allocate_ip()
            rt = PodRuntime.create(pod, self.name, ip, now, self.profile, restarts=restarts)
            self.pods[key] = rt
            if self.reachable:
                self.recorder.normal(pod, "Pulling", f'Pulling image "{rt.containers[0].image}"' if rt.containers else "Pulling")
        token = (pod["metadata"].get("annotations") or {}).get(CRASH_NOW, "")
        if token and token != rt.crash_token:
            rt.crash_token = token
            rt.crash(now)
        if terminating and rt.stopping_at is None:
            grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            rt.stop(now, min(grace, self.profile.termination_grace_seconds / 3))
            if self.reachable:
                for c in rt.containers:
                    self.recorder.normal(pod, "Killing", f"Stopping container {c.name}")
        events = rt.advance(now, self.profile)
        nxt = rt.next_transition(now)
        if nxt is not None:
            self.requeue(("pod", key), nxt - now)
        if not self.reachable:
            return  # partitioned: containers run, but no one hears about it
        for type_, reason, message in events:
            self.recorder.record(pod, type_, reason, message)
        if rt.stopped and terminating:
            self._finish_deletion(pod)
            self._free_ips.append(rt.ip)
            self.pods.pop(key, None)
            return
        status = rt.status(pod, now, self.spec.internal_ip)
        if status != (pod.get("status") or {}):
            body = dict(pod)
            body["status"] = status
            self.client.update_status(r.PODS, body)

    def _finish_deletion(self, pod: Obj) -> None:
        if not self.reachable:
            return
        m = pod["metadata"]
        try:
            self.client.delete(r.PODS, m["name"], m.get("namespace", "default"), grace_period_seconds=0,
                               preconditions={"uid": m.get("uid")})
        except StatusError as error:
            if not (error.not_found or error.conflict):
                raise

    def logs(self, pod: Obj, container: str) -> str:
        m = pod["metadata"]
        rt = self.pods.get(f"{m.get('namespace', 'default')}/{m['name']}")
        if rt is None or rt.uid != m.get("uid"):
            return ""
        return rt.logs(container, self.clock.now())
