"""The control plane as separate processes talking HTTP to the API server (scale-out mode).

``runcluster --no-control-plane`` serves the API; ``kube-scheduler``, two
``kube-controller-manager`` copies and ``kubelet --nodes 2`` run as their own
processes with their own credentials. The leader is killed with SIGKILL and
the standby takes over through the ``kube-system/kube-controller-manager``
Lease. Waiting here is bounded polling of the API (real processes, real time).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cluster.client import ApiClient
from cluster.client import resources as r
from controllers.clock import DEMO, from_rfc3339
from controllers.components import http_client, read_kubeconfig
from tests import live

pytestmark = pytest.mark.e2e
LEASE_DURATION, RENEW_DEADLINE, RETRY = DEMO.leader_lease_duration, DEMO.leader_renew_deadline, DEMO.leader_retry_period


class Processes:
    def __init__(self, cluster: live.LiveCluster) -> None:
        self.cluster = cluster
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.cluster.workdir / f"{name}.log", "w")
        process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=live.ROOT, env=self.cluster.env,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.cluster.workdir / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveCluster]:
    # Under scripts/with-postgres (and with-redis) the whole scale-out mode: the server on PostgreSQL
    # (its own database, beside pytest's test_… one) and channels-redis.
    url = os.environ.get("DATABASE_URL", "")
    server = live.start(tmp_path_factory.mktemp("processes"), "--no-control-plane",
                        database_url=url if url.startswith(("postgres://", "postgresql://")) else "")
    yield server
    server.stop()


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # the API answering mid-change, or a process still starting
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)


def running_pods(admin: ApiClient) -> int:
    return sum(1 for p in admin.list(r.PODS, "default", label_selector="app=web")["items"]
               if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def test_two_controller_managers_one_acts_and_the_standby_takes_over(cluster: live.LiveCluster,
                                                                     tmp_path: Path) -> None:
    with ThreadPoolExecutor(3) as pool:  # three `manage.py kubeconfig` runs at once
        admin_config, kcm_config, scheduler_config = pool.map(
            lambda who: cluster.kubeconfig(*who),
            [("e2e-admin", "system:masters"), ("system:kube-controller-manager",), ("system:kube-scheduler",)])
    admin = http_client(*read_kubeconfig(admin_config))
    kcm, scheduler = str(kcm_config), str(scheduler_config)
    procs = Processes(cluster)
    try:
        for name in ("kcm-a", "kcm-b"):  # both at once: whichever wins, the other stands by
            procs.start(name, "kube-controller-manager", "--kubeconfig", kcm, "--identity", name)
        procs.start("scheduler", "kube-scheduler", "--kubeconfig", scheduler)
        procs.start("kubelet", "kubelet", "--server", cluster.url, "--nodes", "2",
                    "--kubeconfig-dir", str(tmp_path / "kubelet"))

        def holder() -> dict:
            return admin.get(r.LEASES, "kube-controller-manager", "kube-system")["spec"]

        first = eventually(lambda: holder()["holderIdentity"], 60, "a controller manager to lead")
        standby = "kcm-b" if first == "kcm-a" else "kcm-a"
        leader = procs.running[first]
        eventually(lambda: f"new leader elected for kube-system/kube-controller-manager: {first}"
                   in procs.log(standby), 60, f"{standby} to stand by")
        eventually(lambda: len(admin.list(r.NODES)["items"]) == 2, 60, "the kubelets to register their nodes")

        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                      "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                               "template": {"metadata": {"labels": {"app": "web"}},
                                            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
        admin.create(r.DEPLOYMENTS, deployment, "default")
        eventually(lambda: running_pods(admin) == 3, 60, "three pods Running")

        os.kill(leader.pid, signal.SIGKILL)  # the leader dies without releasing its Lease
        leader.wait(timeout=10)
        killed = time.monotonic()
        last_seen = holder()  # its final renewTime
        eventually(lambda: holder()["holderIdentity"] == standby, LEASE_DURATION + 2 * RETRY + 5,
                   "the standby to take over")
        took = time.monotonic() - killed
        spec = holder()
        assert spec["leaseTransitions"] == int(last_seen.get("leaseTransitions") or 0) + 1
        assert took <= LEASE_DURATION + 2 * RETRY + 5
        # Never two leaders: the standby acquired only after the old leader's renewDeadline had passed.
        gap = from_rfc3339(spec["acquireTime"]) - from_rfc3339(last_seen["renewTime"])
        assert gap >= RENEW_DEADLINE, gap
        assert f"successfully acquired lease kube-system/kube-controller-manager as {standby}" in procs.log(standby)
        assert procs.log(standby).count("successfully acquired") == 1  # it never led before the kill

        admin.patch(r.DEPLOYMENTS, "web", {"spec": {"replicas": 5}}, "default")
        eventually(lambda: running_pods(admin) == 5, 60, "the new leader to scale to five")
    finally:
        procs.stop_all()
