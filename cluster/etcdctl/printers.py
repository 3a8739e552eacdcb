"""etcdctl's output formats: ``simple`` (byte for byte), ``json`` (the same
field names, order and zero-field omissions as etcdctl's Go encoding) and
``table`` for the two status commands.

A ``Header`` is etcd's ``ResponseHeader``. KubeViz has no raft, so
``raft_term`` is a constant 1 and the raft index is the store revision.
"""
from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from cluster.store.types import DeleteResult, Event, KeyValue, LeaseInfo, PutResult, RangeResult, TxnResult

RAFT_TERM = 1
VERSION = "3.4.0"  # the etcd API version the CLI mirrors


@dataclass(frozen=True, slots=True)
class Header:
    cluster_id: int
    member_id: int
    revision: int
    raft_term: int = RAFT_TERM

    def as_json(self) -> dict[str, int]:
        return _omit_zero(
            {
                "cluster_id": self.cluster_id,
                "member_id": self.member_id,
                "revision": self.revision,
                "raft_term": self.raft_term,
            }
        )


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    endpoint: str
    header: Header
    db_size: int
    db_size_in_use: int


@dataclass(frozen=True, slots=True)
class SnapshotStatus:
    hash: int
    revision: int
    total_keys: int
    total_size: int


class SimplePrinter:
    def __init__(self, out: BinaryIO, hex: bool = False) -> None:
        self.out = out
        self.hex = hex

    def _line(self, data: bytes | str = b"") -> None:
        self.out.write((data.encode() if isinstance(data, str) else data) + b"\n")

    def _bytes(self, data: bytes) -> bytes:
        return "".join(f"\\x{b:02x}" for b in data).encode() if self.hex else data

    def kv(self, kv: KeyValue, value_only: bool = False) -> None:
        if not value_only:
            self._line(self._bytes(kv.key))
        self._line(self._bytes(kv.value))

    def get(self, header: Header, result: RangeResult, value_only: bool = False, count_only: bool = False) -> None:
        if count_only:
            self._line(str(result.count))
            return
        for kv in result.kvs:
            self.kv(kv, value_only)

    def put(self, header: Header, result: PutResult) -> None:
        self._line("OK")
        if result.prev_kv is not None:
            self.kv(result.prev_kv)

    def delete(self, header: Header, result: DeleteResult) -> None:
        self._line(str(result.deleted))
        for kv in result.prev_kvs:
            self.kv(kv)

    def txn(self, header: Header, result: TxnResult) -> None:
        self._line("SUCCESS" if result.succeeded else "FAILURE")
        for response in result.responses:
            self._line()
            if isinstance(response, PutResult):
                self.put(header, response)
            elif isinstance(response, RangeResult):
                self.get(header, response)
            else:
                self.delete(header, response)

    def watch(self, header: Header, events: Sequence[Event]) -> None:
        for event in events:
            self._line(event.type)
            if event.prev_kv is not None:
                self.kv(event.prev_kv)
            self.kv(event.kv)

    def watch_canceled(self, header: Header, compact_revision: int) -> None:
        pass  # simple mode says it on stderr only

    def lease_grant(self, header: Header, lease: LeaseInfo) -> None:
        self._line(f"lease {lease.id:016x} granted with TTL({lease.granted_ttl}s)")

    def lease_revoke(self, header: Header, lease_id: int) -> None:
        self._line(f"lease {lease_id:016x} revoked")

    def lease_keep_alive(self, header: Header, lease: LeaseInfo) -> None:
        self._line(f"lease {lease.id:016x} keepalived with TTL({lease.ttl})")

    def lease_time_to_live(self, header: Header, lease: LeaseInfo, keys: bool) -> None:
        if lease.granted_ttl == 0 and lease.ttl == -1:
            self._line(f"lease {lease.id:016x} already expired")
            return
        text = f"lease {lease.id:016x} granted with TTL({lease.granted_ttl}s), remaining({lease.ttl}s)".encode()
        if keys:
            text += b", attached keys([" + b" ".join(lease.keys) + b"])"
        self._line(text)

    def lease_list(self, header: Header, lease_ids: Sequence[int]) -> None:
        self._line(f"found {len(lease_ids)} leases")
        for lease_id in lease_ids:
            self._line(f"{lease_id:016x}")

    def endpoint_status(self, statuses: Sequence[EndpointStatus]) -> None:
        for row in _endpoint_rows(statuses):
            self._line(", ".join(row))

    def snapshot_status(self, status: SnapshotStatus) -> None:
        self._line(", ".join(_snapshot_row(status)))


