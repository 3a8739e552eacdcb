"""A real etcd on free loopback ports, for differential tests.

``EtcdServer.start(tmp_dir)`` runs ``/usr/bin/etcd`` with its own data dir and
waits until ``/health`` says so; ``etcdctl(*args)`` runs the real client
against it (API v3). ``ETCD_BIN`` / ``ETCDCTL_BIN`` override the binaries.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ETCD_BIN = os.environ.get("ETCD_BIN", "/usr/bin/etcd")
ETCDCTL_BIN = os.environ.get("ETCDCTL_BIN", "/usr/bin/etcdctl")


def available() -> bool:
    return shutil.which(ETCD_BIN) is not None and shutil.which(ETCDCTL_BIN) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EtcdServer:
    process: subprocess.Popen[bytes]
    client_url: str
    data_dir: Path

    @classmethod
    def start(cls, tmp_dir: Path, timeout: float = 20) -> "EtcdServer":
        client, peer = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
        data_dir = tmp_dir / "etcd-data"
        log = open(tmp_dir / "etcd.log", "wb")
        process = subprocess.Popen(
            [
                ETCD_BIN,
                "--name", "differential",
                "--data-dir", str(data_dir),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"differential={peer}",
                "--initial-cluster-state", "new",
            ],  # fmt: skip
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = cls(process, client, data_dir)
        server._wait_healthy(timeout)
        return server

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.process.returncode}; see etcd.log")
            try:
                with urllib.request.urlopen(f"{self.client_url}/health", timeout=1) as response:
                    if json.loads(response.read()).get("health") == "true":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"etcd at {self.client_url} not healthy after {timeout}s")

    def etcdctl(self, *args: str, stdin: bytes = b"", timeout: float = 10) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [ETCDCTL_BIN, f"--endpoints={self.client_url}", *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "ETCDCTL_API": "3"},
        )

    def etcdctl_command(self, *args: str) -> list[str]:
        """The argv for a long-running etcdctl (``watch``), for Popen."""
        return [ETCDCTL_BIN, f"--endpoints={self.client_url}", *args]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
