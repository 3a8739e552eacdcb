"""``manage.py etcdctl …``: etcd's command line client over this project's store.

Django's option parsing is bypassed: etcdctl's own flags (``-w``, ``--prefix``…)
and its error lines belong to ``cluster.etcdctl``.
"""
from __future__ import annotations

import argparse
import io
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluster.etcdctl import run
from cluster.etcdctl.main import USAGE


class _EtcdctlParser(CommandParser):
    """Hands every word through untouched (for ``call_command``) and prints etcdctl's usage."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        defaults = super().parse_args([], namespace)
        defaults.argv = list(args or [])
        return defaults

    def print_help(self, file: Any = None) -> None:
        (file or sys.stdout).write(USAGE)


class Command(BaseCommand):
    help = "etcd's v3 command line client (etcdctl 3.4), run against the KubeViz store."
    requires_system_checks: list[str] = []

    stealth_options = ("stdin",)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = _EtcdctlParser(prog=f"{prog_name} {subcommand}", add_help=False)
        # The options BaseCommand.execute reads, at their defaults.
        parser.set_defaults(
            verbosity=1, settings=None, pythonpath=None, traceback=False, no_color=False, force_color=False
        )
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        code = run(argv[2:], sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer)
        sys.exit(code)

    def handle(self, *args: Any, **options: Any) -> None:
        """``call_command("etcdctl", "get", "k", stdout=…, stdin=…)``; a failure raises
        CommandError carrying etcdctl's exit code."""
        stdin = options.get("stdin") or getattr(sys.stdin, "buffer", io.BytesIO())
        out, err = io.BytesIO(), io.BytesIO()
        code = run(list(options.get("argv", [])), stdin, out, err)
        self.stdout.write(out.getvalue().decode("utf-8", "surrogateescape"), ending="")
        if code:
            raise CommandError(err.getvalue().decode("utf-8", "surrogateescape").strip(), returncode=code)