class JsonPrinter:
    """One JSON document per response, as ``json.Marshal`` of etcd's Go types prints it."""

    def __init__(self, out: BinaryIO, hex: bool = False) -> None:
        self.out = out

    def emit(self, document: Any) -> None:
        self.out.write(json.dumps(document, separators=(",", ":")).encode() + b"\n")

    def get(self, header: Header, result: RangeResult, value_only: bool = False, count_only: bool = False) -> None:
        self.emit(_range_json(header.as_json(), result))

    def put(self, header: Header, result: PutResult) -> None:
        self.emit(_put_json(header.as_json(), result))

    def delete(self, header: Header, result: DeleteResult) -> None:
        self.emit(_delete_json(header.as_json(), result))

    def txn(self, header: Header, result: TxnResult) -> None:
        responses = []
        for response in result.responses:
            # Inside a txn etcd fills only the revision of each response's header.
            inner = {"revision": response.revision}
            if isinstance(response, PutResult):
                responses.append({"Response": {"ResponsePut": _put_json(inner, response)}})
            elif isinstance(response, RangeResult):
                responses.append({"Response": {"ResponseRange": _range_json(inner, response)}})
            else:
                responses.append({"Response": {"ResponseDeleteRange": _delete_json(inner, response)}})
        document: dict[str, Any] = {"header": header.as_json()}
        if result.succeeded:
            document["succeeded"] = True
        if responses:
            document["responses"] = responses
        self.emit(document)

    def watch(self, header: Header, events: Sequence[Event]) -> None:
        self.emit(_watch_json(header.as_json(), [_event_json(e) for e in events], 0, False))

    def watch_canceled(self, header: Header, compact_revision: int) -> None:
        self.emit(_watch_json(header.as_json(), [], compact_revision, True))

    def lease_grant(self, header: Header, lease: LeaseInfo) -> None:
        self.emit({**header.as_json(), "ID": lease.id, "TTL": lease.granted_ttl, "Error": ""})

    def lease_revoke(self, header: Header, lease_id: int) -> None:
        self.emit({"header": header.as_json()})

    def lease_keep_alive(self, header: Header, lease: LeaseInfo) -> None:
        self.emit({**header.as_json(), "ID": lease.id, "TTL": lease.ttl})

    def lease_time_to_live(self, header: Header, lease: LeaseInfo, keys: bool) -> None:
        self.emit(
            {
                **header.as_json(),
                "id": lease.id,
                "ttl": lease.ttl,
                "granted-ttl": lease.granted_ttl,
                "keys": [_b64(k) for k in lease.keys] if lease.keys else None,
            }
        )

    def lease_list(self, header: Header, lease_ids: Sequence[int]) -> None:
        self.emit({**header.as_json(), "leases": [{"id": i} for i in lease_ids]})

    def endpoint_status(self, statuses: Sequence[EndpointStatus]) -> None:
        self.emit(
            [
                {
                    "Endpoint": s.endpoint,
                    "Status": {
                        "header": s.header.as_json(),
                        "version": VERSION,
                        "dbSize": s.db_size,
                        "leader": s.header.member_id,
                        "raftIndex": s.header.revision,
                        "raftTerm": s.header.raft_term,
                        "raftAppliedIndex": s.header.revision,
                        "dbSizeInUse": s.db_size_in_use,
                    },
                }
                for s in statuses
            ]
        )

    def snapshot_status(self, status: SnapshotStatus) -> None:
        self.emit(
            {
                "hash": status.hash,
                "revision": status.revision,
                "totalKey": status.total_keys,
                "totalSize": status.total_size,
            }
        )


