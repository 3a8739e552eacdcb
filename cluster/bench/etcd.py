"""A real etcd for comparison: started on free loopback ports in a temp dir and
driven through its gRPC gateway (JSON over HTTP, base64 keys and values)."""
from __future__ import annotations

import base64
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from cluster.store.keys import prefix_end



def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: etcd gets SIGTERM if the bench is killed before it can stop etcd."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def running_etcd(binary: str = "etcd") -> Iterator[str]:
    """An etcd member of its own one-member cluster; yields its client URL."""
    path = shutil.which(binary)
    if path is None:
        raise RuntimeError("etcd is not installed (apt-get install etcd-server)")
    with tempfile.TemporaryDirectory(prefix="kubeviz-bench-etcd-") as tmp:
        client, peer = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
        log = open(f"{tmp}/etcd.log", "wb")
        process = subprocess.Popen(
            [
                path, "--name", "bench", "--data-dir", f"{tmp}/data",
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"bench={peer}", "--log-level", "error", "--logger", "zap",
            ],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        try:
            _wait_ready(client, process, f"{tmp}/etcd.log")
            yield client
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log, errors="replace") as f:
                raise RuntimeError(f"etcd exited with {process.returncode}: {f.read()[-500:]}")
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)  # etcd's own start-up: nothing to wait on but its port
    raise RuntimeError("etcd did not become healthy within 20 s")


class EtcdClient:
    """The workload's client for etcd: one keep-alive HTTP session per thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.session.post(f"{self.url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def put(self, key: bytes, value: bytes) -> None:
        self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def get(self, key: bytes) -> None:
        self._call("/v3/kv/range", {"key": _b64(key)})

    def watch(self, prefix: bytes, on_event: Callable[[bytes, float], None]) -> Callable[[], None]:
        body = {"create_request": {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))}}
        response = requests.post(f"{self.url}/v3/watch", json=body, stream=True, timeout=(5, None))
        response.raise_for_status()
        created = threading.Event()

        def loop() -> None:
            buffer = b""
            try:
                for chunk in response.iter_content(chunk_size=None):
                    buffer += chunk
                    while b"\n" in buffer:
                        line, buffer = buffer.split(b"\n", 1)
                        if not line.strip():
                            continue
                        at = time.perf_counter()
                        result = json.loads(line).get("result", {})
                        if result.get("created"):
                            created.set()
                        for event in result.get("events", []):
                            on_event(base64.b64decode(event["kv"]["key"]), at)
            except (requests.RequestException, AttributeError, ValueError):
                pass  # the stream was closed by stop()

        thread = threading.Thread(target=loop, name="bench-etcd-watcher", daemon=True)
        thread.start()
        if not created.wait(10):
            raise RuntimeError("etcd watch was not created within 10 s")

        def stop() -> None:
            # Closing the response would wait for the reader blocked on the socket;
            # shutting the socket down wakes the reader first.
            connection = getattr(response.raw, "connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            thread.join(timeout=5)
            response.close()

        return stop

    def fork(self) -> "EtcdClient":
        return EtcdClient(self.url)

    def close(self) -> None:
        self.session.close()


@contextmanager
def etcd_client() -> Iterator[tuple[EtcdClient, str]]:
    """A fresh etcd and a client for it; yields the client and etcd's durability."""
    with running_etcd() as url:
        version = requests.get(f"{url}/version", timeout=5).json().get("etcdserver", "?")
        client = EtcdClient(url)
        try:
            yield client, f"etcd {version} defaults (fsync of its WAL per raft batch, batched backend commits)"
        finally:
            client.close()
