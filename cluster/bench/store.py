"""``manage.py bench store``: our store on a throwaway SQLite file, optionally
side by side with a real etcd running the same workload."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from cluster.store import Store, WatchHub
from cluster.store.keys import prefix_end
from kubeviz.settings import database_url

from .workload import Budget, Client, run

ALIAS = "bench"
PROCESSES = 4


class StoreClient:
    """The workload's client for our store: one Django connection per thread."""

    def __init__(self, store: Store, hub: WatchHub) -> None:
        self.store = store
        self.hub = hub

    def put(self, key: bytes, value: bytes) -> None:
        self.store.put(key, value)

    def get(self, key: bytes) -> None:
        self.store.range(key)

    def watch(self, prefix: bytes, on_event: Callable[[bytes, float], None]) -> Callable[[], None]:
        import time

        watcher = self.hub.watch(prefix, prefix_end(prefix))
        stop = threading.Event()

        def loop() -> None:
            try:
                while not stop.is_set():
                    for event in watcher.poll(timeout=0.2):
                        on_event(event.kv.key, time.perf_counter())
            finally:
                connections.close_all()

        thread = threading.Thread(target=loop, name="bench-watcher", daemon=True)
        thread.start()

        def close() -> None:
            stop.set()
            thread.join()

        return close

    def fork(self) -> "StoreClient":
        return self

    def close(self) -> None:
        connections[ALIAS].close()  # this thread's connection


def throwaway_database(directory: Path) -> str:
    """Add a ``bench`` alias for a fresh SQLite file in ``directory`` and migrate it.

    Same settings as the default database (WAL, synchronous=FULL, IMMEDIATE),
    never the user's file.
    """
    config = database_url.parse(f"sqlite:///{directory / 'bench.sqlite3'}", Path(settings.BASE_DIR))
    # configure_settings fills in Django's per-alias defaults; it insists on a "default".
    configured = connections.configure_settings({"default": config, ALIAS: dict(config)})
    connections.settings[ALIAS] = configured[ALIAS]
    call_command("migrate", "cluster", database=ALIAS, verbosity=0)
    return config["NAME"]


def process_puts(database: str, processes: int, seconds: float) -> float:
    """Puts/s of ``processes`` OS processes writing the same SQLite file at once.

    Across processes there is no shared committer: writers queue on SQLite's
    lock (busy timeout), which is why the embedded runtime keeps every write
    in the API server's one process.
    """
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(settings.BASE_DIR))
    start_at = time.time() + 2.0  # time for every child to import Django
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "cluster.bench.writer", f"/bench/proc/{i}/",
             "--for", str(seconds), "--start-at", str(start_at)],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for i in range(processes)
    ]
    total = 0
    for child in children:
        out, err = child.communicate(timeout=seconds + 60)
        if child.returncode != 0:
            raise RuntimeError(f"bench writer failed: {err.decode()[-500:]}")
        total += int(out)
    return total / seconds


def durability(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).upper()
        cursor.execute("PRAGMA synchronous")
        level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[int(cursor.fetchone()[0])]
    # Group commit (store/commit.py): concurrent txns of one process share a commit.
    fsync = "fsync per commit; concurrent txns group-committed" if level in ("FULL", "EXTRA") else "no fsync"
    return f"SQLite {mode} synchronous={level} ({fsync})"


@contextmanager
def store_client() -> Iterator[tuple[StoreClient, str]]:
    """Our store on a throwaway database, with a running watch hub, as a
    process serving the API would have; yields the client and the file."""
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-") as tmp:
        database = throwaway_database(Path(tmp))
        hub = WatchHub(Store(using=ALIAS))
        store = Store(using=ALIAS, on_commit=hub.notify)
        hub.store = store
        hub.start()
        try:
            yield StoreClient(store, hub), database
        finally:
            hub.stop()
            connections[ALIAS].close()
            del connections.settings[ALIAS]


RATIOS = (
    "sequential_puts_per_s",
    "concurrent_puts_per_s",
    "range_reads_per_s",
    "watch_latency_p50_ms",
    "watch_latency_p99_ms",
)


def bench(vs_etcd: bool, budget: Budget | None = None) -> dict[str, Any]:
    budget = budget or Budget()
    with ExitStack() as stack:
        client, database = stack.enter_context(store_client())
        clients: dict[str, Client] = {"kubeviz": client}
        if vs_etcd:
            from .etcd import etcd_client

            etcd, etcd_durability = stack.enter_context(etcd_client())
            clients["etcd"] = etcd
        measured = run(clients, budget)
        figures: dict[str, Any] = dict(measured["kubeviz"])
        figures["process_puts_per_s"] = process_puts(database, PROCESSES, budget.concurrent_seconds)
        figures["durability"] = durability(ALIAS)
        figures["concurrency"] = (
            f"{budget.concurrent_clients} threads in one process; "
            f"separately {PROCESSES} OS processes on the same file"
        )
    if vs_etcd:
        for name, value in measured["etcd"].items():
            figures[f"etcd_{name}"] = value
        for name in RATIOS:
            figures[f"ratio_{name}"] = figures[name] / figures[f"etcd_{name}"]
        figures["etcd_durability"] = etcd_durability
        figures["etcd_concurrency"] = f"{budget.concurrent_clients} threads in one process, one HTTP session each"
    return figures
