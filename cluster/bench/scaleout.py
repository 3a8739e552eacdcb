"""``bench cluster --scale-out``: the control plane as separate processes.

The API server (``runcluster --no-control-plane``) serves the store on the
PostgreSQL behind ``DATABASE_URL``, with channels-redis when ``REDIS_URL`` is
set; beside it run two ``kube-controller-manager`` copies (leader-elected), one
``kube-scheduler`` and ``kubelet`` processes that share the nodes between
them — each talking HTTP with its own credentials, as in a real cluster.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from .live import ROOT, Server, bench_env


class Components:
    """The control-plane processes of one benchmark run, started and stopped together."""

    def __init__(self, server: Server, workdir: Path, database_url: str) -> None:
        self.server = server
        self.workdir = workdir
        self.env = bench_env(workdir, database_url)
        self.running: dict[str, subprocess.Popen] = {}
        self.timing = ("--profile", "realistic", "--speed", "1")

    def pids(self) -> list[int]:
        return [p.pid for p in list(self.running.values()) if p.poll() is None]  # read from the sampler's thread

    def _manage(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env, cwd=ROOT,
                              check=True, capture_output=capture, text=True)

    def _kubeconfig(self, user: str) -> str:
        path = self.workdir / f"{user.replace(':', '-')}.kubeconfig"
        config = self._manage("kubeconfig", "--user", user, "--server", self.server.url, capture=True)
        path.write_text(config.stdout)
        path.chmod(0o600)
        return str(path)

    def start(self, name: str, *args: str) -> None:
        with open(self.workdir / f"{name}.log", "w") as log:
            self.running[name] = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args],
                                                  env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def start_control_plane(self) -> None:
        kcm = self._kubeconfig("system:kube-controller-manager")
        for identity in ("kcm-a", "kcm-b"):
            self.start(identity, "kube-controller-manager", "--kubeconfig", kcm, "--identity", identity,
                       *self.timing)
        self.start("scheduler", "kube-scheduler", "--kubeconfig", self._kubeconfig("system:kube-scheduler"),
                   *self.timing)

    def start_kubelets(self, nodes: int, processes: int) -> None:
        """``nodes`` machines, node-1 … node-N, shared between ``processes`` kubelet processes;
        each issues its nodes' credentials as it joins (kubeadm join's part)."""
        first = 1
        for i in range(processes):
            count = nodes // processes + (1 if i < nodes % processes else 0)
            if count:
                self.start(f"kubelet-{i}", "kubelet", "--server", self.server.url, "--nodes", str(count),
                           "--first-index", str(first), "--bootstrap",
                           "--kubeconfig-dir", str(self.workdir / f"kubelet-{i}"), *self.timing)
            first += count

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
