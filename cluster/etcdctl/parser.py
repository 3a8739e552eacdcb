"""``get``/``put``/``del`` arguments → store requests, worded as etcdctl words its errors.

Shared by the top-level commands and by the ops inside ``txn``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from cluster.store.keys import prefix_end
from cluster.store.types import DeleteOp, PutOp, RangeOp

from .errors import EXIT_BAD_ARGS, CtlError
from .flags import Flag, Values, flag, parse_int

GET_FLAGS = [
    flag("prefix", "bool"),
    flag("from-key", "bool"),
    flag("rev", "int"),
    flag("limit", "int"),
    flag("keys-only", "bool"),
    flag("count-only", "bool"),  # etcdctl 3.5's flag, offered here too
    flag("print-value-only", "bool"),
    flag("consistency", "str", "l"),  # one store: every read is linearizable
]
PUT_FLAGS = [flag("lease", "str", "0"), flag("prev-kv", "bool")]
DEL_FLAGS = [flag("prefix", "bool"), flag("from-key", "bool"), flag("prev-kv", "bool")]


@dataclass(frozen=True, slots=True)
class GetRequest:
    op: RangeOp
    print_value_only: bool = False


def key_range(command: str, args: list[str], values: Values) -> tuple[bytes, bytes | None]:
    """The [key, range_end) a get/del/watch names, from its args and flags."""
    if not args:
        raise CtlError(
            f"{command} command needs one argument as key and an optional argument as range_end",
            EXIT_BAD_ARGS,
        )
    prefix, from_key = bool(values.get("prefix")), bool(values.get("from-key"))
    if prefix and from_key:
        raise CtlError("`--prefix` and `--from-key` cannot be set at the same time, choose one", EXIT_BAD_ARGS)
    key = encode(args[0])
    if len(args) > 1:
        if prefix or from_key:
            raise CtlError(
                "too many arguments, only accept one argument when `--prefix` or `--from-key` is set",
                EXIT_BAD_ARGS,
            )
        return key, encode(args[1])
    if prefix:
        # clientv3.WithPrefix: an empty prefix means every key.
        return (key, prefix_end(key)) if key else (b"\0", b"\0")
    if from_key:
        return key or b"\0", b"\0"
    return key, None


def get_request(args: list[str], values: Values) -> GetRequest:
    key, range_end = key_range("get", args, values)
    if values["keys-only"] and values["count-only"]:
        raise CtlError("`--keys-only` and `--count-only` cannot be set at the same time, choose one", EXIT_BAD_ARGS)
    op = RangeOp(
        key,
        range_end,
        limit=max(0, int(values["limit"])),
        revision=max(0, int(values["rev"])),  # etcd reads at the newest revision for rev <= 0
        keys_only=bool(values["keys-only"]),
        count_only=bool(values["count-only"]),
    )
    return GetRequest(op, bool(values["print-value-only"]))


def put_request(args: list[str], values: Values, stdin: BinaryIO | None) -> PutOp:
    message = "put command needs 1 argument and input from stdin or 2 arguments"
    if not args:
        raise CtlError(message, EXIT_BAD_ARGS)
    if len(args) > 1:
        value = encode(args[1])
    else:
        # Like etcdctl: the whole of stdin, trailing newline included, is the value.
        value = stdin.read() if stdin is not None else b""
        if not value:
            raise CtlError(message, EXIT_BAD_ARGS)
    return PutOp(encode(args[0]), value, lease=lease_id(str(values["lease"]), "bad lease ID"), prev_kv=bool(values["prev-kv"]))


def del_request(args: list[str], values: Values) -> DeleteOp:
    key, range_end = key_range("del", args, values)
    return DeleteOp(key, range_end, prev_kv=bool(values["prev-kv"]))


def lease_id(text: str, what: str = "bad lease ID arg") -> int:
    """A lease ID as etcdctl takes it: hexadecimal."""
    try:
        return parse_int(text, base=16)
    except ValueError as e:
        raise CtlError(f"{what} ({e}), expecting ID in Hex", EXIT_BAD_ARGS) from None


def encode(text: str) -> bytes:
    """A command-line word as the bytes the shell passed (undecodable bytes kept)."""
    return text.encode("utf-8", "surrogateescape")


def flags_of(command: str) -> list[Flag]:
    return {"get": GET_FLAGS, "put": PUT_FLAGS, "del": DEL_FLAGS}[command]
