"""``manage.py bench api``: API latency with many pods stored and many clients.

A real server (daphne, in its own process) on a throwaway database; pods are
created through the API by ``clients`` concurrent HTTP clients, then each verb
is measured the same way. Figures are set beside the Kubernetes API SLOs
(p99 <= 1 s for single-object calls, <= 30 s for cluster-wide lists).
"""
from __future__ import annotations

import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from .live import running_server

PODS = "/api/v1/namespaces/default/pods"


def _pod(i: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"bench-{i:05d}", "labels": {"app": "bench", "shard": str(i % 10)}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


class _Clients:
    """One requests.Session per worker thread (connection reuse, like a real client)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.local = threading.local()

    def session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def timed(self, method: str, path: str, **kwargs: Any) -> float:
        started = time.perf_counter()
        response = self.session().request(method, self.url + path, timeout=120, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return elapsed


def _phase(clients: int, calls: int, call: Callable[[int], float]) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = list(pool.map(call, range(calls)))
    wall = time.perf_counter() - started
    return {"p50_ms": round(_percentile(samples, 0.50), 2), "p99_ms": round(_percentile(samples, 0.99), 2),
            "calls": calls, "per_s": round(calls / wall, 1)}


def bench(pods: int = 10_000, clients: int = 50, calls: int = 2_000, lists: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-api-") as tmp, \
            running_server(Path(tmp), "--empty") as server:
        http = _Clients(server.url, server.token)
        json_headers = {"Content-Type": "application/json"}
        figures: dict[str, Any] = {"pods_stored": pods, "clients": clients}
        figures["create"] = _phase(clients, pods, lambda i: http.timed(
            "POST", PODS, data=json.dumps(_pod(i)), headers=json_headers))
        names = itertools.cycle(range(pods))
        figures["get"] = _phase(clients, calls, lambda i: http.timed("GET", f"{PODS}/bench-{next(names):05d}"))
        figures["update"] = _phase(clients, calls, lambda i: _update(http, i % pods))
        figures["patch"] = _phase(clients, calls, lambda i: http.timed(
            "PATCH", f"{PODS}/bench-{i % pods:05d}", data=json.dumps({"metadata": {"labels": {"round": str(i)}}}),
            headers={"Content-Type": "application/merge-patch+json"}))
        figures["list_all"] = _phase(min(clients, 5), lists, lambda i: http.timed("GET", "/api/v1/pods"))
        figures["list_selector"] = _phase(min(clients, 5), lists, lambda i: http.timed(
            "GET", PODS, params={"labelSelector": f"shard={i % 10}"}))
    flat = {f"{verb}_{k}": v for verb in ("create", "get", "update", "patch", "list_all", "list_selector")
            for k, v in figures[verb].items()}
    return {**flat, "pods_stored": pods, "clients": clients,
            "durability": "SQLite WAL synchronous=FULL (fsync per commit; concurrent txns group-committed)"}


def _update(http: _Clients, i: int) -> float:
    """GET then PUT with the read resourceVersion; a 409 (another client won) is retried."""
    path = f"{PODS}/bench-{i:05d}"
    total = 0.0
    for _ in range(10):
        started = time.perf_counter()
        pod = http.session().get(http.url + path, timeout=120).json()
        pod["metadata"].setdefault("annotations", {})["bench/touched"] = str(time.time())
        response = http.session().put(http.url + path, data=json.dumps(pod),
                                      headers={"Content-Type": "application/json"}, timeout=120)
        total += (time.perf_counter() - started) * 1000
        if response.status_code != 409:
            if response.status_code >= 400:
                raise RuntimeError(f"PUT {path}: {response.status_code} {response.text[:200]}")
            return total
    raise RuntimeError(f"PUT {path}: conflicts did not settle")


TARGETS_MS = {"get": 100, "create": 100, "update": 100, "patch": 100, "list_all": 2000}


def table(figures: dict[str, Any]) -> str:
    rows = [["verb", "p50 ms", "p99 ms", "calls/s", "aim p99", "Kubernetes SLO p99"]]
    for verb in ("get", "create", "update", "patch", "list_all", "list_selector"):
        slo = "30 s" if verb.startswith("list") else "1 s"
        aim = f"{TARGETS_MS[verb]} ms" if verb in TARGETS_MS else "-"
        rows.append([verb, f"{figures[f'{verb}_p50_ms']:.1f}", f"{figures[f'{verb}_p99_ms']:.1f}",
                     f"{figures[f'{verb}_per_s']:.0f}", aim, slo])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append(f"{figures['pods_stored']:,} pods stored, {figures['clients']} concurrent HTTP clients "
                 "(lists: 5 clients); update = GET + PUT with resourceVersion, 409s retried")
    lines.append(f"durability: {figures['durability']}")
    return "\n".join(lines)
