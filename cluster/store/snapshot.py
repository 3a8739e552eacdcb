"""Snapshot and restore: the whole store in one self-checking file.

Layout (big-endian)::

    magic    8 bytes   b"KVZSNAP\\0"
    version  4 bytes   FORMAT_VERSION
    length   8 bytes   length of the payload
    payload  length    UTF-8 JSON: meta, live keys, retained changes, leases
    sha256   32 bytes  over everything before it

The retained change history travels with the keys, so reads at past
revisions and watches from them keep working after a restore. Like etcdctl,
``save`` writes ``<path>.part`` and renames it into place once it is synced,
so a crash never leaves a half-written file under the real name.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction

from . import sql
from .errors import SnapshotError
from .kv import Store

MAGIC = b"KVZSNAP\0"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">8sIQ")
_DIGEST = 32

_KV_SQL = "key, value, create_revision, mod_revision, version, lease"
_CHANGE_SQL = (
    "revision, sub, type, key, value, create_revision, version, lease, prev_value, "
    "prev_create_revision, prev_mod_revision, prev_version, prev_lease, diff"
)
_LEASE_SQL = "id, ttl, expires_at"


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What ``etcdctl snapshot status`` shows: HASH, REVISION, TOTAL KEYS, TOTAL SIZE."""

    hash: int  # crc32 of the payload, a 32-bit fingerprint like etcd's
    revision: int
    total_keys: int
    total_size: int  # bytes of the file


# --- save ------------------------------------------------------------------------


def save(store: Store, path: str | os.PathLike[str]) -> SnapshotInfo:
    """Write every live key, the retained history and the leases to ``path``."""
    path = os.fspath(path)
    with sql.read_snapshot(store.using) as cursor:
        revision, compact, _, _ = sql.read_meta(cursor)
        cursor.execute(f"SELECT {_KV_SQL} FROM store_kv ORDER BY key")
        kvs = [_encode_row(r, _KV_BYTES) for r in cursor.fetchall()]
        cursor.execute(f"SELECT {_CHANGE_SQL} FROM store_change ORDER BY revision, sub")
        changes = [_encode_change(r) for r in cursor.fetchall()]
        cursor.execute(f"SELECT {_LEASE_SQL} FROM store_lease ORDER BY id")
        leases = [[int(r[0]), int(r[1]), float(r[2])] for r in cursor.fetchall()]
    payload = json.dumps(
        {"revision": revision, "compact_revision": compact, "kvs": kvs, "changes": changes, "leases": leases},
        separators=(",", ":"),
    ).encode()
    body = _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload)) + payload
    data = body + hashlib.sha256(body).digest()
    _write_file(path, data)
    return SnapshotInfo(zlib.crc32(payload), revision, len(kvs), len(data))


