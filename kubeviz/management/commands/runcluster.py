"""``manage.py runcluster [ADDR:PORT]``: the whole cluster in one process.

daphne serves the dashboard, the API and websockets; background threads run
the watch hub and the store's lessor (etcd lease expiry) and, as the control plane lands, its
components. Binds to 127.0.0.1 unless told otherwise.
"""
from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000


def parse_addrport(value: str | None) -> tuple[str, int]:
    if not value:
        return DEFAULT_ADDR, DEFAULT_PORT
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = DEFAULT_ADDR, value
    host = host.strip("[]") or DEFAULT_ADDR
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f'"{value}" is not a valid port number or address:port pair.')
    return host, int(port)


class Command(BaseCommand):
    help = "Start KubeViz: API server, dashboard and control plane on ADDR:PORT (default 127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", help="ADDR:PORT or PORT to listen on")
        parser.add_argument("--no-migrate", action="store_true", help="skip applying migrations")
        parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (0.25-50)")
        parser.add_argument("--profile", default="demo", choices=["demo", "realistic"],
                            help="timing profile: demo (the story in seconds) or realistic (Kubernetes defaults)")
        parser.add_argument("--nodes", type=int, default=3, help="simulated nodes to start with (default 3)")
        parser.add_argument("--empty", action="store_true",
                            help="no demo workload (Deployment web, Service web, TrainingJob mnist)")
        parser.add_argument("--no-control-plane", action="store_true",
                            help="API server and dashboard only: no controllers, scheduler or kubelets")

    def handle(self, *args: object, **options: object) -> None:
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from cluster.api.service import start_background
        from kubeviz.asgi import application
        from kubeviz.demo import ensure_demo_login

        host, port = parse_addrport(options["addrport"])  # type: ignore[arg-type]
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        server = start_background()
        if not options["no_control_plane"]:
            plane = self._start_control_plane(server, options)
            self.stdout.write(f"control plane: {len(plane.kubelets.kubelets)} nodes, profile {plane.profile.name}, "
                              f"speed {plane.clock.speed:g}x")
        login = ensure_demo_login()
        if login is not None:
            self.stdout.write(f"dashboard login (created now, shown once): user {login[0]}, password {login[1]}")
        self.stdout.write(f"KubeViz listening on http://{host}:{port}/ (Ctrl-C stops it)")
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,
        ).run()

    @staticmethod
    def _start_control_plane(server, options):  # type: ignore[no-untyped-def]
        import atexit
        import time

        from controllers.clock import SimClock, profile
        from controllers.plane import start_control_plane

        try:
            clock = SimClock(start=time.time(), speed=float(options["speed"]), realtime=True)  # type: ignore[arg-type]
        except ValueError as error:
            raise CommandError(str(error)) from None
        plane = start_control_plane(server, clock, profile(str(options["profile"])), nodes=int(options["nodes"]),  # type: ignore[arg-type]
                                    demo=not options["empty"])
        # The controller manager and the scheduler are leader-elected here too (alone, they win at once);
        # on a clean exit they release their Leases so the next start need not wait out leaseDuration.
        for elector in (plane.manager.elector, plane.scheduler.elector):
            if elector is not None:
                atexit.register(elector.release)
        return plane
