"""Plain data the store hands out: etcd's KeyValue, Event and request shapes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class KeyValue:
    """``mvccpb.KeyValue``: a key as stored at ``mod_revision``."""

    key: bytes
    value: bytes = b""
    create_revision: int = 0
    mod_revision: int = 0
    version: int = 0
    lease: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """One change seen by a watcher: a PUT or DELETE at ``revision``.

    For a DELETE, ``kv`` carries only the key and the deleting revision, as in
    etcd. ``diff`` is the field-level change for JSON values (see ``diff.py``).
    """

    type: Literal["PUT", "DELETE"]
    kv: KeyValue
    prev_kv: KeyValue | None = None
    diff: list[dict[str, Any]] | None = None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class RangeResult:
    revision: int  # the header revision the result reflects
    kvs: list[KeyValue]
    count: int
    more: bool = False


@dataclass(frozen=True, slots=True)
class PutResult:
    revision: int
    prev_kv: KeyValue | None = None


@dataclass(frozen=True, slots=True)
class DeleteResult:
    revision: int
    deleted: int
    prev_kvs: list[KeyValue] = field(default_factory=list)


# --- transactions ---------------------------------------------------------------

CompareTarget = Literal["value", "version", "create", "mod", "lease"]
CompareResult = Literal["=", "!=", "<", ">"]


@dataclass(frozen=True, slots=True)
class Compare:
    """``value("k") = "v"``, ``mod("k") > 4`` …: etcd's Compare on one key."""

    target: CompareTarget
    key: bytes
    result: CompareResult
    operand: bytes | int


@dataclass(frozen=True, slots=True)
class RangeOp:
    key: bytes
    range_end: bytes | None = None
    limit: int = 0
    revision: int = 0
    keys_only: bool = False
    count_only: bool = False


@dataclass(frozen=True, slots=True)
class PutOp:
    key: bytes
    value: bytes
    lease: int = 0
    prev_kv: bool = False


@dataclass(frozen=True, slots=True)
class DeleteOp:
    key: bytes
    range_end: bytes | None = None
    prev_kv: bool = False


Op = RangeOp | PutOp | DeleteOp
OpResult = RangeResult | PutResult | DeleteResult


@dataclass(frozen=True, slots=True)
class TxnResult:
    revision: int
    succeeded: bool
    responses: list[OpResult]


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    id: int
    ttl: int  # seconds left; -1 once expired, as etcd reports it
    granted_ttl: int
    keys: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Status:
    revision: int
    compact_revision: int
    key_count: int
    db_size: int
    cluster_id: int
    member_id: int
