"""``manage.py bench dashboard``: the live page in Chromium against a live server.

* store change → DOM updated: a pod's status is written through the API (its
  restart count bumped) and the page notes, with a MutationObserver, when the
  pod's element shows it; latency = page wall time (performance.timeOrigin +
  now()) minus the time the write was sent. Idle, then under ~``churn_rate``
  other pod changes per second.
* websocket bytes per pod change (CDP Network frames, everything the page is
  sent: the pod fragment, the revision, the etcd and API server feed lines).
* first render (navigation → every node card drawn) and JS heap (CDP
  ``Runtime.getHeapUsage`` after a GC) at ``nodes`` / ``pods``.
* ``soak_minutes``: heap sampled over time under churn (flat = no leak).

The server runs with ``--no-control-plane``: nodes and bound, Running pods are
written straight through the API, so only the benchmark changes anything.
"""
from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cluster.bench.cluster import PROBE_LABEL
from cluster.bench.live import ROOT, Server, bench_env, running_server
from cluster.client import ApiClient, StatusError
from cluster.client import resources as r
from cluster.client.http import HttpTransport

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
USER, PASSWORD = "bench-admin", "bench-password-1"
PROBE = "bench-probe"

# Resolves window.__probe with the wall time at which the probe pod's element shows ``needle``.
ARM = """(needle) => {
  window.__probe = new Promise(resolve => {
    const hit = () => {
      const el = document.querySelector('[data-pod="default/PROBE"]');
      return el && el.getAttribute('title').includes(needle);
    };
    const observer = new MutationObserver(() => {
      if (hit()) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
    });
    observer.observe(document.getElementById('dashboard'), {subtree: true, childList: true, attributes: true});
  });
}""".replace("PROBE", PROBE)


def _client(server: Server) -> ApiClient:
    return ApiClient(HttpTransport(server.url, server.token))


def _node(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {},
            "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def _pod(name: str, node: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.27", "resources": {
                "requests": {"cpu": "100m", "memory": "64Mi"}}}]}}


def _status(restarts: int) -> dict[str, Any]:
    return {"phase": "Running", "containerStatuses": [
        {"name": "c", "ready": True, "restartCount": restarts, "image": "nginx:1.27", "imageID": "", "state": {}}]}


def _set_status(client: ApiClient, name: str, restarts: int, pod: dict[str, Any] | None = None) -> None:
    """One write: a merge patch of the pod's status (or a status update of ``pod``)."""
    if pod is None:
        client.patch(r.PODS, name, {"status": _status(restarts)}, "default", subresource="status")
        return
    pod["status"] = _status(restarts)
    client.update_status(r.PODS, pod)


def populate(server: Server, nodes: int, pods: int, workers: int = 16) -> None:
    local = threading.local()

    def client() -> ApiClient:
        if not hasattr(local, "client"):
            local.client = _client(server)
        return local.client

    def make_node(i: int) -> None:
        client().create(r.NODES, _node(f"node-{i}"))

    def make_pod(i: int) -> None:
        name = PROBE if i == 0 else f"pod-{i}"
        created = client().create(r.PODS, _pod(name, f"node-{i % nodes}"), "default")
        _set_status(client(), name, 0, created)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(make_node, range(nodes)))
        list(pool.map(make_pod, range(max(pods, 1))))


def _create_login(workdir: Path, database_url: str = "") -> None:
    env = bench_env(workdir, database_url)
    script = ("from django.contrib.auth import get_user_model; "
              f"get_user_model().objects.create_superuser({USER!r}, '', {PASSWORD!r})")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", script], env=env, check=True, cwd=ROOT,
                   capture_output=True)  # not into the benchmark's own output (--json)


class Churn:
    """Background pod changes at about ``rate`` per second (restart counts bumped)."""

    def __init__(self, server: Server, pods: int, rate: float, workers: int = 16) -> None:
        self.server, self.pods, self.rate, self.workers = server, pods, rate, workers
        self.stop = threading.Event()
        self.done = 0
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(workers)]

    def _run(self, seed: int) -> None:
        client, rng = _client(self.server), random.Random(seed)
        interval = self.workers / self.rate
        restarts = 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            restarts += 1
            try:
                _set_status(client, f"pod-{rng.randrange(1, max(self.pods, 2))}", restarts)
                self.done += 1
            except StatusError:
                pass  # a conflict with another churn thread: skip it
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> Churn:  # noqa: PYI034 - never subclassed
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(5)
        self.achieved = self.done / max(time.monotonic() - self.started, 1e-9)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


