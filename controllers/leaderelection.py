"""Leader election through a ``coordination.k8s.io/v1`` Lease, after client-go's ``leaderelection``.

Every candidate (a kube-controller-manager or kube-scheduler copy) runs a
``LeaderElector`` on the same Lease (``kube-system/kube-controller-manager``,
``kube-system/kube-scheduler``):

* **acquire**: every ``retry_period`` a candidate reads the Lease. If another
  holder's record has not changed for ``lease_duration`` *as this candidate
  observed it* (its own clock, never the holder's timestamps: clock skew cannot
  hand the Lease over early), it writes itself in as ``holderIdentity`` with
  ``acquireTime``/``renewTime`` = now and ``leaseTransitions`` + 1 — an update
  carrying the ``resourceVersion`` it read, so of two candidates racing for an
  expired Lease exactly one wins and the other gets a 409 Conflict;
* **renew**: the leader rewrites ``renewTime`` every ``retry_period``;
* **lose**: a leader that has not renewed successfully for ``renew_deadline``
  stops acting (``on_stopped_leading``) even if nobody else has taken over yet.
  Since ``renew_deadline < lease_duration``, the old leader has stopped before a
  standby may take the Lease: two leaders never act at once.

Unlike kube-controller-manager, which exits when it loses the Lease, a
``LeaderElector`` that lost stays a candidate and may lead again later.

Time comes from the ``SimClock``: tests step it (``tick()`` via clock timers,
``start_timers()``); live processes call ``run(stop)`` on a thread. The
renew-deadline check is a clock timer with no I/O, so a hung request cannot
keep a stale leader acting.
"""
from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from controllers.clock import Profile, SimClock, TimerHandle, from_rfc3339, to_rfc3339_micro

logger = logging.getLogger(__name__)
Obj = dict[str, Any]
LEADER_ELECTION_NAMESPACE = "kube-system"


