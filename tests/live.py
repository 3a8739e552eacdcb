"""A live KubeViz on a free loopback port, with its own database, for
end-to-end tests with real clients (the kubernetes client, kubectl)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveCluster:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    workdir: Path

    def manage(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, input=input,
                              capture_output=True, text=True, check=check, timeout=120)

    def kubeconfig(self, user: str, *groups: str) -> Path:
        args = ["kubeconfig", "--user", user, "--server", self.url]
        for group in groups:
            args += ["--group", group]
        path = self.workdir / f"kubeconfig-{user}"
        path.write_text(self.manage(*args).stdout)
        return path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(workdir: Path, *extra: str, database_url: str = "") -> LiveCluster:
    """``database_url`` (e.g. a throwaway PostgreSQL) instead of a fresh SQLite file in ``workdir``;
    ``REDIS_URL``, when set, passes through to the server like the rest of the environment."""
    port = free_port()
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'kubeviz.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "kubeviz.settings.dev"
    env["KUBEVIZ_SNAPSHOT_DIR"] = str(workdir / "snapshots")  # its own etcd snapshots, not the repo's var/
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=120)
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen([sys.executable, "manage.py", "runcluster", f"127.0.0.1:{port}", "--no-migrate",
                                *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runcluster exited: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveCluster(url, env, process, workdir)
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # waiting for a port to open, not for convergence
    process.kill()
    raise RuntimeError("runcluster did not answer /healthz within 60 s")
