"""``etcdctl`` argv → one command run against the KubeViz store.

``run(argv, stdin, stdout, stderr)`` returns the exit code; it never raises
and never prints a traceback: every failure is one ``Error: …`` line on stderr,
worded and numbered as etcdctl (API v3.4) words and numbers it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from cluster.store.errors import StoreError

from . import commands, flags
from .errors import EXIT_BAD_FEATURE, EXIT_ERROR, CtlError
from .flags import Flag
from .printers import PRINTERS

Handler = Callable[["commands.Context", list[str]], int]


@dataclass(frozen=True, slots=True)
class Command:
    handler: Handler
    flags: list[Flag]
    tables: bool = False  # prints with -w table, like etcdctl's status commands


COMMANDS: dict[str, Command] = {
    "get": Command(commands.get, commands.parser.GET_FLAGS),
    "put": Command(commands.put, commands.parser.PUT_FLAGS),
    "del": Command(commands.delete, commands.parser.DEL_FLAGS),
    "txn": Command(commands.txn, commands.TXN_FLAGS),
    "watch": Command(commands.watch, commands.WATCH_FLAGS),
    "compaction": Command(commands.compaction, commands.COMPACTION_FLAGS),
    "lease grant": Command(commands.lease_grant, []),
    "lease revoke": Command(commands.lease_revoke, []),
    "lease timetolive": Command(commands.lease_time_to_live, commands.TIME_TO_LIVE_FLAGS),
    "lease list": Command(commands.lease_list, []),
    "lease keep-alive": Command(commands.lease_keep_alive, commands.KEEP_ALIVE_FLAGS),
    "snapshot save": Command(commands.snapshot_save, []),
    "snapshot restore": Command(commands.snapshot_restore, commands.RESTORE_FLAGS),
    "snapshot status": Command(commands.snapshot_status, [], tables=True),
    "endpoint status": Command(commands.endpoint_status, commands.ENDPOINT_FLAGS, tables=True),
    "endpoint health": Command(commands.endpoint_health, commands.ENDPOINT_FLAGS),
    "version": Command(commands.version, []),
}
GROUPS = {"lease", "snapshot", "endpoint"}

USAGE = """\
NAME:
\tetcdctl - the etcd v3 command line client, run against the KubeViz store

USAGE:
\tmanage.py etcdctl [global options] <command> [options] [arguments...]

COMMANDS:
\tget [--prefix|--from-key] [--rev=0] [--limit=0] [--keys-only] [--count-only]
\t    [--print-value-only] <key> [range_end]
\tput [--lease=<hex id>] [--prev-kv] <key> [<value>]   (value from stdin when omitted)
\tdel [--prefix|--from-key] [--prev-kv] <key> [range_end]
\ttxn [-i|--interactive]   (compares, success ops, failure ops on stdin, each ended by a blank line)
\twatch [--prefix] [--rev=0] [--prev-kv] <key> [range_end]
\tlease grant <ttl> | revoke <id> | timetolive [--keys] <id> | list | keep-alive [--once] <id>
\tcompaction [--physical] <revision>
\tsnapshot save|restore|status <file>
\tendpoint status|health
\tversion

GLOBAL OPTIONS:
  -w, --write-out="simple"\tset the output format (json, simple; table for the status commands)
      --hex[=false]\t\tprint byte strings as hex encoded strings
      --endpoints, --dial-timeout, --command-timeout and etcdctl's other connection
      flags are accepted and ignored: the store is this project's DATABASE_URL.

KUBEVIZ ONLY (environment variables, not etcdctl's):
  KUBEVIZ_ETCDCTL_WATCH_EVENTS=N\twatch stops after N events
  KUBEVIZ_ETCDCTL_WATCH_IDLE=SECONDS\twatch stops after SECONDS without an event
"""


def run(argv: list[str], stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO) -> int:
    try:
        return _run(argv, stdin, stdout, stderr)
    except CtlError as e:
        return _fail(stderr, e.message, e.code)
    except StoreError as e:
        return _fail(stderr, str(e), EXIT_ERROR)
    except KeyboardInterrupt:
        return 130  # what a shell reports for etcdctl killed by SIGINT
    except Exception as e:  # a database that is missing or locked: one line, no traceback
        return _fail(stderr, f"{type(e).__name__}: {e}", EXIT_ERROR)
    finally:
        stdout.flush()


def _fail(stderr: BinaryIO, message: str, code: int) -> int:
    stderr.write(f"Error: {message}\n".encode("utf-8", "surrogateescape"))
    stderr.flush()
    return code


def _run(argv: list[str], stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO) -> int:
    if any(word in ("-h", "--help") for word in _before_dashdash(argv)) or not _words(argv):
        stdout.write(USAGE.encode())
        return 0
    name, rest = _split_command(argv)
    command = COMMANDS[name]
    args, values = flags.parse(rest, flags.GLOBAL_FLAGS + command.flags)
    write_out = str(values["write-out"])
    if write_out == "table" and not command.tables:
        raise CtlError("table not supported as output format", EXIT_BAD_FEATURE)
    if write_out not in PRINTERS:
        raise CtlError("unsupported output format", EXIT_BAD_FEATURE)
    context = commands.Context(
        values=values,
        printer=PRINTERS[write_out](stdout, bool(values["hex"])),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
    )
    return command.handler(context, args)


def _split_command(argv: list[str]) -> tuple[str, list[str]]:
    """Find the (sub)command words among the flags, as cobra does."""
    positions = _words(argv)
    first = argv[positions[0]]
    if first not in GROUPS:
        if first not in COMMANDS:
            raise CtlError(f'unknown command "{first}" for "etcdctl"', EXIT_ERROR)
        return first, argv[: positions[0]] + argv[positions[0] + 1 :]
    if len(positions) < 2:
        raise CtlError(f"{first} command needs a subcommand ({_subcommands(first)})", EXIT_ERROR)
    name = f"{first} {argv[positions[1]]}"
    if name not in COMMANDS:
        raise CtlError(f'unknown command "{argv[positions[1]]}" for "etcdctl {first}"', EXIT_ERROR)
    drop = {positions[0], positions[1]}
    return name, [word for i, word in enumerate(argv) if i not in drop]


def _subcommands(group: str) -> str:
    return ", ".join(name.split(" ", 1)[1] for name in COMMANDS if name.startswith(group + " "))


def _words(argv: list[str]) -> list[int]:
    """Indexes of the words before ``--`` that are neither flags nor global flag values."""
    takes_value = {f"--{f.name}" for f in flags.GLOBAL_FLAGS if f.type != "bool"}
    takes_value |= {f"-{f.shorthand}" for f in flags.GLOBAL_FLAGS if f.type != "bool" and f.shorthand}
    found, i = [], 0
    while i < len(argv) and len(found) < 2:
        word = argv[i]
        if word == "--":
            break
        if word in takes_value:
            i += 2
            continue
        if not word.startswith("-") or word == "-":
            found.append(i)
        i += 1
    return found


def _before_dashdash(argv: list[str]) -> list[str]:
    return argv[: argv.index("--")] if "--" in argv else argv