class Probe:
    def __init__(self, page: Any, client: ApiClient) -> None:
        self.page, self.client, self.restarts, self.missed = page, client, 0, 0
        self.from_request: list[float] = []  # the same, from the request being sent (API queueing too)

    def once(self, timeout_ms: float = 60_000) -> float:
        """One pod change; milliseconds until the DOM shows it (``timeout_ms`` if it never does)."""
        self.restarts += 1
        self.page.evaluate(ARM, f"· {self.restarts} restarts")
        sent = time.time() * 1000
        _set_status(self.client, PROBE, self.restarts)
        committed = time.time() * 1000  # the API server has answered: the store change exists
        shown = self.page.evaluate(
            "(ms) => Promise.race([window.__probe, new Promise(r => setTimeout(() => r(null), ms))])", timeout_ms)
        if shown is None:  # never shown: counted as the whole wait, and noted
            self.missed += 1
            shown = committed + timeout_ms
        self.from_request.append(shown - sent)
        return shown - committed

    def samples(self, count: int, pause: float = 0.3) -> list[float]:
        out = []
        for _ in range(count):
            out.append(self.once())
            time.sleep(pause)
        return out


PROBE_NODE = "bench-probe-node"


def _logged_in_page(browser: Any, server: Server) -> Any:
    """A page logged in to the dashboard as the benchmark's user, its websocket live."""
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#connection.live")
    return page


class DashboardWatcher:
    """The dashboard open in Chromium beside another benchmark (``bench cluster
    --dashboard``), sampling its update latency as the cluster works.

    The probe is a pod of its own on a Node no kubelet runs (both labelled
    ``kubeviz.io/bench-probe``, the pod tolerating the node going NotReady), so
    only the probe writes it; a sample is one status write → the page shows it.
    """

    def __init__(self, server: Server, workdir: Path, database_url: str = "", every: float = 2.0) -> None:
        self.server, self.workdir, self.database_url, self.every = server, workdir, database_url, every
        self.samples: dict[str, list[float]] = {}
        self.phase = "idle"
        self._last = 0.0

    def __enter__(self) -> "DashboardWatcher":
        from playwright.sync_api import sync_playwright

        _create_login(self.workdir, self.database_url)
        client = _client(self.server)
        node = _node(PROBE_NODE)
        node["metadata"]["labels"] = {PROBE_LABEL: "true"}
        node["spec"]["taints"] = [{"key": PROBE_LABEL, "value": "true", "effect": "NoSchedule"}]  # no bench pods here
        client.create(r.NODES, node)
        pod = _pod(PROBE, PROBE_NODE)
        pod["metadata"]["labels"] = {PROBE_LABEL: "true"}
        pod["spec"]["tolerations"] = [{"key": key, "operator": "Exists", "effect": "NoExecute"} for key in
                                      ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]
        _set_status(client, PROBE, 0, client.create(r.PODS, pod, "default"))
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _logged_in_page(self._browser, self.server)
        page.wait_for_selector(f'[data-pod="default/{PROBE}"]')
        self.probe = Probe(page, client)
        return self

    def __exit__(self, *exc: object) -> None:
        self._browser.close()
        self._playwright.stop()

    def tick(self) -> None:
        """Take a sample when ``every`` seconds have passed since the last one, and at
        once in a new phase (so a short phase has one too)."""
        if self.phase in self.samples and time.monotonic() - self._last < self.every:
            return
        self.samples.setdefault(self.phase, []).append(self.probe.once())
        self._last = time.monotonic()

    def figures(self) -> dict[str, Any]:
        every = [ms for samples in self.samples.values() for ms in samples]
        return {"dashboard_p95_ms": round(_percentile(every, 0.95), 1) if every else None,
                "dashboard_samples": len(every),
                "dashboard_missed": self.probe.missed,  # changes the page had not shown after 60 s
                "dashboard_p95_ms_by_phase": {phase: round(_percentile(samples, 0.95), 1)
                                              for phase, samples in self.samples.items()}}


