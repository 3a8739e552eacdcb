"""``manage.py kubelet --server URL --nodes N [--name-prefix node-] [--kubeconfig-dir DIR]``: simulated machines.

One process runs N simulated kubelets (a ``KubeletPool``) talking HTTP to the
API server. Each kubelet speaks for its own Node as ``system:node:<name>`` in
``system:nodes`` (so the node authorizer lets it touch only its Node, its
Lease and its pods); the pool's shared pod/node/scenario watches use
``system:kubeviz:kubelet-pool``.

Credentials are kubeconfigs in ``--kubeconfig-dir`` (``<node>.kubeconfig``,
``kubelet-pool.kubeconfig``), the way a real kubelet finds
``/etc/kubernetes/kubelet.conf``. A missing one is issued on the spot — the
step ``kubeadm join`` performs on a real machine — by ``manage.py kubeconfig``
against this process's database (so ``DATABASE_URL`` must be the API server's,
as for ``manage.py scenario``); ``--no-bootstrap`` refuses instead. The pool's
read-only ClusterRole is created then too.
"""
from __future__ import annotations

import argparse
import io
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

NODES_GROUP = "system:nodes"


class Command(BaseCommand):
    help = "Run N simulated kubelets in this process, talking HTTP to the API server."

    def add_arguments(self, parser: CommandParser) -> None:
        from controllers.components import add_common_arguments

        add_common_arguments(parser, credentials=False)
        parser.add_argument("--nodes", type=int, default=1, help="how many machines to simulate (default 1)")
        parser.add_argument("--name-prefix", default="node-", help="node names: PREFIX1, PREFIX2, … (default node-)")
        parser.add_argument("--first-index", type=int, default=1, help="the first node's number (default 1)")
        parser.add_argument("--cpu", default="4")
        parser.add_argument("--memory", default="8Gi")
        parser.add_argument("--pods", type=int, default=110)
        parser.add_argument("--kubeconfig-dir", default="", help="where the kubeconfigs live (default var/kubelet)")
        parser.add_argument("--bootstrap", action=argparse.BooleanOptionalAction, default=True,
                            help="issue missing kubeconfigs through this process's database (kubeadm join)")

    def handle(self, *args: object, **options: object) -> None:
        from controllers import components as c
        from controllers.clock import profile
        from controllers.kubelet.agent import NodeSpec
        from controllers.kubelet.pool import KubeletPool
        from controllers.plane import POOL_USER
        from controllers.runtime.trace import TraceLog

        self.server = str(options["server"]).rstrip("/")
        if not self.server:
            raise CommandError("--server URL is required")
        default_dir = Path(settings.BASE_DIR) / "var" / "kubelet" / self.server.split("://")[-1].replace(":", "-")
        self.directory = Path(str(options["kubeconfig_dir"]) or default_dir)
        self.bootstrap = bool(options["bootstrap"])
        prefix, first, count = str(options["name_prefix"]), int(options["first_index"]), int(options["nodes"])  # type: ignore[arg-type]
        names = [(f"{prefix}{i}", i) for i in range(first, first + count)]
        try:
            watcher = c.http_client(*self._credentials(POOL_USER, "kubelet-pool", ()))
            c.wait_for_api_server(watcher)
            clients = {name: c.http_client(*self._credentials(f"system:node:{name}", name, (NODES_GROUP,)))
                       for name, _ in names}
            clock = c.realtime_clock(float(options["speed"]))  # type: ignore[arg-type]
        except (c.CredentialsError, ValueError) as error:
            raise CommandError(str(error)) from None
        timing = profile(str(options["profile"]))

        def client_for(name: str):  # type: ignore[no-untyped-def]
            if name not in clients:  # a node added later (manage.py scenario add-node)
                clients[name] = c.http_client(*self._credentials(f"system:node:{name}", name, (NODES_GROUP,)))
            return clients[name]

        stop = threading.Event()
        pool = KubeletPool(client_for, watcher, clock, timing, TraceLog())
        for name, index in names:
            pool.add(NodeSpec(name, index, str(options["cpu"]), str(options["memory"]), int(options["pods"])))  # type: ignore[arg-type]
        threading.Thread(target=clock.drive, args=(stop,), daemon=True, name="simclock").start()
        pool.run(stop)
        self.stdout.write(f"kubelet: {len(names)} nodes ({names[0][0]} … {names[-1][0]}) talking to {self.server}, "
                          f"profile {timing.name}" if names else "kubelet: no nodes")
        self.stdout.flush()
        c.serve_until_signalled(stop)

    def _credentials(self, user: str, filename: str, groups: tuple[str, ...]) -> tuple[str, str]:
        from controllers import components as c

        path = self.directory / f"{filename}.kubeconfig"
        if not path.exists():
            if not self.bootstrap:
                flags = "".join(f" --group {g}" for g in groups)
                hint = (" and a ClusterRole bound to it allowing get/list/watch on pods, nodes and configmaps"
                        if not groups else "")
                raise c.CredentialsError(f"{path} is missing: manage.py kubeconfig --user {user}{flags} > {path}{hint}")
            self._issue(path, user, groups)
        server, token = c.read_kubeconfig(path)
        if self.bootstrap and not self._accepted(self.server or server, token):
            self._issue(path, user, groups)  # a kubeconfig from an earlier cluster: its token is unknown here
            server, token = c.read_kubeconfig(path)
        return self.server or server, token

    @staticmethod
    def _accepted(server: str, token: str) -> bool:
        from cluster.client import StatusError
        from cluster.client import resources as r
        from controllers import components as c

        try:
            c.http_client(server, token).list(r.NODES, limit=1)
        except StatusError as error:
            return error.code != 401
        except OSError:
            return True  # not reachable yet: the caller waits for the API server
        return True

    def _issue(self, path: Path, user: str, groups: tuple[str, ...]) -> None:
        from cluster.api.service import api_server
        from controllers.plane import POOL_USER, admin_client, ensure_pool_role

        if user == POOL_USER:
            ensure_pool_role(admin_client(api_server()))
        out = io.StringIO()
        call_command("kubeconfig", user=user, group=list(groups), server=self.server, stdout=out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out.getvalue())
        path.chmod(0o600)
