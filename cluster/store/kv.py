"""The etcd-shaped key-value store: one global revision, MVCC reads, txns.

Every write goes through :meth:`Store.txn` — one database transaction, one
revision, a ``store_change`` row per changed key (the change-data-capture log)
— so ``put`` and ``delete_range`` are one-operation transactions.
"""
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from . import errors, sql
from .commit import committer
from .diff import value_diff
from .types import (
    Compare,
    DeleteOp,
    DeleteResult,
    Event,
    KeyValue,
    LeaseInfo,
    Op,
    OpResult,
    PutOp,
    PutResult,
    RangeOp,
    RangeResult,
    Status,
    TxnResult,
)

PUT, DELETE = 0, 1
_KV_COLUMNS = "key, value, create_revision, mod_revision, version, lease"


def _kv(row: Sequence[Any], keys_only: bool = False) -> KeyValue:
    return KeyValue(
        key=sql.as_bytes(row[0]),
        value=b"" if keys_only else sql.as_bytes(row[1]),
        create_revision=int(row[2]),
        mod_revision=int(row[3]),
        version=int(row[4]),
        lease=int(row[5]),
    )


class Store:
    """The store of one database alias. Cheap to create; holds no connection.

    ``clock`` gives seconds for lease expiry (wall time by default, so every
    process sharing the database agrees); ``on_commit`` is told each committed
    revision, which is how the watch hub of this process wakes without polling.
    """

    def __init__(
        self,
        using: str = DEFAULT_DB_ALIAS,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.using = using
        self.clock = clock
        self.on_commit = on_commit
        # CDC rows this process has written (telemetry: ``bench cluster`` reports it).
        self.changes_written = 0

    @property
    def _vendor(self) -> str:
        return connections[self.using].vendor

    # --- reads ----------------------------------------------------------------

    def range(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        revision: int = 0,
        limit: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> RangeResult:
        """etcd's Range: keys in ``[key, range_end)`` at ``revision`` (0 = now)."""
        op = RangeOp(key, range_end, limit, revision, keys_only, count_only)
        with sql.read_snapshot(self.using) as cursor:
            current, compact, _, _ = sql.read_meta(cursor)
            return self._range(cursor, op, current, compact)

    def get(self, key: bytes) -> KeyValue | None:
        """One key now. A single statement is a consistent read by itself: no
        read transaction and no meta row, which the API server's every get and
        update would otherwise pay for."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(f"SELECT {_KV_COLUMNS} FROM store_kv WHERE key = %s", [key])
            row = cursor.fetchone()
        return _kv(row) if row else None

    def _range(self, cursor: Any, op: RangeOp, current: int, compact: int) -> RangeResult:
        if op.revision > current:
            raise errors.FutureRevision()
        if 0 < op.revision < compact:
            raise errors.Compacted(compact)
        where = sql.range_clause(op.range_end)
        params: list[Any] = sql.range_params(op.key, op.range_end)
        if op.revision in (0, current):
            source, source_params = "store_kv", []
        else:
            # The newest change of each key at or below the revision, if it is a PUT.
            source = (
                "(SELECT key, value, create_revision, revision AS mod_revision, version, lease "
                "FROM store_change c WHERE c.revision <= %s AND c.type = 0 AND c.revision = "
                "(SELECT MAX(c2.revision) FROM store_change c2 "
                "WHERE c2.key = c.key AND c2.revision <= %s)) AS kv"
            )
            source_params = [op.revision, op.revision]
        if op.count_only:
            cursor.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", source_params + params)
            return RangeResult(current, [], int(cursor.fetchone()[0]))
        limit_sql = " LIMIT %s" if op.limit > 0 else ""
        if op.limit > 0:
            params.append(op.limit)
        cursor.execute(
            f"SELECT {_KV_COLUMNS}, COUNT(*) OVER () FROM {source} WHERE {where} "
            f"ORDER BY key{limit_sql}",
            source_params + params,
        )
        rows = cursor.fetchall()
        count = int(rows[0][6]) if rows else 0
        kvs = [_kv(row, op.keys_only) for row in rows]
        return RangeResult(current, kvs, count, more=len(kvs) < count)

    def events(
        self, start_revision: int, key: bytes, range_end: bytes | None, limit: int = 10_000
    ) -> tuple[list[Event], int]:
        """Changes at ``start_revision`` and later in the key range, oldest first,
        and the store revision the read reflects. Watchers catch up with this."""
        with sql.read_snapshot(self.using) as cursor:
            current, compact, _, _ = sql.read_meta(cursor)
            if start_revision < compact:
                raise errors.Compacted(compact)
            events = self._changes(cursor, start_revision, key, range_end, limit)
            return [without_compacted_prev(e, compact) for e in events], current

    def changes_after(self, revision: int, limit: int = 10_000) -> tuple[list[Event], int, int, int]:
        """Whole revisions of changes after ``revision`` (every key), oldest first.

        Returns (events, upto, current, compact): the events cover every revision
        up to ``upto``; when ``upto < current`` there is more to read. A revision
        is never split across two reads, however many keys it changed.
        """
        with sql.read_snapshot(self.using) as cursor:
            current, compact, _, _ = sql.read_meta(cursor)
            events = self._changes(cursor, revision + 1, b"\0", b"\0", limit)
            if len(events) < limit:
                return events, current, current, compact
            last = events[-1].revision
            events = [e for e in events if e.revision < last]
            if not events:  # one revision larger than the limit: read it whole
                events = self._changes(cursor, last, b"\0", b"\0", 2**62)
                events = [e for e in events if e.revision == last]
                return events, last, current, compact
            return events, last - 1, current, compact

    def _changes(
        self, cursor: Any, start: int, key: bytes, range_end: bytes | None, limit: int
    ) -> list[Event]:
        where = sql.range_clause(range_end)
        cursor.execute(
            "SELECT revision, sub, type, key, value, create_revision, version, lease, prev_value, "
            "prev_create_revision, prev_mod_revision, prev_version, prev_lease, diff "
            f"FROM store_change WHERE revision >= %s AND {where} ORDER BY revision, sub LIMIT %s",
            [start, *sql.range_params(key, range_end), limit],
        )
        return [_event(row) for row in cursor.fetchall()]

    # --- writes ---------------------------------------------------------------

    def put(self, key: bytes, value: bytes, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        result = self.txn([], [PutOp(key, value, lease, prev_kv)], [])
        response = result.responses[0]
        assert isinstance(response, PutResult)
        return response

    def delete_range(
        self, key: bytes, range_end: bytes | None = None, *, prev_kv: bool = False
    ) -> DeleteResult:
        result = self.txn([], [DeleteOp(key, range_end, prev_kv)], [])
        response = result.responses[0]
        assert isinstance(response, DeleteResult)
        return response

    def txn(self, compares: Sequence[Compare], success: Sequence[Op], failure: Sequence[Op]) -> TxnResult:
        """Compare, then apply ``success`` or ``failure`` — atomically, at one revision."""
        for ops in (success, failure):
            _check_ops(ops)

        def apply(cursor: Any) -> TxnResult:
            return self._apply(cursor, compares, success, failure)

        if connections[self.using].in_atomic_block:  # the caller's transaction holds it
            with connections[self.using].cursor() as cursor:
                return apply(cursor)
        # Concurrent txns of this process share one transaction and fsync.
        result: TxnResult = committer(self.using).submit(apply)
        return result

    def _apply(
        self, cursor: Any, compares: Sequence[Compare], success: Sequence[Op], failure: Sequence[Op]
    ) -> TxnResult:
        """One txn at the next revision, inside the caller's database transaction."""
        current, compact = sql.lock_meta(cursor, self._vendor)
        writer = _Writer(cursor, current + 1)
        succeeded = all(self._compare(writer, c) for c in compares)
        ops = success if succeeded else failure
        responses: list[OpResult] = []
        for op in ops:
            if isinstance(op, RangeOp):
                revision = writer.revision if writer.changed else current
                responses.append(self._range(cursor, op, revision, compact))
            elif isinstance(op, PutOp):
                if op.lease and not self._lease_exists(cursor, op.lease):
                    raise errors.LeaseNotFound()
                responses.append(writer.put(op))
            else:
                responses.append(writer.delete(op))
        revision = self._finish(cursor, writer, current)
        # Ops inside the txn report the txn's final revision, as etcd's header does.
        responses = [_with_revision(r, revision) for r in responses]
        return TxnResult(revision, succeeded, responses)

    def _finish(self, cursor: Any, writer: "_Writer", current: int) -> int:
        if not writer.changed:
            return current
        writer.flush()
        self.changes_written += len(writer.rows)
        cursor.execute("UPDATE store_meta SET revision = %s WHERE id = 1", [writer.revision])
        if self.on_commit is not None:
            notify, revision = self.on_commit, writer.revision
            transaction.on_commit(lambda: notify(revision), using=self.using)
        return writer.revision

    def _compare(self, writer: "_Writer", compare: Compare) -> bool:
        found = writer.read(compare.key)
        kv = found or KeyValue(compare.key)
        if compare.target == "value":
            if found is None:
                return False  # etcd: a value compare on a missing key is false
            actual: bytes | int = kv.value
        else:
            actual = {
                "version": kv.version,
                "create": kv.create_revision,
                "mod": kv.mod_revision,
                "lease": kv.lease,
            }[compare.target]
        operand = compare.operand
        if compare.result == "=":
            return actual == operand
        if compare.result == "!=":
            return actual != operand
        if compare.result == "<":
            return actual < operand  # type: ignore[operator]
        return actual > operand  # type: ignore[operator]

    # --- compaction -------------------------------------------------------------

    def compact(self, revision: int) -> int:
        """Forget history below ``revision``; returns the header revision.

        Kept: every change at or after ``revision`` (so a watch from exactly the
        compaction revision still gets its event) and, per key, the newest PUT
        below it (so a read at ``revision`` still sees the key).
        """
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            current, compact = sql.lock_meta(cursor, self._vendor)
            if revision > current:
                raise errors.FutureRevision()
            if revision <= compact:
                raise errors.Compacted(compact)
            cursor.execute(
                "DELETE FROM store_change WHERE revision < %s AND (type = 1 OR EXISTS ("
                "SELECT 1 FROM store_change newer WHERE newer.key = store_change.key "
                "AND newer.revision > store_change.revision AND newer.revision <= %s))",
                [revision, revision],
            )
            cursor.execute("UPDATE store_meta SET compact_revision = %s WHERE id = 1", [revision])
        return current

    # --- leases -----------------------------------------------------------------

    def lease_grant(self, ttl: int, lease_id: int = 0) -> LeaseInfo:
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            sql.lock_meta(cursor, self._vendor)
            lease_id = lease_id or secrets.randbits(62) + 1
            if self._lease_exists(cursor, lease_id):
                raise errors.LeaseExists()
            cursor.execute(
                "INSERT INTO store_lease (id, ttl, expires_at) VALUES (%s, %s, %s)",
                [lease_id, ttl, self.clock() + ttl],
            )
        return LeaseInfo(lease_id, ttl, ttl)

    def lease_keep_alive(self, lease_id: int) -> LeaseInfo:
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            cursor.execute("SELECT ttl, expires_at FROM store_lease WHERE id = %s", [lease_id])
            row = cursor.fetchone()
            if row is None or row[1] <= self.clock():
                raise errors.LeaseNotFound()
            ttl = int(row[0])
            cursor.execute(
                "UPDATE store_lease SET expires_at = %s WHERE id = %s", [self.clock() + ttl, lease_id]
            )
        return LeaseInfo(lease_id, ttl, ttl)

    def lease_time_to_live(self, lease_id: int, keys: bool = False) -> LeaseInfo:
        """Remaining TTL; ``ttl=-1`` for a lease that does not exist, as etcd says it."""
        with sql.read_snapshot(self.using) as cursor:
            cursor.execute("SELECT ttl, expires_at FROM store_lease WHERE id = %s", [lease_id])
            row = cursor.fetchone()
            if row is None:
                return LeaseInfo(lease_id, -1, 0)
            attached: list[bytes] = []
            if keys:
                cursor.execute("SELECT key FROM store_kv WHERE lease = %s ORDER BY key", [lease_id])
                attached = [sql.as_bytes(r[0]) for r in cursor.fetchall()]
        remaining = max(0, int(round(row[1] - self.clock())))
        return LeaseInfo(lease_id, remaining, int(row[0]), attached)

    def leases(self) -> list[int]:
        with connections[self.using].cursor() as cursor:
            cursor.execute("SELECT id FROM store_lease ORDER BY id")
            return [int(r[0]) for r in cursor.fetchall()]

    def lease_revoke(self, lease_id: int) -> int:
        """Delete the lease and, in one revision, every key attached to it."""
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            current, _ = sql.lock_meta(cursor, self._vendor)
            if not self._lease_exists(cursor, lease_id):
                raise errors.LeaseNotFound()
            writer = _Writer(cursor, current + 1)
            cursor.execute("SELECT key FROM store_kv WHERE lease = %s ORDER BY key", [lease_id])
            for (key,) in cursor.fetchall():
                writer.delete(DeleteOp(sql.as_bytes(key)))
            cursor.execute("DELETE FROM store_lease WHERE id = %s", [lease_id])
            return self._finish(cursor, writer, current)

    def expire_leases(self) -> int:
        """Revoke every lease whose TTL has run out; returns how many."""
        with connections[self.using].cursor() as cursor:
            cursor.execute("SELECT id FROM store_lease WHERE expires_at <= %s", [self.clock()])
            expired = [int(r[0]) for r in cursor.fetchall()]
        revoked = 0
        for lease_id in expired:
            try:
                self.lease_revoke(lease_id)
                revoked += 1
            except errors.LeaseNotFound:
                pass  # another process revoked it first
        return revoked

    @staticmethod
    def _lease_exists(cursor: Any, lease_id: int) -> bool:
        cursor.execute("SELECT 1 FROM store_lease WHERE id = %s", [lease_id])
        return cursor.fetchone() is not None

    # --- status -----------------------------------------------------------------

    def status(self) -> Status:
        connection = connections[self.using]
        with sql.read_snapshot(self.using) as cursor:
            revision, compact, cluster_id, member_id = sql.read_meta(cursor)
            cursor.execute("SELECT COUNT(*) FROM store_kv")
            key_count = int(cursor.fetchone()[0])
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA page_count")
                pages = int(cursor.fetchone()[0])
                cursor.execute("PRAGMA page_size")
                size = pages * int(cursor.fetchone()[0])
            else:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = int(cursor.fetchone()[0])
        return Status(revision, compact, key_count, size, cluster_id, member_id)

    def revision(self) -> int:
        with connections[self.using].cursor() as cursor:
            return sql.read_meta(cursor)[0]


def _check_ops(ops: Sequence[Op]) -> None:
    """etcd refuses a txn that writes one key twice, or a request without a key."""
    written: list[tuple[bytes, bytes | None]] = []
    for op in ops:
        if not op.key:
            raise errors.EmptyKey()
        if isinstance(op, RangeOp):
            continue
        end = op.range_end if isinstance(op, DeleteOp) else None
        for key, other_end in written:
            if _overlaps(op.key, end, key, other_end):
                raise errors.DuplicateKey()
        written.append((op.key, end))


def _overlaps(a: bytes, a_end: bytes | None, b: bytes, b_end: bytes | None) -> bool:
    def upper(start: bytes, end: bytes | None) -> bytes | None:
        if end is None:
            return start + b"\0"
        return None if end == b"\0" else end

    a_up, b_up = upper(a, a_end), upper(b, b_end)
    return (b_up is None or a < b_up) and (a_up is None or b < a_up)


def _with_revision(result: OpResult, revision: int) -> OpResult:
    if isinstance(result, RangeResult):
        return RangeResult(revision, result.kvs, result.count, result.more)
    if isinstance(result, PutResult):
        return PutResult(revision, result.prev_kv)
    return DeleteResult(revision, result.deleted, result.prev_kvs)


class _Writer:
    """Applies the writes of one transaction at ``revision`` and collects its CDC rows."""

    def __init__(self, cursor: Any, revision: int) -> None:
        self.cursor = cursor
        self.revision = revision
        self.rows: list[list[Any]] = []
        # Keys read before anything is written (the compares): a guarded update — the
        # API server's every write — then reads its key once, not twice.
        self._read: dict[bytes, KeyValue | None] = {}

    def read(self, key: bytes) -> KeyValue | None:
        """The key as this transaction found it (before its own writes)."""
        if key not in self._read:
            self.cursor.execute(f"SELECT {_KV_COLUMNS} FROM store_kv WHERE key = %s", [key])
            row = self.cursor.fetchone()
            self._read[key] = _kv(row) if row else None
        return self._read[key]

    @property
    def changed(self) -> bool:
        return bool(self.rows)

    def put(self, op: PutOp) -> PutResult:
        # A txn writes a key at most once, so what the compares read is still the key's state.
        prev = self.read(op.key)
        create = prev.create_revision if prev else self.revision
        version = prev.version + 1 if prev else 1
        self.cursor.execute(
            f"INSERT INTO store_kv ({_KV_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "mod_revision = excluded.mod_revision, version = excluded.version, lease = excluded.lease",
            [op.key, op.value, create, self.revision, version, op.lease],
        )
        diff = value_diff(prev.value if prev else None, op.value)
        self._record(PUT, op.key, op.value, create, version, op.lease, prev, diff)
        return PutResult(self.revision, prev if op.prev_kv else None)

    def delete(self, op: DeleteOp) -> DeleteResult:
        where = sql.range_clause(op.range_end)
        params = sql.range_params(op.key, op.range_end)
        self.cursor.execute(f"SELECT {_KV_COLUMNS} FROM store_kv WHERE {where} ORDER BY key", params)
        prevs = [_kv(row) for row in self.cursor.fetchall()]
        if prevs:
            self.cursor.execute(f"DELETE FROM store_kv WHERE {where}", params)
        for prev in prevs:
            self._record(DELETE, prev.key, b"", 0, 0, 0, prev, None)
        return DeleteResult(self.revision, len(prevs), prevs if op.prev_kv else [])

    def _record(
        self,
        type_: int,
        key: bytes,
        value: bytes,
        create: int,
        version: int,
        lease: int,
        prev: KeyValue | None,
        diff: Any,
    ) -> None:
        self.rows.append(
            [
                self.revision,
                len(self.rows),
                type_,
                key,
                value,
                create,
                version,
                lease,
                prev.value if prev else None,
                prev.create_revision if prev else 0,
                prev.mod_revision if prev else 0,
                prev.version if prev else 0,
                prev.lease if prev else 0,
                None if diff is None else json.dumps(diff, separators=(",", ":")),
            ]
        )

    def flush(self) -> None:
        self.cursor.executemany(
            "INSERT INTO store_change (revision, sub, type, key, value, create_revision, version, "
            "lease, prev_value, prev_create_revision, prev_mod_revision, prev_version, prev_lease, "
            "diff) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            self.rows,
        )


def without_compacted_prev(event: Event, compact: int) -> Event:
    """etcd reads ``prev_kv`` at ``revision - 1``; below the compaction revision it
    cannot, so the event at the compaction revision itself comes without one."""
    if event.prev_kv is None or event.revision > compact:
        return event
    return Event(event.type, event.kv, None, event.diff)


def _event(row: Sequence[Any]) -> Event:
    """A ``store_change`` row as the watch event it stands for."""
    revision, type_, key = int(row[0]), int(row[2]), sql.as_bytes(row[3])
    prev = None
    if row[8] is not None:
        prev = KeyValue(key, sql.as_bytes(row[8]), int(row[9]), int(row[10]), int(row[11]), int(row[12]))
    if type_ == PUT:
        kv = KeyValue(key, sql.as_bytes(row[4]), int(row[5]), revision, int(row[6]), int(row[7]))
    else:
        kv = KeyValue(key, mod_revision=revision)
    diff = json.loads(row[13]) if isinstance(row[13], str) else row[13]
    return Event("PUT" if type_ == PUT else "DELETE", kv, prev, diff)