class TablePrinter(SimplePrinter):
    """``-w table``: a grid for the status commands; everything else prints as simple."""

    def endpoint_status(self, statuses: Sequence[EndpointStatus]) -> None:
        headers = ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM",
                   "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"]
        self._table(headers, _endpoint_rows(statuses))

    def snapshot_status(self, status: SnapshotStatus) -> None:
        self._table(["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"], [_snapshot_row(status)])

    def _table(self, headers: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(c) for c in column) for column in zip(headers, *rows)]
        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        self._line(rule)
        self._line("|" + "|".join(" " + _center(h, w) + " " for h, w in zip(headers, widths)) + "|")
        self._line(rule)
        for row in rows:
            self._line("|" + "|".join(" " + c.rjust(w) + " " for c, w in zip(row, widths)) + "|")
        self._line(rule)


PRINTERS: dict[str, type[SimplePrinter] | type[JsonPrinter]] = {
    "simple": SimplePrinter,
    "json": JsonPrinter,
    "table": TablePrinter,
}


def _center(text: str, width: int) -> str:
    gap = width - len(text)
    return " " * (gap // 2) + text + " " * (gap - gap // 2)


def _endpoint_rows(statuses: Sequence[EndpointStatus]) -> list[list[str]]:
    return [
        [
            s.endpoint,
            f"{s.header.member_id:x}",
            VERSION,
            human_bytes(s.db_size),
            "true",
            "false",
            str(s.header.raft_term),
            str(s.header.revision),
            str(s.header.revision),
            "",
        ]
        for s in statuses
    ]


def _snapshot_row(status: SnapshotStatus) -> list[str]:
    return [f"{status.hash:x}", str(status.revision), str(status.total_keys), human_bytes(status.total_size)]


def human_bytes(size: int) -> str:
    """go-humanize's ``Bytes``: SI units, e.g. ``25 kB`` for 24576."""
    if size < 10:
        return f"{size} B"
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    exponent = min(int(math.floor(math.log(size) / math.log(1000))), len(units) - 1)
    value = math.floor(size / 1000**exponent * 10 + 0.5) / 10
    return f"{value:.1f} {units[exponent]}" if value < 10 else f"{value:.0f} {units[exponent]}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _omit_zero(document: dict[str, Any]) -> dict[str, Any]:
    """Go's ``omitempty``: zero numbers, empty bytes/lists and false are left out."""
    return {k: v for k, v in document.items() if v not in (0, b"", "", None, False, [])}


def kv_json(kv: KeyValue) -> dict[str, Any]:
    return _omit_zero(
        {
            "key": _b64(kv.key) if kv.key else "",
            "create_revision": kv.create_revision,
            "mod_revision": kv.mod_revision,
            "version": kv.version,
            "value": _b64(kv.value) if kv.value else "",
            "lease": kv.lease,
        }
    )


def _range_json(header: dict[str, Any], result: RangeResult) -> dict[str, Any]:
    return _omit_zero(
        {
            "header": header,
            "kvs": [kv_json(kv) for kv in result.kvs],
            "more": result.more,
            "count": result.count,
        }
    )


def _put_json(header: dict[str, Any], result: PutResult) -> dict[str, Any]:
    document: dict[str, Any] = {"header": header}
    if result.prev_kv is not None:
        document["prev_kv"] = kv_json(result.prev_kv)
    return document


def _delete_json(header: dict[str, Any], result: DeleteResult) -> dict[str, Any]:
    return _omit_zero(
        {"header": header, "deleted": result.deleted, "prev_kvs": [kv_json(kv) for kv in result.prev_kvs]}
    )


def _event_json(event: Event) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if event.type == "DELETE":
        document["type"] = 1  # mvccpb.DELETE; PUT is 0 and omitted
    document["kv"] = kv_json(event.kv)
    if event.prev_kv is not None:
        document["prev_kv"] = kv_json(event.prev_kv)
    return document


def _watch_json(header: dict[str, Any], events: list[dict[str, Any]], compact_revision: int, canceled: bool) -> dict[str, Any]:
    return {
        "Header": header,
        "Events": events,
        "CompactRevision": compact_revision,
        "Canceled": canceled,
        "Created": False,
    }
