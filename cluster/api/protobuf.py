"""Decode ``application/vnd.kubernetes.protobuf`` request bodies.

kubectl's typed clients (``create deployment``, ``create namespace``, ``auth
can-i``, ``create token``, drain's evictions …) send protobuf. The envelope is
the 4-byte magic ``k8s\\0`` and a ``runtime.Unknown`` {typeMeta{apiVersion, kind},
raw}; ``raw`` is the kind's message, decoded here with the type table into the
same JSON object a JSON client would have sent (zero values dropped where the
JSON tag says ``omitempty``, as Go's encoder would).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from . import schema

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"


_VARINT_KINDS = ("int32", "int64", "uint32", "uint64", "bool")


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of one message, in order."""
    result = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos:pos + length], pos + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(data):
                raise ProtobufError("truncated fixed-width field")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        result.append((number, wire, value))
    return result


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _time(data: bytes) -> str | None:
    values = {n: v for n, _, v in fields(data)}
    seconds = _signed(values.get(1, 0))
    if not seconds:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind == "string":
        return bytes(value).decode("utf-8", errors="replace")
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if kind == "bool":
        return bool(value)
    if kind in ("int32", "int64"):
        return _signed(value)
    if kind in ("uint32", "uint64"):
        return value
    if kind in ("double", "float"):
        import struct

        return struct.unpack("<d" if wire == 1 else "<f", value)[0]
    if kind == "time":
        return _time(value)
    if kind == "quantity":
        return {n: v for n, _, v in fields(value)}.get(1, b"").decode()
    if kind == "intorstring":
        values = {n: v for n, _, v in fields(value)}
        return values.get(3, b"").decode() if values.get(1, 0) == 1 else _signed(values.get(2, 0))
    if kind == "raw":
        raw = {n: v for n, _, v in fields(value)}.get(1, b"")
        return json.loads(raw) if raw else None
    if kind == "duration":
        return f"{_signed({n: v for n, _, v in fields(value)}.get(1, 0)) / 1e9:g}s"
    return None


def _value(kind: Any, wire: int, value: Any) -> Any:
    if isinstance(kind, dict) and "ref" in kind:
        return message(kind["ref"], value)
    return _scalar(kind, wire, value)


def _packed(kind: Any, data: bytes) -> list[Any]:
    values, pos = [], 0
    while pos < len(data):
        number, pos = _varint(data, pos)
        values.append(_scalar(kind, 0, number))
    return values


def _empty(value: Any) -> bool:
    return value in (None, "", 0, False) or value == [] or value == {}


def message(type_name: str, data: bytes) -> dict[str, Any]:
    """One message of ``type_name`` as its JSON object."""
    by_number = {f["pb"]: f for f in schema.own_fields(type_name) if f.get("pb")}
    obj: dict[str, Any] = {}
    for number, wire, value in fields(data):
        field = by_number.get(number)
        if field is None:
            continue  # a field this table does not know: dropped, as an unknown field
        name, kind = field["name"], field["type"]
        if field.get("inline"):
            obj.update(message(kind["ref"], value))
        elif isinstance(kind, dict) and "list" in kind:
            items = obj.setdefault(name, [])
            inner = kind["list"]
            if wire == 2 and inner in _VARINT_KINDS:
                items.extend(_packed(inner, value))
            else:
                items.append(_value(inner, wire, value))
        elif isinstance(kind, dict) and "map" in kind:
            entry = {n: (w, v) for n, w, v in fields(value)}
            key = entry.get(1, (2, b""))[1].decode()
            inner_wire, inner_value = entry.get(2, (2, b""))
            obj.setdefault(name, {})[key] = _value(kind["map"], inner_wire, inner_value)
        else:
            obj[name] = _value(kind, wire, value)
    for field in schema.fields(type_name):
        if field.get("omitempty") and field["name"] in obj and _empty(obj[field["name"]]) \
                and not (isinstance(field["type"], dict) and "ref" in field["type"]):
            del obj[field["name"]]
        elif field["name"] in obj and obj[field["name"]] is None:
            del obj[field["name"]]
    return obj


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body (``k8s\\0`` + runtime.Unknown) as a JSON object."""
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not contain a kubernetes protobuf envelope")
    try:
        unknown = {n: v for n, _, v in fields(body[len(MAGIC):])}
        type_meta = {n: v for n, _, v in fields(bytes(unknown.get(1, b"")))}
        api_version = bytes(type_meta.get(1, b"")).decode()
        kind = bytes(type_meta.get(2, b"")).decode()
    except (TypeError, ValueError) as error:
        raise ProtobufError(f"the envelope could not be read: {error}") from None
    group, _, version = api_version.rpartition("/")
    type_name = schema.root_for(group, version, kind)
    if type_name is None:
        raise ProtobufError(f"no kind {kind!r} is registered for version {api_version!r} in protobuf")
    try:
        obj = message(type_name, unknown.get(2, b""))
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError) as error:
        # a field of the wrong wire type, bytes that are not UTF-8, JSON that is not JSON …
        raise ProtobufError(f"{kind} in version {api_version!r} cannot be decoded: {error}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}
