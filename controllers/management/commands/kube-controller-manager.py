"""``manage.py kube-controller-manager --kubeconfig FILE [--server URL] [--token T]``: the controllers as a process.

It talks HTTP to the API server as ``system:kube-controller-manager`` (a
kubeconfig from ``manage.py kubeconfig --user system:kube-controller-manager``),
keeps its shared informers warm, and reconciles only while it holds the
``kube-system/kube-controller-manager`` Lease: start two copies, one stands
by and takes over when the other dies. The TrainingJob controller runs too when
the API server serves ``trainingjobs.kubeviz.io`` (its CRD is installed by an
admin — ``runcluster`` does it when it runs a control plane).
"""
from __future__ import annotations

import argparse
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the controller manager in this process, talking HTTP to the API server (leader-elected)."

    def add_arguments(self, parser: CommandParser) -> None:
        from controllers.components import add_common_arguments

        add_common_arguments(parser)
        parser.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=True,
                            help="take part in leader election through the kube-system/kube-controller-manager Lease")
        parser.add_argument("--identity", default="", help="holderIdentity (default: <hostname>_<uuid>)")

    def handle(self, *args: object, **options: object) -> None:
        from cluster.client import StatusError
        from cluster.client import resources as r
        from controllers import components as c
        from controllers.clock import profile
        from controllers.leaderelection import default_identity
        from controllers.manager import ControllerManager, namespace_index
        from controllers.runtime.informer import Informer
        from controllers.runtime.trace import TraceLog
        from controllers.training.controller import TrainingJobController

        try:
            server, token = c.credentials(str(options["server"]), str(options["kubeconfig"]), str(options["token"]))
            client = c.http_client(server, token)
            c.wait_for_api_server(client)
            clock = c.realtime_clock(float(options["speed"]))  # type: ignore[arg-type]
        except (c.CredentialsError, ValueError) as error:
            raise CommandError(str(error)) from None
        timing = profile(str(options["profile"]))
        stop = threading.Event()
        manager = ControllerManager(client, clock, timing, TraceLog())
        try:
            client.list(r.TRAININGJOBS, limit=1)
        except StatusError as error:
            self._say(f"TrainingJob controller not started: {error}")
        else:
            informer = Informer(client, r.TRAININGJOBS)
            informer.add_index("namespace", namespace_index)
            manager.informers["TrainingJob"] = informer
            manager.controllers["trainingjob"] = TrainingJobController(client, clock, manager.traces,
                                                                       manager.informers)
        identity = str(options["identity"]) or default_identity()
        if options["leader_elect"]:
            c.announce(manager.enable_leader_election(identity), self._say)
        threading.Thread(target=clock.drive, args=(stop,), daemon=True, name="simclock").start()
        manager.run(stop, leader_elect=bool(options["leader_elect"]))
        self._say(f"kube-controller-manager {identity} talking to {server}, profile {timing.name}, "
                  f"controllers {', '.join(manager.controllers)}")
        c.serve_until_signalled(stop, manager.elector.release if manager.elector else None)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
