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

    def handle(self, *args: object, **options: object) -> None:
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from cluster.api.service import start_background
        from kubeviz.asgi import application

        host, port = parse_addrport(options["addrport"])  # type: ignore[arg-type]
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        start_background()
        self.stdout.write(f"KubeViz listening on http://{host}:{port}/ (Ctrl-C stops it)")
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,
        ).run()
