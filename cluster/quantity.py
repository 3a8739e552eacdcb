"""Kubernetes resource quantities ("500m", "1Gi", "1e3") as exact fractions.

Mirrors apimachinery's ``resource.ParseQuantity``: a signed decimal number followed by a
suffix that is binary SI (Ki..Ei), decimal SI (n, u, m, "", k..E) or a decimal exponent
(``e3``, ``E-2``). Values are exact ``Fraction``s in base units (cores, bytes), rounded
up to the nano unit like the real parser, so that asking for "a little" never becomes 0.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

# apimachinery's error texts, verbatim: clients and tests match on them.
FORMAT_WRONG = (
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
NUMERIC_WRONG = "unable to parse numeric part of quantity"
SUFFIX_WRONG = "unable to parse quantity's suffix"

BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}
_BINARY_BY_EXP = {exp: s for s, exp in BINARY_SUFFIXES.items()}
_DECIMAL_BY_EXP = {exp: s for s, exp in DECIMAL_SUFFIXES.items()}

# Number part, then whatever follows; the suffix is checked on its own so that the
# three failure modes get the same messages as the Go parser.
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)", re.DOTALL)
_SUFFIX_SHAPE = re.compile(r"[eEinumkKMGTP]*[-+]?[0-9]*")
_EXPONENT = re.compile(r"[eE]([-+]?[0-9]+)")

NANO = Fraction(1, 10**9)


def _split(s: str) -> tuple[int, str, str, str]:
    """(sign, integer digits, fraction digits, suffix) or ValueError."""
    if not s:
        raise ValueError(FORMAT_WRONG)
    m = _NUMBER.fullmatch(s)
    assert m is not None  # every group is optional
    sign, whole, frac, suffix = m.groups()
    if not _SUFFIX_SHAPE.fullmatch(suffix):
        raise ValueError(FORMAT_WRONG)
    if not whole and not frac:
        raise ValueError(NUMERIC_WRONG if frac is not None else FORMAT_WRONG)
    return (-1 if sign == "-" else 1), whole, frac or "", suffix


def _interpret_suffix(suffix: str) -> tuple[Fraction, Format]:
    """Multiplier and format named by a suffix."""
    if suffix in BINARY_SUFFIXES:
        return Fraction(2 ** BINARY_SUFFIXES[suffix]), "BinarySI"
    if suffix in DECIMAL_SUFFIXES:
        return Fraction(10) ** DECIMAL_SUFFIXES[suffix], "DecimalSI"
    m = _EXPONENT.fullmatch(suffix)
    if m:
        return Fraction(10) ** int(m.group(1)), "DecimalExponent"
    raise ValueError(SUFFIX_WRONG)


def _parse(s: str | int | float) -> tuple[Fraction, Format]:
    if isinstance(s, bool):  # bool is an int in Python, never a quantity in JSON
        raise ValueError(FORMAT_WRONG)
    if isinstance(s, int):
        return Fraction(s), "DecimalSI"
    if isinstance(s, float):
        if not math.isfinite(s):
            raise ValueError(FORMAT_WRONG)
        # A JSON number is parsed from its text, so 0.1 means one tenth, not the binary float.
        s = repr(s)
    if not isinstance(s, str):
        raise ValueError(FORMAT_WRONG)
    sign, whole, frac, suffix = _split(s)
    multiplier, fmt = _interpret_suffix(suffix)
    mantissa = Fraction(int(whole or "0")) + (
        Fraction(int(frac), 10 ** len(frac)) if frac else 0
    )
    value = mantissa * multiplier
    # Round non-zero values up (away from zero) to a whole number of nano units.
    if value.denominator != 1 and (value / NANO).denominator != 1:
        value = math.ceil(value / NANO) * NANO
    return sign * value, fmt


def parse_quantity(s: str | int | float) -> Fraction:
    """The exact value of a quantity in base units: "500m" -> 1/2, "1Gi" -> 2**30."""
    return _parse(s)[0]


def quantity_format(s: str | int | float) -> Format:
    """The format a quantity was written in; canonical output keeps it."""
    return _parse(s)[1]


def canonical_quantity(s: str | int | float) -> str:
    """What the API server stores and returns for ``s`` ("1.5" -> "1500m", "2048Ki" -> "2Mi")."""
    value, fmt = _parse(s)
    return format_quantity(value, fmt)


def _decimal_mantissa(value: Fraction) -> tuple[int, int]:
    """(integer mantissa, exponent) with the exponent a multiple of 3 and as large as possible."""
    exponent = -9
    mantissa = value / NANO
    assert mantissa.denominator == 1, "value must be a whole number of nano units"
    m = int(mantissa)
    while m % 1000 == 0 and exponent < 18:
        m //= 1000
        exponent += 3
    return m, exponent


def format_quantity(value: Fraction | int, fmt: Format = "DecimalSI") -> str:
    """Kubernetes' canonical form: no fraction digits, the largest suffix that loses nothing.

    BinarySI falls back to DecimalSI for values below 1024 or with a fractional part, as
    apimachinery does ("0.5Gi" canonicalises to "512Mi", "0.9Gi" to "966367641600m").
    """
    value = Fraction(value)
    if (value / NANO).denominator != 1:
        value = math.ceil(abs(value) / NANO) * NANO * (1 if value > 0 else -1)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)

    if fmt == "BinarySI" and magnitude >= 1024 and magnitude.denominator == 1:
        m, exp = int(magnitude), 0
        while m % 1024 == 0 and exp < 60:
            m //= 1024
            exp += 10
        return f"{sign}{m}{_BINARY_BY_EXP.get(exp, '') if exp else ''}"

    m, exp = _decimal_mantissa(magnitude)
    if fmt == "DecimalExponent":
        return f"{sign}{m}" + (f"e{exp}" if exp else "")
    return f"{sign}{m}{_DECIMAL_BY_EXP[exp]}"
