"""``manage.py bench cluster`` runs end to end at a small size and prints its figures."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
KEYS = {"nodes_ready_s", "pods_running_s", "pods_deleted_s", "peak_rss_mib", "api_requests_per_s"}


@pytest.mark.slow
def test_bench_cluster_json_has_the_kwok_figures():
    done = subprocess.run([sys.executable, "manage.py", "bench", "cluster", "--nodes", "20", "--pods", "40",
                           "--timeout", "40", "--dashboard", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= figures.keys()
    assert figures["nodes_ready"] == 20
    assert figures["pods_running"] == 40
    assert figures["pods_left"] == 0
    assert figures["peak_rss_mib"] > 0
    assert set(figures["api_requests_per_s"]) == {"nodes", "pods", "delete"}
    # --dashboard: the page was open throughout and its updates were timed in every phase
    assert figures["dashboard_samples"] >= 3
    assert set(figures["dashboard_p95_ms_by_phase"]) == {"nodes", "pods", "delete"}
    assert 0 < figures["dashboard_p95_ms"] < 60_000


@pytest.mark.slow
def test_bench_cluster_scale_out_runs_the_control_plane_as_processes():
    """Under scripts/with-postgres (make test's second pass): the server on PostgreSQL,
    two controller managers, a scheduler and two kubelet processes over HTTP."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("scale-out needs PostgreSQL: scripts/with-postgres")
    done = subprocess.run([sys.executable, "manage.py", "bench", "cluster", "--scale-out", "--nodes", "6",
                           "--pods", "6", "--timeout", "90", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (figures["nodes_ready"], figures["pods_running"], figures["pods_left"]) == (6, 6, 0)
    assert figures["mode"].startswith("scale-out: API server on PostgreSQL")
    assert figures["peak_rss_mib"] > 150  # the server and five more Python processes, summed


def test_scale_out_refuses_a_database_that_is_not_postgresql():
    env = {**os.environ, "DATABASE_URL": "sqlite:////tmp/not-postgres.sqlite3"}
    done = subprocess.run([sys.executable, "manage.py", "bench", "cluster", "--scale-out"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "--scale-out needs DATABASE_URL=postgres://" in done.stderr
    assert "Traceback" not in done.stderr


def test_add_nodes_is_one_write(admin_client):
    from controllers import scenarios

    assert scenarios.add_nodes(admin_client, 3) == ["node-1", "node-2", "node-3"]
    assert scenarios.add_nodes(admin_client, 2) == ["node-4", "node-5"]
    nodes = scenarios.simulated_nodes(admin_client)
    assert sorted(nodes, key=lambda n: int(n.split("-")[1])) == [f"node-{i}" for i in range(1, 6)]
    assert nodes["node-5"]["spec"]["index"] == 5


def test_pod_cidrs_stay_valid_past_255_nodes():
    import ipaddress

    from controllers.kubelet.agent import pod_cidr

    assert pod_cidr(1) == "10.244.1.0/24"
    cidrs = {pod_cidr(i) for i in range(1, 5001)}
    assert len(cidrs) == 5000
    assert all(ipaddress.ip_network(c).num_addresses == 256 for c in cidrs)
