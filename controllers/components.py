"""What the separate-process components share: credentials, an HTTP client, a clock, a lifetime.

``manage.py kube-scheduler``, ``kube-controller-manager`` and ``kubelet`` each
talk HTTP to the API server, as the real components talk to kube-apiserver,
with a bearer token for their own identity:

* the scheduler and the controller manager read a kubeconfig (``--kubeconfig``,
  written by ``manage.py kubeconfig --user system:kube-scheduler`` /
  ``--user system:kube-controller-manager``) or take ``--token``;
* a kubelet process simulating several machines needs one credential per node
  (``system:node:<name>`` in ``system:nodes``, for the node authorizer) plus one
  for the pool's shared watches; see ``controllers/management/commands/kubelet.py``.
"""
from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluster.client import ApiClient, StatusError
from cluster.client.http import HttpTransport
from controllers.clock import Profile, SimClock
from controllers.leaderelection import LeaderElector


class CredentialsError(Exception):
    pass


def read_kubeconfig(path: str | Path) -> tuple[str, str]:
    """(server, token) of a kubeconfig's current context.

    ``manage.py kubeconfig`` puts the token in an ``http://`` server's path as
    well (``…/token/<token>``, for kubectl); the bearer header is enough here."""
    try:
        config = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CredentialsError(f"cannot read kubeconfig {path}: {error}") from None
    contexts = {c["name"]: c.get("context") or {} for c in config.get("contexts") or []}
    context = contexts.get(config.get("current-context") or "", {})
    clusters = {c["name"]: c.get("cluster") or {} for c in config.get("clusters") or []}
    users = {u["name"]: u.get("user") or {} for u in config.get("users") or []}
    server = (clusters.get(context.get("cluster", "")) or {}).get("server", "")
    token = (users.get(context.get("user", "")) or {}).get("token", "")
    if not server or not token:
        raise CredentialsError(f"kubeconfig {path} has no server and token in its current context")
    return strip_token_path(server, token), token


def strip_token_path(server: str, token: str) -> str:
    server = server.rstrip("/")
    suffix = f"/token/{token}"
    return server[: -len(suffix)] if server.endswith(suffix) else server


def credentials(server: str | None, kubeconfig: str | None, token: str | None) -> tuple[str, str]:
    """``--server`` overrides the kubeconfig's server; ``--token`` its token."""
    config_server, config_token = read_kubeconfig(kubeconfig) if kubeconfig else ("", "")
    server, token = server or config_server, token or config_token
    if not server or not token:
        raise CredentialsError("give --kubeconfig FILE, or --server URL and --token T")
    return server.rstrip("/"), token


def http_client(server: str, token: str, timeout: float = 10.0) -> ApiClient:
    return ApiClient(HttpTransport(server, token, timeout))


def wait_for_api_server(client: ApiClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.transport.request("GET", "/version")
            return
        except (OSError, StatusError) as error:
            if time.monotonic() > deadline:
                raise CredentialsError(f"API server not reachable: {error}") from None
            time.sleep(0.5)  # a component starting before the API server: retry, like client-go


def add_common_arguments(parser: Any, credentials: bool = True) -> None:
    parser.add_argument("--server", default="", help="the API server's URL (default: the kubeconfig's)")
    if credentials:
        parser.add_argument("--kubeconfig", default="", help="a kubeconfig for this component's identity")
        parser.add_argument("--token", default="", help="a bearer token for this component's identity")
    parser.add_argument("--profile", default="demo", choices=["demo", "realistic"], help="timing profile")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")


def realtime_clock(speed: float) -> SimClock:
    """Each process has its own clock, anchored at the wall clock (so all agree at speed 1)."""
    return SimClock(start=time.time(), speed=speed, realtime=True)


def announce(elector: LeaderElector, write: Callable[[str], Any]) -> None:
    """Print leadership changes (the component's log says who leads, as kube-scheduler's does)."""
    started, stopped, new_leader = elector.on_started_leading, elector.on_stopped_leading, elector.on_new_leader
    name = f"{elector.config.namespace}/{elector.config.lease_name}"

    def on_started() -> None:
        write(f"successfully acquired lease {name} as {elector.identity}")
        started()

    def on_stopped() -> None:
        stopped()
        write(f"leaderelection lost: {elector.identity} stopped leading {name}")

    def on_new(identity: str) -> None:
        if identity != elector.identity:
            write(f"new leader elected for {name}: {identity}")
        new_leader(identity)

    elector.on_started_leading, elector.on_stopped_leading, elector.on_new_leader = on_started, on_stopped, on_new


def serve_until_signalled(stop: threading.Event, on_exit: Callable[[], None] | None = None) -> None:
    """Block the main thread until SIGINT/SIGTERM; then stop the workers and clean up."""
    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(0.5):
        pass
    if on_exit is not None:
        on_exit()


@dataclass
class Connection:
    """What every control-plane process starts from: an authenticated client,
    its own simulated clock and the timing profile."""

    server: str
    client: ApiClient
    clock: SimClock
    timing: Profile


class LeaderElectedCommand(BaseCommand):
    """The shared shape of ``kube-scheduler`` and ``kube-controller-manager``:
    connect over HTTP, build the component, take part in leader election, run
    until signalled, release the Lease on the way out."""

    lease_name = ""  # kube-system/<lease_name>

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=True,
                            help=f"take part in leader election through the kube-system/{self.lease_name} Lease")
        parser.add_argument("--identity", default="", help="holderIdentity (default: <hostname>_<uuid>)")

    def connect(self, options: dict[str, Any]) -> Connection:
        from controllers.clock import profile

        try:
            server, token = credentials(str(options["server"]), str(options["kubeconfig"]), str(options["token"]))
            client = http_client(server, token)
            wait_for_api_server(client)
            clock = realtime_clock(float(options["speed"]))
        except (CredentialsError, ValueError) as error:
            raise CommandError(str(error)) from None
        return Connection(server, client, clock, profile(str(options["profile"])))

    def lead(self, component: Any, options: dict[str, Any], clock: SimClock, stop: threading.Event) -> str:
        """Enable leader election on ``component`` (unless told not to) and start
        the clock that drives it; returns the holder identity."""
        from controllers.leaderelection import default_identity

        identity = str(options["identity"]) or default_identity()
        if options["leader_elect"]:
            announce(component.enable_leader_election(identity), self.say)
        threading.Thread(target=clock.drive, args=(stop,), daemon=True, name="simclock").start()
        return identity

    @staticmethod
    def serve(component: Any, stop: threading.Event) -> None:
        """Run until SIGINT/SIGTERM, then give up the Lease so a standby takes over at once."""
        serve_until_signalled(stop, component.elector.release if component.elector else None)

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
