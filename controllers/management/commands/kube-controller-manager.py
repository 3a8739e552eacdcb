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

import threading
from typing import Any

from controllers.components import LeaderElectedCommand


class Command(LeaderElectedCommand):
    help = "Run the controller manager in this process, talking HTTP to the API server (leader-elected)."
    lease_name = "kube-controller-manager"

    def handle(self, *args: object, **options: Any) -> None:
        from cluster.client import StatusError
        from cluster.client import resources as r
        from controllers.manager import ControllerManager
        from controllers.runtime.indexes import namespace_index
        from controllers.runtime.informer import Informer
        from controllers.runtime.trace import TraceLog
        from controllers.training.controller import TrainingJobController

        connection = self.connect(options)
        client, clock = connection.client, connection.clock
        stop = threading.Event()
        manager = ControllerManager(client, clock, connection.timing, TraceLog())
        try:
            client.list(r.TRAININGJOBS, limit=1)
        except StatusError as error:
            self.say(f"TrainingJob controller not started: {error}")
        else:
            informer = Informer(client, r.TRAININGJOBS)
            informer.add_index("namespace", namespace_index)
            manager.informers["TrainingJob"] = informer
            manager.controllers["trainingjob"] = TrainingJobController(client, clock, manager.traces,
                                                                       manager.informers)
        identity = self.lead(manager, options, clock, stop)
        manager.run(stop, leader_elect=bool(options["leader_elect"]))
        self.say(f"kube-controller-manager {identity} talking to {connection.server}, profile "
                 f"{connection.timing.name}, controllers {', '.join(manager.controllers)}")
        self.serve(manager, stop)
