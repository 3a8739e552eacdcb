"""Leader election through the kube-system/kube-controller-manager Lease, on the SimClock (no sleeps).

Two controller managers share one API server and one clock; each records its
own reconcile traces. "Never two leaders acting" is checked from those traces
and from the leadership terms each elector recorded.
"""
from __future__ import annotations

from typing import Any

import pytest

from cluster.client import ApiClient
from cluster.client import resources as r
from controllers.clock import REALISTIC, SimClock, from_rfc3339
from controllers.leaderelection import LeaderElectionConfig, LeaderElector, LeaderTerm
from controllers.manager import ControllerManager
from controllers.plane import local_client
from controllers.runtime.trace import TraceLog

LEASE = "kube-controller-manager"


class Unreachable(OSError):
    pass


class SwitchableTransport:
    """A transport that can lose the API server (a network partition for one component)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.broken = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.broken:
            raise Unreachable("dial tcp: connection refused")
        return self.inner.request(*args, **kwargs)

    def watch(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.watch(*args, **kwargs)


class Candidate:
    def __init__(self, api: Any, clock: SimClock, identity: str) -> None:
        self.identity = identity
        self.traces = TraceLog()
        client = local_client(api, "system:kube-controller-manager")
        self.lease_transport = SwitchableTransport(client.transport)
        self.manager = ControllerManager(client, clock, REALISTIC, self.traces, controllers=("replicaset",))
        self.elector = self.manager.enable_leader_election(identity, ApiClient(self.lease_transport))
        self.alive = True

    def kill(self) -> None:
        """kill -9: no more renewals, no more reconciles; the Lease is left as it was."""
        self.alive = False
        self.elector.halt()

    def acting_traces(self) -> list[Any]:
        return [t for t in self.traces.recent(10_000) if t.actions]


@pytest.fixture
def clock(api):
    clock = SimClock()
    api.now = clock.now
    api.storage.now = clock.now
    return clock


def settle(api: Any, candidates: list[Candidate]) -> None:
    hub = getattr(api.storage, "_hub", None)
    for _ in range(200):
        if hub is not None:
            hub().pull()
        moved = 0
        for c in candidates:
            if c.alive:
                moved += c.manager.step_informers() + c.manager.drain()
        if not moved:
            return
    raise RuntimeError("did not settle")


def run_for(api: Any, clock: SimClock, candidates: list[Candidate], seconds: float, step: float = 0.5) -> None:
    settle(api, candidates)
    elapsed = 0.0
    while elapsed < seconds - 1e-9:
        clock.advance(step)
        elapsed += step
        settle(api, candidates)


def replicaset(replicas: int) -> dict:
    labels = {"app": "web"}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}


def scale(admin: ApiClient, replicas: int) -> None:
    admin.patch(r.REPLICASETS, "web", {"spec": {"replicas": replicas}}, "default")


def pod_count(admin: ApiClient) -> int:
    return len([p for p in admin.list(r.PODS, "default")["items"] if not p["metadata"].get("deletionTimestamp")])


def lease(admin: ApiClient) -> dict:
    return admin.get(r.LEASES, LEASE, "kube-system")


def assert_never_two_leaders(candidates: list[Candidate]) -> None:
    """Terms never overlap, and every reconcile that acted fell inside its manager's own term."""
    terms: list[LeaderTerm] = sorted((t for c in candidates for t in c.elector.terms), key=lambda t: t.started)
    for earlier, later in zip(terms, terms[1:]):
        assert earlier.stopped is not None and earlier.stopped <= later.started, (earlier, later)
    for c in candidates:
        for trace in c.acting_traces():
            assert any(t.started <= trace.started and (t.stopped is None or trace.started <= t.stopped)
                       for t in c.elector.terms), f"{c.identity} acted at {trace.started} outside its terms"


def test_realistic_profile_uses_kube_controller_manager_defaults() -> None:
    config = LeaderElectionConfig.for_profile(LEASE, "me", REALISTIC)
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15.0, 10.0, 2.0)
    with pytest.raises(ValueError):
        LeaderElectionConfig(LEASE, "me", lease_duration=10, renew_deadline=10, retry_period=2)


def test_standby_takes_over_within_the_lease_duration_when_the_leader_dies(api, admin_client, clock) -> None:
    a, b = Candidate(api, clock, "kcm-a"), Candidate(api, clock, "kcm-b")
    a.elector.start_timers()  # a starts first and wins
    b.elector.start_timers()
    everyone = [a, b]
    assert a.elector.is_leader() and not b.elector.is_leader()
    spec = lease(admin_client)["spec"]
    assert spec["holderIdentity"] == "kcm-a" and spec["leaseDurationSeconds"] == 15
    assert spec["leaseTransitions"] == 0

    admin_client.create(r.REPLICASETS, replicaset(3), "default")
    run_for(api, clock, everyone, 6)
    assert pod_count(admin_client) == 3
    assert a.acting_traces() and not b.acting_traces()  # the standby watched but never acted

    spec = lease(admin_client)["spec"]
    assert from_rfc3339(spec["renewTime"]) > from_rfc3339(spec["acquireTime"])  # renewed every retryPeriod

    died = clock.now()
    a.kill()
    scale(admin_client, 5)
    run_for(api, clock, everyone, 1)
    assert pod_count(admin_client) == 3  # nobody leads yet: the Lease has not expired

    while not b.elector.is_leader():
        run_for(api, clock, everyone, 0.5)
        assert clock.now() - died <= 15 + 2 * 2, "standby did not take over"
    took_over = b.elector.terms[0].started
    # client-go's bound: the standby measures expiry from when *it* saw the last renewal.
    assert 15 - 2 <= took_over - died <= 15 + 2 * 2
    run_for(api, clock, everyone, 2)
    assert pod_count(admin_client) == 5
    spec = lease(admin_client)["spec"]
    assert spec["holderIdentity"] == "kcm-b" and spec["leaseTransitions"] == 1
    assert b.acting_traces()
    assert_never_two_leaders(everyone)


