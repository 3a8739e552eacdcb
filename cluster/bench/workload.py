"""One store workload, run the same way against any client (our store, real etcd).

A client needs ``put``, ``get``, ``watch`` and ``fork`` (a client for another
thread: a Django connection or an HTTP session is not shared between threads).
Every phase is bounded by a time budget as well as a count, so the whole bench
finishes in well under a minute on a slow machine.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

VALUE = b'{"kind":"Pod","metadata":{"name":"bench"},"spec":{"nodeName":"node-1"}}'


class Client(Protocol):
    def put(self, key: bytes, value: bytes) -> None: ...

    def get(self, key: bytes) -> None: ...

    def watch(self, prefix: bytes, on_event: Callable[[bytes, float], None]) -> Callable[[], None]:
        """Start delivering (key, perf_counter at receipt) for puts under ``prefix``;
        returns once the watch is established, with a function that stops it."""
        ...

    def fork(self) -> "Client": ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Budget:
    sequential_seconds: float = 3.0
    concurrent_seconds: float = 4.0
    concurrent_clients: int = 16
    range_seconds: float = 2.0
    watch_samples: int = 300


def sequential_puts(client: Client, prefix: bytes, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        client.put(prefix + b"%08d" % n, VALUE)
        n += 1
    return n / (time.perf_counter() - start)


def concurrent_puts(client: Client, prefix: bytes, seconds: float, clients: int) -> float:
    """``clients`` threads, each with its own client, putting as fast as they can."""
    counts = [0] * clients
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        own = client.fork()
        try:
            barrier.wait()
            n = 0
            while not stop.is_set():
                own.put(prefix + b"%02d/%08d" % (i, n), VALUE)
                n += 1
            counts[i] = n
        except BaseException as e:  # reported after the run, not swallowed
            errors.append(e)
            stop.set()
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def range_reads(client: Client, prefix: bytes, seconds: float) -> float:
    keys = [prefix + b"%08d" % i for i in range(100)]
    for key in keys:
        client.put(key, VALUE)
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        client.get(keys[n % len(keys)])
        n += 1
    return n / (time.perf_counter() - start)


def watch_latency(client: Client, prefix: bytes, samples: int) -> tuple[float, float]:
    """p50 and p99 in ms from issuing a put to a watcher receiving its event.

    One put at a time, so each figure is a delivery latency, not queueing.
    The interval includes the commit itself (fsync): an event can reach the
    watcher before the put call returns, so "after the put returned" is not a
    usable start mark.
    """
    arrived: dict[bytes, float] = {}
    cond = threading.Condition()

    def on_event(key: bytes, at: float) -> None:
        with cond:
            arrived.setdefault(key, at)
            cond.notify_all()

    stop = client.watch(prefix, on_event)
    latencies: list[float] = []
    try:
        for i in range(samples):
            key = prefix + b"%08d" % i
            start = time.perf_counter()
            client.put(key, VALUE)
            with cond:
                if not cond.wait_for(lambda: key in arrived, timeout=10):
                    raise TimeoutError(f"watch event for {key!r} did not arrive in 10 s")
            latencies.append((arrived[key] - start) * 1000)
    finally:
        stop()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99


def run(clients: dict[str, Client], budget: Budget) -> dict[str, dict[str, float]]:
    """Every phase for every client, phase by phase: on a shared machine a burst
    of outside load then falls on both sides of a ratio, not on one."""
    figures: dict[str, dict[str, float]] = {name: {} for name in clients}
    for name, client in clients.items():
        figures[name]["sequential_puts_per_s"] = sequential_puts(client, b"/bench/seq/", budget.sequential_seconds)
    for name, client in clients.items():
        figures[name]["concurrent_puts_per_s"] = concurrent_puts(
            client, b"/bench/conc/", budget.concurrent_seconds, budget.concurrent_clients
        )
    for name, client in clients.items():
        figures[name]["range_reads_per_s"] = range_reads(client, b"/bench/range/", budget.range_seconds)
    for name, client in clients.items():
        p50, p99 = watch_latency(client, b"/bench/watch/", budget.watch_samples)
        figures[name]["watch_latency_p50_ms"] = p50
        figures[name]["watch_latency_p99_ms"] = p99
    return figures
