"""The ``etcdctl txn`` grammar, read from stdin as etcdctl reads it.

Three sections, each ended by an empty line: compares, success ops, failure
ops. A compare is ``target("key") op "operand"`` (targets ``value``/``val``,
``version``/``ver``, ``create``/``c``, ``mod``/``m``, ``lease``; ops ``=``,
``!=``, ``<``, ``>``); an op is a ``get``/``put``/``del`` command line whose
words may be quoted. Input that ends before the last empty line is
``Error: EOF``, as in etcdctl.
"""
from __future__ import annotations

import re
from typing import BinaryIO

from cluster.store.types import Compare, Op

from . import flags, parser
from .errors import EXIT_INVALID_INPUT, CtlError

PROMPTS = (b"compares:\n", b"success requests (get, put, del):\n", b"failure requests (get, put, del):\n")
_TARGETS = {
    "value": "value", "val": "value",
    "version": "version", "ver": "version",
    "create": "create", "c": "create",
    "mod": "mod", "m": "mod",
    "lease": "lease",
}  # fmt: skip
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_COMPARE = re.compile(rf"\s*{_QUOTED}\)\s+(\S+)\s+{_QUOTED}")
_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|\S+')


def read_txn(stdin: BinaryIO, out: BinaryIO | None = None) -> tuple[list[Compare], list[Op], list[Op]]:
    """Read the three sections; ``out`` gets etcdctl's prompts (``--interactive``)."""
    sections: list[list[str]] = []
    for prompt in PROMPTS:
        if out is not None:
            out.write(prompt)
            out.flush()
        sections.append(_read_section(stdin))
    compares = [parse_compare(line) for line in sections[0]]
    return compares, [parse_op(line) for line in sections[1]], [parse_op(line) for line in sections[2]]


def _read_section(stdin: BinaryIO) -> list[str]:
    lines = []
    while True:
        raw = stdin.readline()
        if not raw.endswith(b"\n"):
            raise CtlError("EOF", EXIT_INVALID_INPUT)
        if raw == b"\n":
            return lines
        lines.append(raw[:-1].decode("utf-8", "surrogateescape").strip())


def parse_compare(line: str) -> Compare:
    target, paren, rest = line.partition("(")
    match = _COMPARE.match(rest) if paren else None
    if match is None or target not in _TARGETS:
        raise CtlError(f"malformed comparison: {line}", EXIT_INVALID_INPUT)
    key, result, operand_text = go_unquote(match[1]), match[2], go_unquote(match[3])
    if result not in ("=", "!=", "<", ">"):
        raise CtlError(f"malformed comparison: {line}", EXIT_INVALID_INPUT)
    kind = _TARGETS[target]
    operand: bytes | int = operand_text
    if kind != "value":
        try:
            # A lease is named by its hex ID, everything else by a decimal number.
            operand = flags.parse_int(operand_text.decode("utf-8", "surrogateescape"), 16 if kind == "lease" else 10)
        except ValueError:
            raise CtlError(f"invalid txn compare request: {line}", EXIT_INVALID_INPUT) from None
    return Compare(kind, key, result, operand)  # type: ignore[arg-type]


def parse_op(line: str) -> Op:
    words = argify(line)
    command, args = (words[0], words[1:]) if words else ("", [])
    if command not in ("get", "put", "del"):
        raise CtlError(f"invalid txn request: {' '.join(words)}", EXIT_INVALID_INPUT)
    try:
        args, values = flags.parse(args, parser.flags_of(command))
    except CtlError:
        raise CtlError(f"invalid txn request: {' '.join(words)}", EXIT_INVALID_INPUT) from None
    if command == "get":
        return parser.get_request(args, values).op
    if command == "put":
        return parser.put_request(args, values, stdin=None)
    return parser.del_request(args, values)


def argify(line: str) -> list[str]:
    """Split an op line into words: ``"double"`` (Go escapes), ``'single'`` or bare."""
    words = []
    for word in _WORD.findall(line):
        if word.startswith('"') and len(word) > 1:
            words.append(go_unquote(word[1:-1]).decode("utf-8", "surrogateescape"))
        elif word.startswith("'") and len(word) > 1:
            words.append(word[1:-1])
        else:
            words.append(word)
    return words


_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}


def go_unquote(text: str) -> bytes:
    """The body of a Go double-quoted string literal, escapes decoded, as bytes."""
    out = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out += char.encode("utf-8", "surrogateescape")
            i += 1
            continue
        code = text[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2 : i + 4]):
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        elif code in "uU":
            width = 4 if code == "u" else 8
            digits = text[i + 2 : i + 2 + width]
            if not re.fullmatch(rf"[0-9a-fA-F]{{{width}}}", digits):
                out += text[i : i + 2].encode()
                i += 2
                continue
            out += chr(int(digits, 16)).encode("utf-8", "surrogatepass")
            i += 2 + width
        elif re.fullmatch(r"[0-7]{3}", text[i + 1 : i + 4]):
            out.append(int(text[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out += text[i : i + 2].encode("utf-8", "surrogateescape")
            i += 2
    return bytes(out)
