"""``manage.py bench cluster``: the KWOK CI benchmark's shape, against a live KubeViz.

A throwaway server (``runcluster --profile realistic --speed 1 --empty --nodes 0``)
runs the whole control plane. Then, timed one after the other:

1. **nodes**: ``nodes`` simulated machines are added in one write of the scenario
   ConfigMap; the phase ends when every Node is Ready and has its Lease (the
   kubelets then renew each Lease every 10 s, the realistic interval);
2. **pods**: Deployments (at most 1,000 replicas each) ask for ``pods`` pods,
   created through the API by the ReplicaSet controller, bound by the scheduler,
   started by the kubelets; the phase ends when ``pods`` pods are Running;
3. **delete**: the Deployments are deleted (background propagation); the phase
   ends when no pod is left (the garbage collector deletes the pods, the
   kubelets stop them: ``terminationGracePeriodSeconds: 1``).

The benchmark watches Nodes, Leases and Pods over HTTP like any client, samples
the resident memory of the server's processes every half second, and reads
the server's ``/metrics`` between phases (API requests, CDC rows, store size).
A phase that runs out of time is reported with what it reached.

``--scale-out`` runs the same phases with the control plane as separate
processes on PostgreSQL (``scaleout.Components``): the nodes phase then starts
the kubelet processes. ``--dashboard`` keeps the live page open in Chromium
throughout and samples its update latency (``kubeviz.bench.dashboard``).
"""
from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from cluster.client.http import HttpTransport

from .live import Server, running_server
from .procs import own_rss_bytes, tree_cpu_seconds, tree_rss_bytes
from .scaleout import Components

Obj = dict[str, Any]
PROBE_LABEL = "kubeviz.io/bench-probe"
NAMESPACE = "bench"
PER_DEPLOYMENT = 1000
MIB = 1024 * 1024
# KWOK's CI thresholds (5,000 nodes, 10,000 pods) — the targets of issue 7.
KWOK = {"nodes_ready_s": 60.0, "pods_running_s": 60.0, "pods_deleted_s": 90.0}


def node_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running"


def is_probe(obj: Obj) -> bool:
    """The dashboard probe's Node (``--dashboard``) is not one of the benchmark's."""
    return PROBE_LABEL in ((obj.get("metadata") or {}).get("labels") or {})


def lease_held(lease: Obj) -> bool:
    return bool((lease.get("spec") or {}).get("renewTime"))


class Tracker:
    """List, then watch one resource; keeps ``name -> predicate(object)`` current."""

    def __init__(self, client: ApiClient, resource: r.Resource, namespace: str,
                 predicate: Callable[[Obj], bool]) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.predicate = predicate
        self.items: dict[str, bool] = {}
        self.modified = 0  # MODIFIED events seen (lease renewals, for Leases)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"track-{resource.plural}")

    def start(self) -> "Tracker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def count(self, matching: bool = True) -> int:
        items = list(self.items.values())
        return sum(1 for v in items if v) if matching else len(items)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                listed = self.client.list(self.resource, self.namespace)
                self.items = {o["metadata"]["name"]: self.predicate(o) for o in listed.get("items") or []}
                self._watch(listed["metadata"]["resourceVersion"])
            except (StatusError, requests.RequestException, KeyError):
                time.sleep(0.5)  # relist

    def _watch(self, rv: str) -> None:
        while not self._stop.is_set():
            watch = self.client.watch(self.resource, self.namespace, resource_version=rv)
            try:
                while not self._stop.is_set():
                    events = watch.next(1.0)
                    for event in events:
                        if event.type == "ERROR":
                            return  # expired: relist
                        rv = event.object["metadata"].get("resourceVersion", rv)
                        if event.type == "BOOKMARK":
                            continue
                        name = event.object["metadata"]["name"]
                        if event.type == "DELETED":
                            self.items.pop(name, None)
                        else:
                            self.modified += event.type == "MODIFIED"
                            self.items[name] = self.predicate(event.object)
                    if getattr(watch, "closed", False):
                        break  # the server ended the stream: watch again from rv
            finally:
                watch.close()


class RssSampler:
    """Peak resident memory of the server's processes (summed), sampled every ``interval``."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.5) -> None:
        self.pids = pids
        self.interval = interval
        self.peak = 0
        self.peak_bench = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss")

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def sample(self) -> None:
        self.peak = max(self.peak, sum(tree_rss_bytes(pid) for pid in self.pids()))
        self.peak_bench = max(self.peak_bench, own_rss_bytes())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except OSError:  # a process ending while /proc is read: the next sample counts
                continue


def read_metrics(server: Server) -> dict[str, float]:
    response = requests.get(server.url + "/metrics", headers={"Authorization": f"Bearer {server.token}"}, timeout=30)
    response.raise_for_status()
    figures = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            figures[name] = float(value)
    return figures


def wait_until(done: Callable[[], bool], timeout: float, poll: float = 0.2,
               tick: Callable[[], None] | None = None) -> float | None:
    """Seconds until ``done()``, or None when ``timeout`` passed first; ``tick``
    runs on every poll (the dashboard's latency samples)."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            return None
        if tick is not None:
            tick()
        time.sleep(poll)
    return time.monotonic() - started


def deployment(name: str, replicas: int) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"terminationGracePeriodSeconds": 1,
                                       "containers": [{"name": "app", "image": "fake-image:1",
                                                       "resources": {"requests": {"cpu": "10m",
                                                                                  "memory": "16Mi"}}}]}}},
    }


