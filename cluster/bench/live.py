"""A throwaway KubeViz server for benchmarks: its own SQLite file (or the
PostgreSQL it is given), a free loopback port, an admin token; stopped when
the benchmark ends."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    pid: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(workdir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of every benchmark process: one database, development settings."""
    return {**os.environ, "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "kubeviz.settings.dev"}


@contextmanager
def running_server(workdir: Path, *args: str, database_url: str = "") -> Iterator[Server]:
    env = bench_env(workdir, database_url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = subprocess.run([*manage, "kubeconfig", "--user", "bench", "--group", "system:masters",
                             "--server", url], env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    token = yaml.safe_load(config.stdout)["users"][0]["user"]["token"]
    with open(workdir / "server.log", "w") as log:
        process = subprocess.Popen([*manage, "runcluster", f"127.0.0.1:{port}", "--no-migrate", *args],
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the benchmark server did not start; see {workdir / 'server.log'}")
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)  # waiting for the port to open
        yield Server(url, token, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
