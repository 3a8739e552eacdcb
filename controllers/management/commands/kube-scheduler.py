"""``manage.py kube-scheduler --kubeconfig FILE [--server URL] [--token T]``: the scheduler as its own process.

It talks HTTP to the API server as ``system:kube-scheduler`` (a kubeconfig from
``manage.py kubeconfig --user system:kube-scheduler``), keeps its own pod and
node informers, and schedules only while it holds the ``kube-system/kube-scheduler``
Lease: start two and one stands by.
"""
from __future__ import annotations

import argparse
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the scheduler in this process, talking HTTP to the API server (leader-elected)."

    def add_arguments(self, parser: CommandParser) -> None:
        from controllers.components import add_common_arguments

        add_common_arguments(parser)
        parser.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=True,
                            help="take part in leader election through the kube-system/kube-scheduler Lease")
        parser.add_argument("--identity", default="", help="holderIdentity (default: <hostname>_<uuid>)")

    def handle(self, *args: object, **options: object) -> None:
        from cluster.client import resources as r
        from controllers import components as c
        from controllers.clock import profile
        from controllers.leaderelection import default_identity
        from controllers.manager import shared_informers
        from controllers.runtime.trace import TraceLog
        from controllers.scheduler.loop import Scheduler

        try:
            server, token = c.credentials(str(options["server"]), str(options["kubeconfig"]), str(options["token"]))
            client = c.http_client(server, token)
            c.wait_for_api_server(client)
            clock = c.realtime_clock(float(options["speed"]))  # type: ignore[arg-type]
        except (c.CredentialsError, ValueError) as error:
            raise CommandError(str(error)) from None
        timing = profile(str(options["profile"]))
        stop = threading.Event()
        informers = shared_informers(client, {"Pod": r.PODS, "Node": r.NODES})
        scheduler = Scheduler(client, clock, TraceLog(), informers["Pod"], informers["Node"], timing)
        identity = str(options["identity"]) or default_identity()
        if options["leader_elect"]:
            c.announce(scheduler.enable_leader_election(identity), self._say)
        threading.Thread(target=clock.drive, args=(stop,), daemon=True, name="simclock").start()
        for informer in informers.values():
            informer.relist()
            threading.Thread(target=informer.run, args=(stop,), daemon=True,
                             name=f"informer-{informer.resource.plural}").start()
        scheduler.run(stop, leader_elect=bool(options["leader_elect"]))
        self._say(f"kube-scheduler {identity} talking to {server}, profile {timing.name}")
        c.serve_until_signalled(stop, scheduler.elector.release if scheduler.elector else None)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
