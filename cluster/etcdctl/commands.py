"""What each etcdctl command does with the store, and what it prints."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import BinaryIO

from cluster.store import Store, get_hub, get_store
from cluster.store import errors as store_errors
from cluster.store.errors import StoreError

from . import flags, parser, txn as txn_grammar
from .errors import EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_ERROR, EXIT_INTERRUPTED, CtlError
from .flags import Values, flag
from .printers import EndpointStatus, Header, JsonPrinter, SimplePrinter, SnapshotStatus

TXN_FLAGS = [flag("interactive", "bool", shorthand="i")]
WATCH_FLAGS = [flag("prefix", "bool"), flag("rev", "int"), flag("prev-kv", "bool")]
COMPACTION_FLAGS = [flag("physical", "bool")]
TIME_TO_LIVE_FLAGS = [flag("keys", "bool")]
KEEP_ALIVE_FLAGS = [flag("once", "bool")]
ENDPOINT_FLAGS = [flag("cluster", "bool")]
# etcdctl's restore writes a new member's data dir; here it replaces the store
# behind DATABASE_URL, so these are accepted and have nothing to configure.
RESTORE_FLAGS = [
    flag("data-dir", "str"),
    flag("wal-dir", "str"),
    flag("name", "str", "default"),
    flag("initial-cluster", "str"),
    flag("initial-cluster-token", "str"),
    flag("initial-advertise-peer-urls", "str"),
    flag("skip-hash-check", "bool"),
]
# etcd's smallest lease TTL with its default election timeout (1.5s, rounded up).
MIN_LEASE_TTL = 2

# KubeViz only — etcdctl has no such thing: lets tests and scripts end a watch.
WATCH_EVENTS_ENV = "KUBEVIZ_ETCDCTL_WATCH_EVENTS"
WATCH_IDLE_ENV = "KUBEVIZ_ETCDCTL_WATCH_IDLE"


@dataclass
class Context:
    values: Values
    printer: SimplePrinter | JsonPrinter
    stdin: BinaryIO
    stdout: BinaryIO
    stderr: BinaryIO
    store: Store = field(default_factory=get_store)
    _ids: tuple[int, int] | None = None

    def header(self, revision: int) -> Header:
        if self._ids is None:
            status = self.store.status()
            self._ids = (status.cluster_id, status.member_id)
        return Header(self._ids[0], self._ids[1], revision)

    def live(self) -> None:
        """Expire leases first, so the CLI sees what a running etcd would."""
        self.store.expire_leases()


def get(ctx: Context, args: list[str]) -> int:
    request = parser.get_request(args, ctx.values)
    if not request.op.key:
        raise store_errors.EmptyKey()
    ctx.live()
    op = request.op
    result = ctx.store.range(
        op.key, op.range_end, revision=op.revision, limit=op.limit, keys_only=op.keys_only, count_only=op.count_only
    )
    ctx.printer.get(ctx.header(result.revision), result, request.print_value_only, op.count_only)
    return 0


def put(ctx: Context, args: list[str]) -> int:
    op = parser.put_request(args, ctx.values, ctx.stdin)
    ctx.live()
    result = ctx.store.put(op.key, op.value, lease=op.lease, prev_kv=op.prev_kv)
    ctx.printer.put(ctx.header(result.revision), result)
    return 0


def delete(ctx: Context, args: list[str]) -> int:
    op = parser.del_request(args, ctx.values)
    ctx.live()
    result = ctx.store.delete_range(op.key, op.range_end, prev_kv=op.prev_kv)
    ctx.printer.delete(ctx.header(result.revision), result)
    return 0


def txn(ctx: Context, args: list[str]) -> int:
    if args:
        raise CtlError("txn command does not accept argument", EXIT_BAD_ARGS)
    prompts = ctx.stdout if ctx.values["interactive"] else None
    compares, success, failure = txn_grammar.read_txn(ctx.stdin, prompts)
    ctx.live()
    result = ctx.store.txn(compares, success, failure)
    ctx.printer.txn(ctx.header(result.revision), result)
    return 0


def watch(ctx: Context, args: list[str]) -> int:
    if not args or len(args) > 2:
        raise CtlError("bad number of arguments", EXIT_BAD_ARGS)
    if len(args) == 2 and ctx.values["prefix"]:
        raise CtlError("`range_end` and `--prefix` are mutually exclusive", EXIT_BAD_ARGS)
    key, range_end = parser.key_range("watch", args, ctx.values)
    events_env = _env_number(WATCH_EVENTS_ENV)
    max_events = None if events_env is None else int(events_env)
    idle = _env_number(WATCH_IDLE_ENV)
    ctx.live()
    hub = get_hub()
    watcher = hub.watch(key, range_end, max(0, int(ctx.values["rev"])), bool(ctx.values["prev-kv"]))
    seen, last_event, last_expiry = 0, time.monotonic(), time.monotonic()
    try:
        while max_events is None or seen < max_events:
            try:
                events = watcher.poll(timeout=0.2)
            except store_errors.Compacted as e:
                return _watch_canceled(ctx, e)
            now = time.monotonic()
            if now - last_expiry >= 1:  # no etcd server runs the lease clock: this process does
                ctx.live()
                last_expiry = now
            if not events:
                if idle is not None and now - last_event >= idle:
                    break
                continue
            if max_events is not None:
                events = events[: max_events - seen]
            seen, last_event = seen + len(events), now
            ctx.printer.watch(ctx.header(watcher.next_revision - 1), events)
            ctx.stdout.flush()
    finally:
        hub.stop()
    return 0


def _watch_canceled(ctx: Context, error: store_errors.Compacted) -> int:
    ctx.stderr.write(f"watch was canceled ({error})\n".encode())
    # etcd's cancel response carries no revision in its header.
    ctx.printer.watch_canceled(ctx.header(0), error.compact_revision)
    raise CtlError("watch is canceled by the server", EXIT_INTERRUPTED)


def _env_number(name: str) -> float | None:
    text = os.environ.get(name, "")
    try:
        return float(text) if text else None
    except ValueError:
        raise CtlError(f"{name} must be a number, not {text!r}", EXIT_BAD_ARGS) from None


def compaction(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("compaction command needs 1 argument", EXIT_BAD_ARGS)
    try:
        revision = flags.parse_int(args[0])
    except ValueError as e:
        raise CtlError(str(e), EXIT_ERROR) from None
    ctx.live()
    ctx.store.compact(revision)
    # etcdctl prints this line whatever -w says.
    ctx.stdout.write(f"compacted revision {revision}\n".encode())
    return 0


def lease_grant(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("lease grant command needs TTL argument", EXIT_BAD_ARGS)
    try:
        ttl = flags.parse_int(args[0])
    except ValueError as e:
        raise CtlError(f"bad TTL ({e})", EXIT_BAD_ARGS) from None
    ctx.live()
    lease = ctx.store.lease_grant(max(ttl, MIN_LEASE_TTL))
    ctx.printer.lease_grant(ctx.header(ctx.store.revision()), lease)
    return 0


def lease_revoke(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("lease revoke command needs 1 argument", EXIT_BAD_ARGS)
    lease_id = parser.lease_id(args[0])
    ctx.live()
    try:
        revision = ctx.store.lease_revoke(lease_id)
    except StoreError as e:
        raise CtlError(f"failed to revoke lease ({e})", EXIT_ERROR) from None
    ctx.printer.lease_revoke(ctx.header(revision), lease_id)
    return 0


def lease_time_to_live(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("lease timetolive command needs lease ID as argument", EXIT_BAD_ARGS)
    lease_id = parser.lease_id(args[0])
    ctx.live()
    keys = bool(ctx.values["keys"])
    lease = ctx.store.lease_time_to_live(lease_id, keys=keys)
    ctx.printer.lease_time_to_live(ctx.header(ctx.store.revision()), lease, keys)
    return 0


def lease_list(ctx: Context, args: list[str]) -> int:
    ctx.live()
    ctx.printer.lease_list(ctx.header(ctx.store.revision()), ctx.store.leases())
    return 0


def lease_keep_alive(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("lease keep-alive command needs lease ID as argument", EXIT_BAD_ARGS)
    lease_id = parser.lease_id(args[0])
    ctx.live()
    if ctx.values["once"]:
        try:
            lease = ctx.store.lease_keep_alive(lease_id)
        except store_errors.LeaseNotFound as e:
            raise CtlError(str(e), EXIT_BAD_CONNECTION) from None  # etcdctl's code for it
        ctx.printer.lease_keep_alive(ctx.header(ctx.store.revision()), lease)
        return 0
    while True:  # until interrupted or the lease is gone, renewing at a third of the TTL
        try:
            lease = ctx.store.lease_keep_alive(lease_id)
        except store_errors.LeaseNotFound:
            ctx.stdout.write(f"lease {lease_id:016x} expired or revoked.\n".encode())
            return 0
        ctx.printer.lease_keep_alive(ctx.header(ctx.store.revision()), lease)
        ctx.stdout.flush()
        time.sleep(max(lease.ttl / 3, 0.5))


def _snapshot():  # type: ignore[no-untyped-def]
    try:
        from cluster.store import snapshot
    except ImportError:
        raise CtlError("snapshot is not available in this KubeViz build", EXIT_ERROR) from None
    return snapshot


def snapshot_save(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("snapshot save expects one argument", EXIT_BAD_ARGS)
    ctx.live()
    _snapshot().save(ctx.store, args[0])
    ctx.stdout.write(f"Snapshot saved at {args[0]}\n".encode("utf-8", "surrogateescape"))
    return 0


def snapshot_restore(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("snapshot restore requires exactly one argument", EXIT_BAD_ARGS)
    _snapshot().restore(ctx.store, args[0])
    return 0  # etcdctl prints nothing on stdout for a restore


def snapshot_status(ctx: Context, args: list[str]) -> int:
    if len(args) != 1:
        raise CtlError("snapshot status requires exactly one argument", EXIT_BAD_ARGS)
    info = _snapshot().status(args[0])
    ctx.printer.snapshot_status(SnapshotStatus(info.hash, info.revision, info.total_keys, info.total_size))
    return 0


def endpoint_status(ctx: Context, args: list[str]) -> int:
    ctx.live()
    status = ctx.store.status()
    header = Header(status.cluster_id, status.member_id, status.revision)
    ctx.printer.endpoint_status([EndpointStatus(_endpoint(ctx), header, status.db_size, status.db_size)])
    return 0


def endpoint_health(ctx: Context, args: list[str]) -> int:
    started = time.monotonic()
    ctx.store.revision()
    took = f"{(time.monotonic() - started) * 1000:.6f}ms"
    if isinstance(ctx.printer, JsonPrinter):
        ctx.printer.emit([{"endpoint": _endpoint(ctx), "health": True, "took": took}])
    else:
        ctx.stdout.write(f"{_endpoint(ctx)} is healthy: successfully committed proposal: took = {took}\n".encode())
    return 0


def version(ctx: Context, args: list[str]) -> int:
    ctx.stdout.write(b"etcdctl version: 3.4.0 (KubeViz)\nAPI version: 3.4\n")
    return 0


def _endpoint(ctx: Context) -> str:
    return str(ctx.values["endpoints"]).split(",")[0]

