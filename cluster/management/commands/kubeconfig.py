"""``manage.py kubeconfig --user NAME [--group G ...] [--server URL]``: print a
kubeconfig that kubectl and client libraries can use against KubeViz."""
from __future__ import annotations

import yaml
from django.core.management.base import BaseCommand, CommandParser

from cluster.api.authn import issue_token
from cluster.api.bootstrap import ensure_bootstrap
from cluster.api.service import api_server


def server_url(server: str, token: str) -> str:
    """kubectl (client-go) sends no credentials to a plain ``http://`` server, so for
    one the token also travels in the path: ``http://host:port/token/<token>``."""
    server = server.rstrip("/")
    return f"{server}/token/{token}" if server.startswith("http://") else server


def kubeconfig(server: str, user: str, token: str, context: str = "kubeviz") -> dict:
    server = server_url(server, token)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubeviz", "cluster": {"server": server}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "kubeviz", "user": user, "namespace": "default"}}],
        "current-context": context,
        "preferences": {},
    }


class Command(BaseCommand):
    help = "Print a kubeconfig for USER (creating a bearer token for it) that works with kubectl."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the username the token authenticates as")
        parser.add_argument("--group", action="append", default=[], help="a group of the user (repeatable)")
        parser.add_argument("--server", default="http://127.0.0.1:8000", help="the API server's URL")

    def handle(self, *args: object, **options: object) -> None:
        ensure_bootstrap(api_server())
        user = str(options["user"])
        token = issue_token(user, list(options["group"]))  # type: ignore[arg-type]
        self.stdout.write(yaml.safe_dump(kubeconfig(str(options["server"]), user, token), sort_keys=False), ending="")