def deployment_sizes(pods: int) -> list[int]:
    count = max(1, math.ceil(pods / PER_DEPLOYMENT))
    return [pods // count + (1 if i < pods % count else 0) for i in range(count)]


class Phases:
    """Times each phase and turns the server's request total into a rate."""

    def __init__(self, server: Server, pids: Callable[[], list[int]], dashboard: Any = None) -> None:
        self.server = server
        self.pids = pids
        self.dashboard = dashboard  # a DashboardWatcher sampling latency as the phases run
        self.rates: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # server CPU seconds: robust to a busy machine, unlike wall time

    def run(self, name: str, act: Callable[[], None], done: Callable[[], bool], timeout: float) -> float | None:
        before, started, cpu = read_metrics(self.server), time.monotonic(), self.cpu_seconds()
        if self.dashboard is not None:
            self.dashboard.phase = name
        act()
        took = wait_until(done, timeout, tick=self.dashboard.tick if self.dashboard is not None else None)
        elapsed = time.monotonic() - started
        self.cpu[name] = round(self.cpu_seconds() - cpu, 1)
        after = read_metrics(self.server)
        self.seconds[name] = round(elapsed, 2)
        self.rates[name] = round((after["apiserver_request_total"] - before["apiserver_request_total"]) / elapsed, 1)
        return None if took is None else round(elapsed, 2)

    def cpu_seconds(self) -> float:
        return sum(tree_cpu_seconds(pid) for pid in self.pids())


def _file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def scale_out_database() -> str:
    """The PostgreSQL a scale-out run uses: ``DATABASE_URL``, which should be a
    throwaway one (``scripts/with-postgres``): the benchmark fills it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--scale-out needs DATABASE_URL=postgres://… (a throwaway one: "
                         "scripts/with-postgres scripts/with-redis .venv/bin/python manage.py bench cluster --scale-out)")
    return url


def bench(nodes: int = 5000, pods: int = 10_000, timeout: float = 300.0, scale_out: bool = False,
          kubelet_processes: int = 2, dashboard: bool = False) -> dict[str, Any]:
    from controllers import scenarios

    database_url = scale_out_database() if scale_out else ""
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-cluster-") as tmp:
        workdir = Path(tmp)
        if scale_out:
            args: tuple[str, ...] = ("--no-control-plane", "--profile", "realistic", "--speed", "1")
        else:
            args = ("--profile", "realistic", "--speed", "1", "--empty", "--nodes", "0")
        with running_server(workdir, *args, database_url=database_url) as server, \
                _components(server, workdir, database_url) as components, \
                _dashboard(server, workdir, database_url, dashboard) as watcher:
            client = ApiClient(HttpTransport(server.url, server.token, timeout=120))

            def pids() -> list[int]:
                return [server.pid, *(components.pids() if components else ())]

            rss = RssSampler(pids).start()
            start_metrics = read_metrics(server)
            client.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
            node_tracker = Tracker(client, r.NODES, "", lambda n: node_ready(n) and not is_probe(n)).start()
            lease_tracker = Tracker(client, r.LEASES, "kube-node-lease", lease_held).start()
            pod_tracker = Tracker(client, r.PODS, NAMESPACE, pod_running).start()
            phases = Phases(server, pids, watcher)

            def add_nodes() -> None:
                if components is not None:
                    components.start_kubelets(nodes, kubelet_processes)
                else:
                    scenarios.add_nodes(client, nodes)

            try:
                nodes_ready_s = phases.run(
                    "nodes", add_nodes,
                    lambda: node_tracker.count() >= nodes and lease_tracker.count() >= nodes, timeout)
                nodes_ready = node_tracker.count()
                renewals_before, renewals_started = lease_tracker.modified, time.monotonic()
                sizes = deployment_sizes(pods)

                def create() -> None:
                    for i, size in enumerate(sizes):
                        client.create(r.DEPLOYMENTS, deployment(f"bench-{i}", size), NAMESPACE)

                pods_running_s = phases.run("pods", create, lambda: pod_tracker.count() >= pods, timeout)
                pods_running = pod_tracker.count()
                renewal_rate = (lease_tracker.modified - renewals_before) / (time.monotonic() - renewals_started)

                def delete() -> None:
                    for i in range(len(sizes)):
                        client.delete(r.DEPLOYMENTS, f"bench-{i}", NAMESPACE, propagation_policy="Background")

                pods_deleted_s = phases.run("delete", delete, lambda: pod_tracker.count(matching=False) == 0,
                                            timeout)
                pods_left = pod_tracker.count(matching=False)
                end_metrics = read_metrics(server)
                rss.sample()
            finally:
                for stopper in (node_tracker, lease_tracker, pod_tracker, rss):
                    stopper.stop()
            store_file = _file_size(workdir / "bench.sqlite3")
            watched = watcher.figures() if watcher is not None else {}
    return {
        "nodes": nodes, "pods": pods, "deployments": len(sizes), "timeout_s": timeout,
        "nodes_ready_s": nodes_ready_s, "nodes_ready": nodes_ready,
        "pods_running_s": pods_running_s, "pods_running": pods_running,
        "pods_deleted_s": pods_deleted_s, "pods_left": pods_left,
        "phase_s": phases.seconds,
        "server_cpu_s": phases.cpu,
        "api_requests_per_s": phases.rates,
        "lease_renewals_per_s": round(renewal_rate, 1),
        "peak_rss_mib": round(rss.peak / MIB, 1),
        "bench_client_rss_mib": round(rss.peak_bench / MIB, 1),
        "store_db_mib": round(end_metrics["etcd_db_total_size_in_bytes"] / MIB, 1),
        "store_files_mib": round(store_file / MIB, 1),
        "cdc_rows_written": int(end_metrics["kubeviz_store_changes_written_total"]
                                - start_metrics["kubeviz_store_changes_written_total"]),
        "revisions": int(end_metrics["kubeviz_store_revision"] - start_metrics["kubeviz_store_revision"]),
        "pod_creation": "Deployments through the API (ReplicaSet controller creates the pods)",
        **watched,
        "mode": (f"scale-out: API server on PostgreSQL{' + Redis' if os.environ.get('REDIS_URL') else ''}, "
                 f"2 kube-controller-managers, kube-scheduler, {kubelet_processes} kubelet processes"
                 if scale_out else "one server process on SQLite"),
    }


@contextmanager
def _dashboard(server: Server, workdir: Path, database_url: str, wanted: bool) -> Iterator[Any]:
    """``--dashboard``: the live page open in Chromium through every phase."""
    if not wanted:
        yield None
        return
    from kubeviz.bench.dashboard import DashboardWatcher

    with DashboardWatcher(server, workdir, database_url) as watcher:
        yield watcher


@contextmanager
def _components(server: Server, workdir: Path, database_url: str) -> Iterator[Components | None]:
    """Scale-out: the controller managers and the scheduler, started before the clock runs."""
    if not database_url:
        yield None
        return
    components = Components(server, workdir, database_url)
    try:
        components.start_control_plane()
        yield components
    finally:
        components.stop()


def _seconds(value: float | None, reached: str) -> str:
    return f"{value:.1f}" if value is not None else f"timeout ({reached})"


def table(f: dict[str, Any]) -> str:
    rates = f["api_requests_per_s"]
    rows = [
        ("", f"kubeviz ({f['nodes']:,} nodes, {f['pods']:,} pods)", "KWOK CI target"),
        ("nodes Ready (s)", _seconds(f["nodes_ready_s"], f"{f['nodes_ready']:,} Ready"),
         f"< {KWOK['nodes_ready_s']:.0f}"),
        ("pods Running (s)", _seconds(f["pods_running_s"], f"{f['pods_running']:,} Running"),
         f"< {KWOK['pods_running_s']:.0f}"),
        ("pods deleted (s)", _seconds(f["pods_deleted_s"], f"{f['pods_left']:,} left"),
         f"< {KWOK['pods_deleted_s']:.0f}"),
        ("peak RSS, server processes (MiB)", f"{f['peak_rss_mib']:,.0f}", "<= 2048"),
        ("API requests/s: nodes / pods / delete",
         " / ".join(f"{rates.get(p, 0):,.0f}" for p in ("nodes", "pods", "delete")), ""),
        ("server CPU s: nodes / pods / delete",
         " / ".join(f"{f['server_cpu_s'].get(p, 0):,.1f}" for p in ("nodes", "pods", "delete")), ""),
        ("lease renewals/s (pods phase)", f"{f['lease_renewals_per_s']:,.0f}", f"{f['nodes'] / 10:,.0f} expected"),
        *([("dashboard update p95 (ms): nodes / pods / delete",
            " / ".join(f"{f['dashboard_p95_ms_by_phase'].get(p, float('nan')):,.0f}" for p in ("nodes", "pods", "delete")),
            "<= 1000"),
           ("dashboard samples / not shown within 60 s", f"{f['dashboard_samples']} / {f['dashboard_missed']}", "")]
          if f.get("dashboard_samples") else []),
        ("store size (MiB, db / files)", f"{f['store_db_mib']:,.1f} / {f['store_files_mib']:,.1f}", ""),
        ("CDC rows written / revisions", f"{f['cdc_rows_written']:,} / {f['revisions']:,}", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += ["", f"pods created by: {f['pod_creation']}, {f['deployments']} Deployment(s)",
              f"profile realistic at speed 1 (lease renew 10 s); {f.get('mode', 'one server process on SQLite')}; "
              f"phase timeout {f['timeout_s']:.0f} s"]
    return "\n".join(lines)