def _heap_mib(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2 ** 20


def bench(nodes: int = 1000, pods: int = 10_000, samples: int = 40, churn_rate: float = 100.0,
          soak_minutes: float = 0.0) -> dict[str, Any]:
    figures: dict[str, Any] = {"nodes": nodes, "pods": pods, "samples": samples, "churn_rate_target": churn_rate}
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-dashboard-") as tmp:
        workdir = Path(tmp)
        with running_server(workdir, "--no-control-plane") as server:
            try:
                return _measure(server, workdir, figures, nodes, pods, samples, churn_rate, soak_minutes)
            except Exception:
                log = (workdir / "server.log").read_text(errors="replace")
                sys.stderr.write("--- the server's log, last lines ---\n" + log[-4000:])
                raise


def _measure(server: Server, workdir: Path, figures: dict[str, Any], nodes: int, pods: int, samples: int,
             churn_rate: float, soak_minutes: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    _create_login(workdir)
    started = time.monotonic()
    populate(server, nodes, pods)
    figures["populate_s"] = round(time.monotonic() - started, 1)
    client = _client(server)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _logged_in_page(browser, server)
        cdp = page.context.new_cdp_session(page)
        # first render: a fresh navigation until every node card and the probe pod are drawn
        started = time.monotonic()
        page.goto(server.url + "/")
        page.wait_for_function(
            f"document.querySelectorAll('#nodes [data-node]').length >= {nodes} && "
            f"document.querySelector('[data-pod=\"default/{PROBE}\"]')")
        figures["first_render_s"] = round(time.monotonic() - started, 3)
        figures["js_heap_mib"] = round(_heap_mib(cdp), 1)
        figures["dom_nodes"] = page.evaluate("document.getElementsByTagName('*').length")

        frames: list[int] = []
        cdp.on("Network.webSocketFrameReceived",
               lambda event: frames.append(len(event["response"]["payloadData"].encode())))
        cdp.send("Network.enable")
        probe = Probe(page, client)
        probe.samples(3)  # warm up
        frames.clear()
        idle = probe.samples(samples)
        time.sleep(0.5)  # the last delta's feeds
        figures["bytes_per_pod_change"] = round(sum(frames) / len(idle))
        figures["ws_messages_per_pod_change"] = round(len(frames) / len(idle), 2)
        figures["dashboard_p50_ms"] = round(statistics.median(idle), 1)
        figures["dashboard_p95_ms"] = round(_percentile(idle, 0.95), 1)
        figures["dashboard_from_request_p95_ms"] = round(_percentile(probe.from_request, 0.95), 1)
        probe.from_request.clear()
        with Churn(server, pods, churn_rate) as churn:
            time.sleep(1.0)
            busy = probe.samples(samples, pause=0.2)
        figures["churn_changes_per_s"] = round(churn.achieved, 1)
        figures["churn_p50_ms"] = round(statistics.median(busy), 1)
        figures["churn_p95_ms"] = round(_percentile(busy, 0.95), 1)
        figures["churn_from_request_p95_ms"] = round(_percentile(probe.from_request, 0.95), 1)
        figures["js_heap_after_churn_mib"] = round(_heap_mib(cdp), 1)
        if soak_minutes > 0:
            figures.update(soak(page, cdp, server, pods, churn_rate, soak_minutes))
        browser.close()
    return figures


def soak(page: Any, cdp: Any, server: Server, pods: int, rate: float, minutes: float) -> dict[str, Any]:
    """Heap over time under churn; the slope is what a leak looks like."""
    heap: list[tuple[float, float]] = []
    interval = min(30.0, minutes * 60 / 10)
    with Churn(server, pods, rate):
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            heap.append((elapsed / 60, _heap_mib(cdp)))
            if elapsed >= minutes * 60:
                break
            time.sleep(min(interval, minutes * 60 - elapsed))
    dom = page.evaluate("document.getElementsByTagName('*').length")
    slope = statistics.linear_regression([t for t, _ in heap], [h for _, h in heap]).slope if len(heap) > 2 else 0.0
    return {"soak_minutes": minutes, "soak_heap_start_mib": round(heap[0][1], 1),
            "soak_heap_end_mib": round(heap[-1][1], 1), "soak_heap_max_mib": round(max(h for _, h in heap), 1),
            "soak_heap_slope_mib_per_min": round(slope, 3), "soak_dom_nodes_end": dom}


ROWS = [
    ("store change → DOM p50, idle (ms)", "dashboard_p50_ms", "{:.1f}", "p95 <= 100"),
    ("store change → DOM p95, idle (ms)", "dashboard_p95_ms", "{:.1f}", "<= 100"),
    ("store change → DOM p50, churn (ms)", "churn_p50_ms", "{:.1f}", ""),
    ("store change → DOM p95, churn (ms)", "churn_p95_ms", "{:.1f}", "<= 1000"),
    ("  idle p95 from request sent (ms)", "dashboard_from_request_p95_ms", "{:.1f}", ""),
    ("  churn p95 from request sent (ms)", "churn_from_request_p95_ms", "{:.1f}", ""),
    ("churn achieved (changes/s)", "churn_changes_per_s", "{:.1f}", "~100"),
    ("websocket bytes per pod change", "bytes_per_pod_change", "{:,}", "<= 2048"),
    ("first render (s)", "first_render_s", "{:.2f}", "<= 2"),
    ("JS heap after first render (MiB)", "js_heap_mib", "{:.1f}", ""),
    ("JS heap after churn (MiB)", "js_heap_after_churn_mib", "{:.1f}", ""),
    ("DOM elements", "dom_nodes", "{:,}", ""),
    ("soak heap start (MiB)", "soak_heap_start_mib", "{:.1f}", ""),
    ("soak heap end (MiB)", "soak_heap_end_mib", "{:.1f}", ""),
    ("soak heap slope (MiB/min)", "soak_heap_slope_mib_per_min", "{:.3f}", "~0"),
]


def table(figures: dict[str, Any]) -> str:
    rows = [("", "measured", "target")]
    rows += [(label, fmt.format(figures[name]), target) for label, name, fmt, target in ROWS if name in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append(f"{figures['nodes']:,} nodes, {figures['pods']:,} pods (created in {figures['populate_s']} s, "
                 f"--no-control-plane); Chromium headless; latency = the API server's answer to a pod status write (the store change committed) → "
                 "a MutationObserver in the page sees the pod's element change; 'from request sent' adds the API's queueing")
    return "\n".join(lines)
