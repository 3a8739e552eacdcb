"""Command-line flags parsed the way etcdctl's cobra/pflag parses them.

Flags may come before, between or after positional arguments; ``--`` ends
them; ``--name=value``, ``--name value``, ``-w json`` and ``-wjson`` all work;
a word starting with ``-`` is always a flag (so ``--rev -3`` takes ``-3`` as the
value, but a bare ``-3`` is an unknown shorthand flag, as in etcdctl).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .errors import EXIT_ERROR, CtlError

FlagType = Literal["bool", "int", "str"]


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    type: FlagType
    default: bool | int | str
    shorthand: str = ""


def flag(name: str, type_: FlagType, default: bool | int | str | None = None, shorthand: str = "") -> Flag:
    if default is None:
        default = {"bool": False, "int": 0, "str": ""}[type_]
    return Flag(name, type_, default, shorthand)


# Every etcdctl global flag is accepted; only -w and --hex change anything here,
# the connection ones are meaningless when the store is the local database.
GLOBAL_FLAGS = [
    flag("write-out", "str", "simple", "w"),
    flag("hex", "bool"),
    flag("endpoints", "str", "127.0.0.1:2379"),
    flag("debug", "bool"),
    flag("dial-timeout", "str", "2s"),
    flag("command-timeout", "str", "5s"),
    flag("keepalive-time", "str", "2s"),
    flag("keepalive-timeout", "str", "6s"),
    flag("insecure-transport", "bool", True),
    flag("insecure-skip-tls-verify", "bool"),
    flag("insecure-discovery", "bool", True),
    flag("cacert", "str"),
    flag("cert", "str"),
    flag("key", "str"),
    flag("user", "str"),
    flag("password", "str"),
    flag("discovery-srv", "str", shorthand="d"),
    flag("discovery-srv-name", "str"),
]

Values = dict[str, bool | int | str]


def parse(argv: list[str], flags: list[Flag]) -> tuple[list[str], Values]:
    """Split ``argv`` into positional arguments and flag values (defaults filled in)."""
    by_name = {f.name: f for f in flags}
    by_short = {f.shorthand: f for f in flags if f.shorthand}
    values: Values = {f.name: f.default for f in flags}
    args: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            args.extend(argv[i:])
            break
        if word.startswith("--"):
            name, has_value, value = word[2:].partition("=")
            spec = by_name.get(name)
            if spec is None:
                raise CtlError(f"unknown flag: --{name}", EXIT_ERROR)
            if spec.type != "bool" and not has_value:
                if i >= len(argv):
                    raise CtlError(f"flag needs an argument: --{name}", EXIT_ERROR)
                value, i = argv[i], i + 1
            values[name] = _convert(spec, value if has_value or spec.type != "bool" else "true", f"--{name}")
        elif word.startswith("-") and len(word) > 1:
            i = _parse_shorthands(word, argv, i, by_short, values)
        else:
            args.append(word)
    return args, values


def _parse_shorthands(word: str, argv: list[str], i: int, by_short: dict[str, Flag], values: Values) -> int:
    letters = word[1:]
    while letters:
        letter, letters = letters[0], letters[1:]
        spec = by_short.get(letter)
        if spec is None:
            raise CtlError(f"unknown shorthand flag: {letter!r} in {word}", EXIT_ERROR)
        if spec.type == "bool":
            if letters.startswith("="):
                values[spec.name] = _convert(spec, letters[1:], f"-{letter}")
                return i
            values[spec.name] = True
            continue
        if letters:
            value = letters[1:] if letters.startswith("=") else letters
        elif i < len(argv):
            value, i = argv[i], i + 1
        else:
            raise CtlError(f"flag needs an argument: {letter!r} in {word}", EXIT_ERROR)
        values[spec.name] = _convert(spec, value, f"-{letter}")
        return i
    return i


def _convert(spec: Flag, value: str, shown: str) -> bool | int | str:
    shown = f"--{spec.name}" if shown.startswith("--") else shown.lstrip("-")
    if spec.type == "bool":
        parsed = parse_bool(value)
        if parsed is None:
            raise CtlError(
                f'invalid argument "{value}" for "{shown}" flag: '
                f'strconv.ParseBool: parsing "{value}": invalid syntax',
                EXIT_ERROR,
            )
        return parsed
    if spec.type == "int":
        try:
            return parse_int(value, base=0)
        except ValueError as e:
            raise CtlError(f'invalid argument "{value}" for "{shown}" flag: {e}', EXIT_ERROR) from None
    return value


def parse_bool(value: str) -> bool | None:
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


_DIGITS = {10: r"[0-9]+", 16: r"[0-9a-fA-F]+"}


def parse_int(text: str, base: int = 10) -> int:
    """Go's ``strconv.ParseInt(text, base, 64)``; the ValueError says what Go says.

    ``base=0`` takes a 0x/0o/0b prefix or a leading 0 for octal, as pflag's
    int flags do.
    """
    body = text[1:] if text[:1] in "+-" else text
    number: int | None = None
    if base == 0:
        try:
            number = int(text, 0) if not re.fullmatch(r"0[0-7]+", body) else int(text, 8)
        except ValueError:
            number = None
    elif re.fullmatch(_DIGITS[base], body):
        number = int(text, base)
    if number is None:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    if not -(2**63) <= number < 2**63:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return number