def default_identity() -> str:
    """client-go's choice: ``<hostname>_<uuid>``, unique per process."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@dataclass(frozen=True)
class LeaderElectionConfig:
    lease_name: str
    identity: str
    namespace: str = LEADER_ELECTION_NAMESPACE
    lease_duration: float = 15.0  # --leader-elect-lease-duration
    renew_deadline: float = 10.0  # --leader-elect-renew-deadline
    retry_period: float = 2.0  # --leader-elect-retry-period

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > self.retry_period > 0:
            raise ValueError("leader election needs lease_duration > renew_deadline > retry_period > 0")

    @classmethod
    def for_profile(cls, lease_name: str, identity: str, profile: Profile) -> "LeaderElectionConfig":
        return cls(lease_name, identity, lease_duration=profile.leader_lease_duration,
                   renew_deadline=profile.leader_renew_deadline, retry_period=profile.leader_retry_period)


@dataclass
class LeaderTerm:
    """One stretch of leadership, in simulated seconds (``stopped`` None while it lasts)."""

    identity: str
    started: float
    stopped: float | None = None
    transitions: int = 0


@dataclass
class LeaderElector:
    client: ApiClient
    clock: SimClock
    config: LeaderElectionConfig
    on_started_leading: Callable[[], None] = lambda: None
    on_stopped_leading: Callable[[], None] = lambda: None
    on_new_leader: Callable[[str], None] = lambda identity: None
    terms: list[LeaderTerm] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._leading = False
        self._last_renew: float | None = None  # our last successful acquire/renew
        self._observed_record: Obj | None = None
        self._observed_time = 0.0  # when we last saw the record change (our clock)
        self._observed_holder = ""
        self._deadline_timer: TimerHandle | None = None
        self._tick_timer: TimerHandle | None = None
        self._stopped = False

    # -- state -------------------------------------------------------------------------
    @property
    def identity(self) -> str:
        return self.config.identity

    def is_leader(self) -> bool:
        return self._leading

    @property
    def leader(self) -> str:
        """The holder as last observed (ourselves while leading)."""
        return self.identity if self._leading else self._observed_holder

    # -- one attempt -------------------------------------------------------------------
    def tick(self) -> bool:
        """One ``tryAcquireOrRenew``; starts or stops leading as the outcome says. Returns is_leader()."""
        if self._stopped:
            return False
        now = self.clock.now()
        try:
            acquired = self.try_acquire_or_renew(now)
        except (StatusError, OSError, ValueError) as error:  # an unreachable or refusing API server
            logger.info("leader election %s: %s failed: %s", self.config.lease_name, self.identity, error)
            acquired = False
        except Exception as error:  # e.g. requests' ConnectionError is an OSError; anything else is logged
            logger.warning("leader election %s: %s failed: %r", self.config.lease_name, self.identity, error)
            acquired = False
        with self._lock:
            if acquired:
                self._last_renew = now
                self._arm_deadline(now + self.config.renew_deadline)
                if not self._leading:
                    self._start_leading(now)
            else:
                self.check_renew_deadline()
        return self._leading

    def try_acquire_or_renew(self, now: float) -> bool:
        cfg = self.config
        try:
            lease = self.client.get(r.LEASES, cfg.lease_name, cfg.namespace)
        except StatusError as error:
            if not error.not_found:
                raise
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": cfg.lease_name, "namespace": cfg.namespace},
                    "spec": self._record(now, acquire_time=now, transitions=0)}
            try:
                created = self.client.create(r.LEASES, body, cfg.namespace)
            except StatusError as create_error:
                if create_error.code == 409:  # another candidate created it first
                    return False
                raise
            self._observe(created.get("spec") or {}, now)
            return True
        spec = lease.get("spec") or {}
        self._observe(spec, now)
        holder = spec.get("holderIdentity") or ""
        if holder and holder != self.identity and self._observed_time + cfg.lease_duration > now:
            return False  # held by someone else, and not yet expired as we see it
        if holder == self.identity:
            acquire_time = from_rfc3339(spec.get("acquireTime")) or now
            transitions = int(spec.get("leaseTransitions") or 0)
        else:
            acquire_time = now
            transitions = int(spec.get("leaseTransitions") or 0) + 1  # a hand-over, or taking a released Lease
        # The read resourceVersion travels with the update: if anyone wrote in between, 409.
        updated = {**lease, "spec": {**spec, **self._record(now, acquire_time, transitions)}}
        try:
            result = self.client.update(r.LEASES, updated)
        except StatusError as error:
            if error.conflict:
                return False
            raise
        self._observe(result.get("spec") or {}, now)
        return True

    def _record(self, now: float, acquire_time: float, transitions: int) -> Obj:
        return {"holderIdentity": self.identity, "leaseDurationSeconds": int(self.config.lease_duration),
                "acquireTime": to_rfc3339_micro(acquire_time), "renewTime": to_rfc3339_micro(now),
                "leaseTransitions": transitions}

    def _observe(self, spec: Obj, now: float) -> None:
        record = {k: spec.get(k) for k in ("holderIdentity", "renewTime", "acquireTime", "leaseTransitions")}
        if record != self._observed_record:
            self._observed_record = record
            self._observed_time = now
            holder = record.get("holderIdentity") or ""
            if holder != self._observed_holder:
                self._observed_holder = holder
                if holder:
                    self.on_new_leader(holder)

    # -- leadership --------------------------------------------------------------------
    def _start_leading(self, now: float) -> None:
        self._leading = True
        transitions = int((self._observed_record or {}).get("leaseTransitions") or 0)
        self.terms.append(LeaderTerm(self.identity, now, transitions=transitions))
        logger.info("leader election %s: %s became leader", self.config.lease_name, self.identity)
        self.on_started_leading()

    def check_renew_deadline(self) -> None:
        """Stop acting if the last successful renewal is ``renew_deadline`` old (no I/O)."""
        with self._lock:
            if not self._leading or self._last_renew is None:
                return
            now = self.clock.now()
            if now - self._last_renew >= self.config.renew_deadline - 1e-9:
                self._stop_leading(now, "failed to renew before the renew deadline")

    def _stop_leading(self, now: float, why: str) -> None:
        self._leading = False
        if self.terms and self.terms[-1].stopped is None:
            self.terms[-1].stopped = now
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        logger.warning("leader election %s: %s stopped leading: %s", self.config.lease_name, self.identity, why)
        self.on_stopped_leading()

    def _arm_deadline(self, when: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self._deadline_timer = self.clock.call_at(when, self.check_renew_deadline)

    # -- driving -----------------------------------------------------------------------
    def start_timers(self) -> None:
        """Deterministic driving: an attempt now, then one every ``retry_period`` on the clock's timers."""
        def again() -> None:
            if self._stopped:
                return
            self.tick()
            self._tick_timer = self.clock.call_later(self.config.retry_period, again)

        again()

    def run(self, stop: threading.Event) -> threading.Thread:
        """Live driving: a thread attempting every ``retry_period`` simulated seconds until ``stop``."""
        def loop() -> None:
            while not stop.is_set() and not self._stopped:
                self.tick()
                stop.wait(self.config.retry_period / max(self.clock.speed, 1e-6))
            self.halt()

        thread = threading.Thread(target=loop, daemon=True, name=f"leader-election-{self.config.lease_name}")
        thread.start()
        return thread

    def halt(self) -> None:
        """The process goes away (a crash in tests): no more attempts, no callbacks, the Lease left as is."""
        self._stopped = True
        for timer in (self._tick_timer, self._deadline_timer):
            if timer is not None:
                timer.cancel()
        with self._lock:
            if self._leading:
                self._leading = False
                if self.terms and self.terms[-1].stopped is None:
                    self.terms[-1].stopped = self.clock.now()

    def release(self) -> None:
        """Graceful shutdown (``ReleaseOnCancel``): clear holderIdentity so a standby need not wait."""
        self.halt()
        cfg = self.config
        try:
            lease = self.client.get(r.LEASES, cfg.lease_name, cfg.namespace)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") == self.identity:
                now = to_rfc3339_micro(self.clock.now())
                self.client.update(r.LEASES, {**lease, "spec": {**spec, "holderIdentity": None,
                                                                 "leaseDurationSeconds": 1,
                                                                 "renewTime": now, "acquireTime": now}})
        except (StatusError, OSError) as error:
            logger.info("leader election %s: release failed: %s", cfg.lease_name, error)


