"""``manage.py bench soak --minutes 60 [--nodes N] [--pods M]``: does it stay flat?

A throwaway server (realistic profile, speed 1) gets ``nodes`` nodes and a
Deployment of ``pods`` pods, then runs with nothing else happening but what a
real idle cluster does (every kubelet renews its Lease every 10 s). The resident
memory of the server's processes and the store's size are sampled throughout;
the figure that matters is the growth over the last half of the run (target
< 5 %). Compaction keeps ``KUBEVIZ_HISTORY_SECONDS`` of history (600 s); for a run
shorter than 40 minutes the window is shortened to a quarter of the run, so
that the steady state — compaction deleting as much as is written — is reached
in the first half (the window used is printed).
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cluster.client import ApiClient
from cluster.client import resources as r
from cluster.client.http import HttpTransport

from .cluster import MIB, NAMESPACE, Tracker, _file_size, deployment, node_ready, pod_running, read_metrics, wait_until
from .live import running_server
from .procs import tree_rss_bytes


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def growth(samples: list[float]) -> float:
    """Relative growth from the middle sample to the last (0.05 = 5 %)."""
    if len(samples) < 2:
        return 0.0
    middle = samples[len(samples) // 2]
    return (samples[-1] - middle) / middle if middle else 0.0


def bench(minutes: float = 60.0, nodes: int = 1000, pods: int = 2000, samples: int = 60) -> dict[str, Any]:
    from controllers import scenarios

    seconds = minutes * 60
    history = float(os.environ.get("KUBEVIZ_HISTORY_SECONDS") or min(600.0, seconds / 4))
    interval = max(5.0, min(60.0, history / 5))
    env = {"KUBEVIZ_HISTORY_SECONDS": f"{history:g}", "KUBEVIZ_RETENTION_INTERVAL": f"{interval:g}"}
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-soak-") as tmp, _environ(**env):
        workdir = Path(tmp)
        with running_server(workdir, "--profile", "realistic", "--speed", "1", "--empty", "--nodes", "0") as server:
            client = ApiClient(HttpTransport(server.url, server.token, timeout=120))
            client.create(r.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
            node_tracker = Tracker(client, r.NODES, "", node_ready).start()
            pod_tracker = Tracker(client, r.PODS, NAMESPACE, pod_running).start()
            scenarios.add_nodes(client, nodes)
            if pods:
                client.create(r.DEPLOYMENTS, deployment("soak", pods), NAMESPACE)
            settle = wait_until(lambda: node_tracker.count() >= nodes and pod_tracker.count() >= pods,
                                min(seconds / 2, 600))
            node_tracker.stop()
            pod_tracker.stop()
            started = time.monotonic()
            rows: list[dict[str, float]] = []
            every = seconds / samples
            while True:
                metrics = read_metrics(server)
                rows.append({"t": round(time.monotonic() - started, 1),
                             "rss_mib": round(tree_rss_bytes(server.pid) / MIB, 1),
                             "db_mib": round(metrics["etcd_db_total_size_in_bytes"] / MIB, 2),
                             "files_mib": round(_file_size(workdir / "bench.sqlite3") / MIB, 2),
                             "revision": metrics["kubeviz_store_revision"],
                             "compact_revision": metrics["kubeviz_store_compact_revision"]})
                if time.monotonic() - started >= seconds:
                    break
                time.sleep(max(0.0, every - (time.monotonic() - started) % every))
    return {
        "minutes": minutes, "nodes": nodes, "pods": pods, "settled_s": settle,
        "history_seconds": history, "retention_interval_s": interval,
        "rss_growth_last_half": round(growth([row["rss_mib"] for row in rows]), 4),
        "store_growth_last_half": round(growth([row["db_mib"] for row in rows]), 4),
        "files_growth_last_half": round(growth([row["files_mib"] for row in rows]), 4),
        "samples": rows,
    }


def table(f: dict[str, Any]) -> str:
    lines = [f"soak: {f['minutes']:g} min, {f['nodes']:,} nodes, {f['pods']:,} pods "
             f"(settled in {f['settled_s'] if f['settled_s'] is not None else 'timeout'} s); "
             f"history window {f['history_seconds']:g} s, retention every {f['retention_interval_s']:g} s", "",
             f"{'t (s)':>8} {'RSS MiB':>9} {'db MiB':>8} {'files MiB':>10} {'revision':>10} {'compacted to':>13}"]
    for row in f["samples"]:
        lines.append(f"{row['t']:>8.0f} {row['rss_mib']:>9.1f} {row['db_mib']:>8.2f} {row['files_mib']:>10.2f} "
                     f"{row['revision']:>10,.0f} {row['compact_revision']:>13,.0f}")
    lines += ["", f"growth over the last half: RSS {f['rss_growth_last_half']:+.1%}, "
                  f"store {f['store_growth_last_half']:+.1%} (files incl. WAL {f['files_growth_last_half']:+.1%}); "
                  "target < 5 %"]
    return "\n".join(lines)