def test_a_partitioned_leader_stops_acting_before_the_standby_takes_over(api, admin_client, clock) -> None:
    a, b = Candidate(api, clock, "kcm-a"), Candidate(api, clock, "kcm-b")
    a.elector.start_timers()
    b.elector.start_timers()
    everyone = [a, b]
    admin_client.create(r.REPLICASETS, replicaset(2), "default")
    run_for(api, clock, everyone, 4)
    assert pod_count(admin_client) == 2

    # a's Lease requests fail (its controllers' own client still works): it must stop by itself.
    a.lease_transport.broken = True
    last_renew = from_rfc3339(lease(admin_client)["spec"]["renewTime"])
    while a.elector.is_leader():
        run_for(api, clock, everyone, 0.5)
    stopped = a.elector.terms[0].stopped
    assert stopped is not None and stopped - last_renew <= 10 + 1e-6  # renewDeadline
    assert not b.elector.is_leader()

    scale(admin_client, 4)  # nobody may act on this until b leads
    run_for(api, clock, everyone, 1)
    assert pod_count(admin_client) == 2

    run_for(api, clock, everyone, 15)
    assert b.elector.is_leader() and not a.elector.is_leader()
    assert pod_count(admin_client) == 4
    assert b.elector.terms[0].started - stopped >= 15 - 10 - 2  # the gap that keeps them apart
    assert_never_two_leaders(everyone)

    a.lease_transport.broken = False  # partition heals: a stays a standby, b keeps the Lease
    run_for(api, clock, everyone, 20)
    assert b.elector.is_leader() and not a.elector.is_leader()
    assert lease(admin_client)["spec"]["leaseTransitions"] == 1
    assert_never_two_leaders(everyone)


def test_two_candidates_racing_for_an_expired_lease_cannot_both_win(api, admin_client, clock) -> None:
    admin_client.create(r.LEASES, {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": LEASE, "namespace": "kube-system"},
        "spec": {"holderIdentity": "gone", "leaseDurationSeconds": 15, "leaseTransitions": 4,
                 "renewTime": "2025-01-01T00:00:00.000000Z", "acquireTime": "2025-01-01T00:00:00.000000Z"}},
        "kube-system")
    client = local_client(api, "system:kube-controller-manager")
    config = dict(lease_duration=15, renew_deadline=10, retry_period=2)
    a = LeaderElector(client, clock, LeaderElectionConfig(LEASE, "kcm-a", **config))
    b = LeaderElector(client, clock, LeaderElectionConfig(LEASE, "kcm-b", **config))
    assert not a.tick() and not b.tick()  # both observe "gone" holding it
    clock.advance(16)

    # Interleave: both read the same resourceVersion; b's update lands first, a's carries a stale one.
    real_update = client.update

    def update_after_b(resource: Any, obj: dict, subresource: str = "") -> dict:
        if obj["spec"]["holderIdentity"] == "kcm-a":
            assert b.tick()
        return real_update(resource, obj, subresource)

    client.update = update_after_b  # type: ignore[method-assign]
    assert not a.tick()
    client.update = real_update  # type: ignore[method-assign]
    assert b.is_leader() and not a.is_leader()
    spec = lease(admin_client)["spec"]
    assert spec["holderIdentity"] == "kcm-b" and spec["leaseTransitions"] == 5



def test_only_the_leading_scheduler_binds_and_a_released_lease_is_taken_at_once(api, admin_client, clock) -> None:
    from controllers.manager import shared_informers
    from controllers.scheduler.loop import Scheduler

    schedulers = []
    for identity in ("sched-a", "sched-b"):
        client = local_client(api, "system:kube-scheduler")
        informers = shared_informers(client, {"Pod": r.PODS, "Node": r.NODES})
        scheduler = Scheduler(client, clock, TraceLog(), informers["Pod"], informers["Node"], REALISTIC)
        scheduler.enable_leader_election(identity).start_timers()
        schedulers.append((scheduler, informers))
    (a, a_informers), (b, b_informers) = schedulers
    assert a.leading and not b.leading

    admin_client.create(r.NODES, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                                  "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                                             "conditions": [{"type": "Ready", "status": "True"}]}})
    for i in range(3):
        admin_client.create(r.PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
                                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}}, "default")

    def settle_schedulers() -> int:
        hub = getattr(api.storage, "_hub", None)
        done = 0
        for _ in range(50):
            if hub is not None:
                hub().pull()
            moved = sum(i.step(0.0) for inf in (a_informers, b_informers) for i in inf.values())
            moved += a.drain() + b.drain()
            done += moved
            if not moved:
                return done
        raise RuntimeError("did not settle")

    settle_schedulers()
    bound = [p["spec"].get("nodeName") for p in admin_client.list(r.PODS, "default")["items"]]
    assert bound == ["n1"] * 3
    assert a.traces.recent() and not b.traces.recent()  # the standby decided nothing

    a.elector.release()  # a graceful shutdown hands over at b's next retry, not after leaseDuration
    clock.advance(REALISTIC.leader_retry_period)
    assert b.leading
    spec = admin_client.get(r.LEASES, "kube-scheduler", "kube-system")["spec"]
    assert spec["holderIdentity"] == "sched-b" and spec["leaseTransitions"] == 1
