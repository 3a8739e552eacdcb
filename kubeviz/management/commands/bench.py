"""``manage.py bench <subject>``: figures, not tests.

Each subject is one entry in ``SUBJECTS`` (store, api, scheduler, cluster,
dashboard, soak) and prints a table, or one JSON object with ``--json``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _bench_store(options: dict[str, Any]) -> dict[str, Any]:
    from cluster.bench.store import bench

    return bench(vs_etcd=bool(options["vs_etcd"]))


def _bench_api(options: dict[str, Any]) -> dict[str, Any]:
    from cluster.bench.api import bench

    return bench(pods=options["pods"], clients=options["clients"])


def _bench_cluster(options: dict[str, Any]) -> dict[str, Any]:
    from cluster.bench.cluster import bench

    try:
        return bench(nodes=options["nodes"], pods=options["pods"], timeout=options["timeout"],
                     scale_out=options["scale_out"], kubelet_processes=options["kubelet_processes"],
                     dashboard=options["dashboard"])
    except ValueError as error:  # --scale-out without a PostgreSQL
        raise CommandError(str(error)) from None


def _bench_soak(options: dict[str, Any]) -> dict[str, Any]:
    from cluster.bench.soak import bench

    return bench(minutes=options["minutes"], nodes=options["nodes"], pods=options["pods"],
                 samples=options["samples"])


def _bench_dashboard(options: dict[str, Any]) -> dict[str, Any]:
    from kubeviz.bench.dashboard import bench

    return bench(nodes=options["map_nodes"], pods=options["map_pods"], samples=options["samples"],
                 churn_rate=options["churn_rate"], soak_minutes=options["soak_minutes"])


def _bench_scheduler(options: dict[str, Any]) -> dict[str, Any]:
    from controllers.scheduler.bench import bench

    return bench(options["nodes"], options["pods"])


SUBJECTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "dashboard": _bench_dashboard, "store": _bench_store, "api": _bench_api, "cluster": _bench_cluster,
    "soak": _bench_soak, "scheduler": _bench_scheduler}
# Where each subject's table printer lives (the store's is below).
TABLES = {"dashboard": "kubeviz.bench.dashboard", "api": "cluster.bench.api", "cluster": "cluster.bench.cluster",
          "soak": "cluster.bench.soak", "scheduler": "controllers.scheduler.bench"}

ROWS = [
    ("sequential puts/s (1 client)", "sequential_puts_per_s", "{:,.0f}"),
    ("concurrent puts/s (threads)", "concurrent_puts_per_s", "{:,.0f}"),
    ("concurrent puts/s (processes)", "process_puts_per_s", "{:,.0f}"),
    ("range reads/s (1 client, 1 key)", "range_reads_per_s", "{:,.0f}"),
    ("watch latency p50 (ms)", "watch_latency_p50_ms", "{:.2f}"),
    ("watch latency p99 (ms)", "watch_latency_p99_ms", "{:.2f}"),
]


def table(figures: dict[str, Any]) -> str:
    with_etcd = "etcd_sequential_puts_per_s" in figures
    header = ["", "kubeviz store"] + (["etcd", "ratio"] if with_etcd else [])
    rows = [header]
    for label, name, fmt in ROWS:
        row = [label, fmt.format(figures[name])]
        if with_etcd and f"etcd_{name}" in figures:
            row += [fmt.format(figures[f"etcd_{name}"]), f"{figures[f'ratio_{name}']:.2f}"]
        elif with_etcd:
            row += ["-", "-"]  # measured for kubeviz only
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append(f"durability: {figures['durability']}")
    lines.append(f"concurrency: {figures['concurrency']}")
    if with_etcd:
        lines.append(f"etcd durability: {figures['etcd_durability']}")
        lines.append("ratio = kubeviz / etcd (higher is better for rates, lower for latency)")
    lines.append("watch latency: put issued -> event received by a watcher, one put at a time")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Benchmark a part of KubeViz and print the figures (store, api, scheduler, cluster, soak, dashboard)."
    # A bench builds its own throwaway database and needs no URLs or admin checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", choices=sorted(SUBJECTS), help="what to benchmark")
        parser.add_argument("--vs-etcd", action="store_true", help="run the same workload against a real etcd")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        parser.add_argument("--pods", type=int, default=10_000, help="api: pods stored before measuring; cluster, soak, scheduler: pods")
        parser.add_argument("--clients", type=int, default=50, help="api: concurrent HTTP clients")
        parser.add_argument("--map-nodes", type=int, default=1000, help="dashboard: nodes on the map")
        parser.add_argument("--map-pods", type=int, default=10_000, help="dashboard: pods on the map")
        parser.add_argument("--samples", type=int, default=40, help="dashboard: latency samples per phase")
        parser.add_argument("--churn-rate", type=float, default=100.0, help="dashboard: pod changes/s under churn")
        parser.add_argument("--soak-minutes", type=float, default=0.0, help="dashboard: heap over time under churn")
        parser.add_argument("--nodes", type=int, default=5000, help="cluster, soak, scheduler: simulated nodes")
        parser.add_argument("--timeout", type=float, default=300.0, help="cluster: seconds allowed per phase")
        parser.add_argument("--scale-out", action="store_true",
                            help="cluster: the control plane as separate processes on the PostgreSQL of DATABASE_URL")
        parser.add_argument("--dashboard", action="store_true",
                            help="cluster: the dashboard open in Chromium throughout, its update latency sampled")
        parser.add_argument("--kubelet-processes", type=int, default=2,
                            help="cluster --scale-out: kubelet processes sharing the nodes")
        parser.add_argument("--minutes", type=float, default=60.0,
                            help="soak: how long to run (--samples: RSS and store size samples)")

    def handle(self, *args: Any, **options: Any) -> None:
        figures = SUBJECTS[options["subject"]](options)
        if options["json"]:
            self.stdout.write(json.dumps(figures, sort_keys=True))
        elif options["subject"] in TABLES:
            from importlib import import_module

            self.stdout.write(import_module(TABLES[options["subject"]]).table(figures))
        else:
            self.stdout.write(table(figures))