def _write_file(path: str, data: bytes) -> None:
    part = path + ".part"
    try:
        with open(part, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        _remove_quietly(part)
        raise SnapshotError(f"could not open {part} (open {part}: {_go_error(e)})") from e
    try:
        os.replace(part, path)
    except OSError as e:
        _remove_quietly(part)
        raise SnapshotError(f"could not rename {part} to {path} ({_go_error(e)})") from e


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _go_error(e: OSError) -> str:
    """``No such file or directory`` → ``no such file or directory``, as Go words it."""
    text = e.strerror or str(e)
    return text[:1].lower() + text[1:]


# --- status and restore ------------------------------------------------------------


def status(path: str | os.PathLike[str]) -> SnapshotInfo:
    """Check the file (magic, version, length, checksum, shape) and describe it."""
    snapshot = _load(os.fspath(path))
    return snapshot.info


def restore(store: Store, path: str | os.PathLike[str], *, mark_compacted: bool = False) -> SnapshotInfo:
    """Replace the store's whole content with the snapshot, in one transaction.

    The file is read and checked completely before the database is touched,
    so a bad file leaves the store as it was.

    ``mark_compacted`` is etcdutl's ``snapshot restore --bump-revision
    --mark-compacted`` (what etcd advises when restoring under a running
    kube-apiserver): the revision moves past both the store's and the
    snapshot's and is marked compacted, so no watcher sees time run backwards —
    every watch and informer gets "required revision has been compacted" and
    relists. The store's new revision is ``store.revision()`` afterwards.
    """
    snapshot = _load(os.fspath(path))
    revision, compact = snapshot.info.revision, snapshot.compact_revision
    with transaction.atomic(using=store.using), connections[store.using].cursor() as cursor:
        current, _ = sql.lock_meta(cursor, connections[store.using].vendor)
        if mark_compacted:
            # +2: a watcher caught up at ``current`` waits from current + 1, and a
            # watch from the compaction revision itself is still served (as in etcd).
            revision = compact = max(current, revision) + 2
        cursor.execute("DELETE FROM store_change")
        cursor.execute("DELETE FROM store_kv")
        cursor.execute("DELETE FROM store_lease")
        cursor.executemany(
            f"INSERT INTO store_kv ({_KV_SQL}) VALUES (%s, %s, %s, %s, %s, %s)", snapshot.kvs
        )
        cursor.executemany(
            f"INSERT INTO store_change ({_CHANGE_SQL}) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            snapshot.changes,
        )
        cursor.executemany(f"INSERT INTO store_lease ({_LEASE_SQL}) VALUES (%s, %s, %s)", snapshot.leases)
        cursor.execute(
            "UPDATE store_meta SET revision = %s, compact_revision = %s WHERE id = 1",
            [revision, compact],
        )
    if store.on_commit is not None:
        store.on_commit(revision)  # let this process's watch hub look again
    return snapshot.info


@dataclass(frozen=True, slots=True)
class _Snapshot:
    info: SnapshotInfo
    compact_revision: int
    kvs: list[list[Any]]
    changes: list[list[Any]]
    leases: list[list[Any]]


def _load(path: str) -> _Snapshot:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SnapshotError(f"stat {path}: {_go_error(e)}") from e
    if len(data) < _HEADER.size:
        raise SnapshotError(f"invalid snapshot {path}: file is truncated ({len(data)} bytes)")
    magic, version, length = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SnapshotError(f"invalid snapshot {path}: not a KubeViz snapshot (bad magic)")
    if version != FORMAT_VERSION:
        raise SnapshotError(
            f"invalid snapshot {path}: unsupported format version {version} (this build reads {FORMAT_VERSION})"
        )
    expected = _HEADER.size + length + _DIGEST
    if len(data) < expected:
        raise SnapshotError(f"invalid snapshot {path}: file is truncated ({len(data)} of {expected} bytes)")
    if len(data) > expected:
        raise SnapshotError(f"invalid snapshot {path}: {len(data) - expected} unexpected trailing bytes")
    body, digest = data[: expected - _DIGEST], data[expected - _DIGEST :]
    if hashlib.sha256(body).digest() != digest:
        raise SnapshotError(f"invalid snapshot {path}: sha256 checksum mismatch (file is corrupted)")
    payload = body[_HEADER.size :]
    try:
        return _decode(payload, len(data))
    except (KeyError, TypeError, ValueError, IndexError, binascii.Error) as e:
        raise SnapshotError(f"invalid snapshot {path}: malformed content ({e})") from e


def _decode(payload: bytes, size: int) -> _Snapshot:
    doc = json.loads(payload)
    revision, compact = int(doc["revision"]), int(doc["compact_revision"])
    kvs = [_decode_row(r, _KV_BYTES, 6) for r in doc["kvs"]]
    changes = [_decode_change(r) for r in doc["changes"]]
    leases = [[int(r[0]), int(r[1]), float(r[2])] for r in doc["leases"]]
    newest = max([kv[3] for kv in kvs] + [c[0] for c in changes], default=0)
    if revision < 1 or newest > revision or not 0 <= compact <= revision:
        raise ValueError(f"revision {revision} (compact {compact}) is older than its keys ({newest})")
    info = SnapshotInfo(zlib.crc32(payload), revision, len(kvs), size)
    return _Snapshot(info, compact, kvs, changes, leases)


# --- rows <-> JSON -------------------------------------------------------------------
# Byte columns travel as base64; everything else as plain numbers.

_KV_BYTES = (0, 1)
_CHANGE_BYTES = (3, 4, 8)
_CHANGE_DIFF = 13


def _encode_row(row: Any, byte_columns: tuple[int, ...]) -> list[Any]:
    out: list[Any] = []
    for i, value in enumerate(row):
        if i in byte_columns:
            out.append(None if value is None else base64.b64encode(sql.as_bytes(value)).decode())
        else:
            out.append(int(value))
    return out


def _encode_change(row: Any) -> list[Any]:
    out = _encode_row(row[:_CHANGE_DIFF], _CHANGE_BYTES)
    diff = row[_CHANGE_DIFF]
    out.append(diff if diff is None or isinstance(diff, str) else json.dumps(diff, separators=(",", ":")))
    return out


def _decode_row(row: list[Any], byte_columns: tuple[int, ...], width: int) -> list[Any]:
    if len(row) != width:
        raise ValueError(f"row of {len(row)} columns, expected {width}")
    out: list[Any] = []
    for i, value in enumerate(row):
        if i in byte_columns:
            out.append(None if value is None else base64.b64decode(value, validate=True))
        else:
            out.append(int(value))
    return out


def _decode_change(row: list[Any]) -> list[Any]:
    if len(row) != 14:
        raise ValueError(f"change of {len(row)} columns, expected 14")
    out = _decode_row(row[:_CHANGE_DIFF], _CHANGE_BYTES, _CHANGE_DIFF)
    diff = row[_CHANGE_DIFF]
    if diff is not None and not isinstance(diff, str):
        raise TypeError("diff must be JSON text")
    out.append(diff)
    return out
