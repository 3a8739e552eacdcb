"""The few places where the store's SQL depends on the database backend."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction


def as_bytes(value: Any) -> bytes:
    """SQLite hands back ``bytes``, PostgreSQL a ``memoryview``."""
    return value if isinstance(value, bytes) else bytes(value)


def range_clause(range_end: bytes | None, column: str = "key") -> str:
    if range_end is None:
        return f"{column} = %s"
    if range_end == b"\0":
        return f"{column} >= %s"
    return f"{column} >= %s AND {column} < %s"


def range_params(key: bytes, range_end: bytes | None) -> list[bytes]:
    if range_end is None or range_end == b"\0":
        return [key]
    return [key, range_end]


@contextmanager
def read_snapshot(using: str) -> Iterator[Any]:
    """A cursor whose statements all see one consistent state of the store.

    SQLite: a deferred read transaction (``BEGIN``), which does not take the
    write lock. PostgreSQL: a REPEATABLE READ transaction. Inside an existing
    atomic block the surrounding transaction already gives one snapshot.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            yield cursor
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                yield cursor
            finally:
                cursor.execute("COMMIT")
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cursor


def lock_meta(cursor: Any, vendor: str) -> tuple[int, int]:
    """Take the store's write lock and return (revision, compact_revision).

    On SQLite the IMMEDIATE transaction already holds the database's one write
    lock; on PostgreSQL ``FOR UPDATE`` on the meta row serialises writers, so a
    revision becomes visible only after every lower revision has committed.
    """
    suffix = " FOR UPDATE" if vendor == "postgresql" else ""
    cursor.execute("SELECT revision, compact_revision FROM store_meta WHERE id = 1" + suffix)
    row = cursor.fetchone()
    if row is None:
        ensure_meta(cursor)
        cursor.execute("SELECT revision, compact_revision FROM store_meta WHERE id = 1" + suffix)
        row = cursor.fetchone()
    return int(row[0]), int(row[1])


def ensure_meta(cursor: Any) -> None:
    """Create the meta row of a fresh store: revision 1, as an empty etcd reports."""
    import secrets

    cursor.execute(
        "INSERT INTO store_meta (id, revision, compact_revision, cluster_id, member_id) "
        "VALUES (1, 1, 0, %s, %s) ON CONFLICT (id) DO NOTHING",
        [secrets.randbits(63), secrets.randbits(63)],
    )


def read_meta(cursor: Any) -> tuple[int, int, int, int]:
    cursor.execute(
        "SELECT revision, compact_revision, cluster_id, member_id FROM store_meta WHERE id = 1"
    )
    row = cursor.fetchone()
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3])) if row else (1, 0, 0, 0)