class LeaderElected:
    """For a component that acts only while it leads (the controller manager, the
    scheduler): ``enable_leader_election`` and ``leading``. The component sets
    ``client``, ``clock``, ``profile``, ``lease_name``, ``elector = None`` and
    ``_leading = threading.Event()``."""

    client: ApiClient
    clock: SimClock
    profile: Profile
    lease_name: str
    elector: "LeaderElector | None"
    _leading: threading.Event

    def enable_leader_election(self, identity: str = "", lease_client: ApiClient | None = None,
                               config: LeaderElectionConfig | None = None) -> "LeaderElector":
        config = config or LeaderElectionConfig.for_profile(self.lease_name, identity or default_identity(),
                                                            self.profile)
        self.elector = LeaderElector(lease_client or self.client, self.clock, config,
                                     on_started_leading=self._leading.set, on_stopped_leading=self._leading.clear)
        return self.elector

    @property
    def leading(self) -> bool:
        """Whether this component may act: it holds the Lease, or takes no part in leader election."""
        return self.elector is None or self._leading.is_set()


def lease_summary(lease: Obj) -> dict[str, Any]:
    """The parts of a leader-election Lease a person reads (for logs and the dashboard)."""
    spec = lease.get("spec") or {}
    return {"holderIdentity": spec.get("holderIdentity"), "leaseTransitions": spec.get("leaseTransitions", 0),
            "acquireTime": spec.get("acquireTime"), "renewTime": spec.get("renewTime"),
            "resourceVersion": lease.get("metadata", {}).get("resourceVersion")}
