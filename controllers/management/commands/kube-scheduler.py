"""``manage.py kube-scheduler --kubeconfig FILE [--server URL] [--token T]``: the scheduler as its own process.

It talks HTTP to the API server as ``system:kube-scheduler`` (a kubeconfig from
``manage.py kubeconfig --user system:kube-scheduler``), keeps its own pod and
node informers, and schedules only while it holds the ``kube-system/kube-scheduler``
Lease: start two and one stands by.
"""
from __future__ import annotations

import threading
from typing import Any

from controllers.components import LeaderElectedCommand


class Command(LeaderElectedCommand):
    help = "Run the scheduler in this process, talking HTTP to the API server (leader-elected)."
    lease_name = "kube-scheduler"

    def handle(self, *args: object, **options: Any) -> None:
        from cluster.client import resources as r
        from controllers.manager import shared_informers
        from controllers.runtime.trace import TraceLog
        from controllers.scheduler.loop import Scheduler

        connection = self.connect(options)
        stop = threading.Event()
        informers = shared_informers(connection.client, {"Pod": r.PODS, "Node": r.NODES})
        scheduler = Scheduler(connection.client, connection.clock, TraceLog(), informers["Pod"], informers["Node"],
                              connection.timing)
        identity = self.lead(scheduler, options, connection.clock, stop)
        for informer in informers.values():
            informer.relist()
            threading.Thread(target=informer.run, args=(stop,), daemon=True,
                             name=f"informer-{informer.resource.plural}").start()
        scheduler.run(stop, leader_elect=bool(options["leader_elect"]))
        self.say(f"kube-scheduler {identity} talking to {connection.server}, profile {connection.timing.name}")
        self.serve(scheduler, stop)
