"""cluster.quantity: parsing and canonical form of Kubernetes resource quantities."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from cluster.quantity import (
    FORMAT_WRONG,
    NUMERIC_WRONG,
    SUFFIX_WRONG,
    canonical_quantity,
    format_quantity,
    parse_quantity,
    quantity_format,
)


@pytest.mark.parametrize(
    "text, value",
    [
        ("500m", Fraction(1, 2)),
        ("1Gi", Fraction(2**30)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("1e-3", Fraction(1, 1000)),
        ("1.5", Fraction(3, 2)),
        ("100Ki", Fraction(102400)),
        ("2M", Fraction(2_000_000)),
        ("0.1", Fraction(1, 10)),
        (".5", Fraction(1, 2)),
        ("1.", Fraction(1)),
        ("+2", Fraction(2)),
        ("-2k", Fraction(-2000)),
        ("0", Fraction(0)),
        ("000", Fraction(0)),
        ("1E", Fraction(10**18)),
        ("3n", Fraction(3, 10**9)),
        ("7u", Fraction(7, 10**6)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("1Ei", Fraction(2**60)),
        ("12e+2", Fraction(1200)),
        (2, Fraction(2)),
        (0.5, Fraction(1, 2)),
        (0.1, Fraction(1, 10)),
    ],
)
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


def test_values_below_a_nano_unit_round_up():
    assert parse_quantity("0.1n") == Fraction(1, 10**9)
    assert parse_quantity("-0.1n") == Fraction(-1, 10**9)
    assert parse_quantity("1.0000000001") == 1 + Fraction(1, 10**9)


@pytest.mark.parametrize("text", ["", "abc", "1.5.5", "1 Gi", "-", "Gi", "1Gi ", "--1", "1e1.5", True])
def test_format_errors_use_kubernetes_wording(text):
    with pytest.raises(ValueError) as err:
        parse_quantity(text)
    assert str(err.value) == FORMAT_WRONG
    assert str(err.value) == (
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


@pytest.mark.parametrize("text", ["1Gi3", "1e", "1Kii", "1mm", "5ki"])
def test_suffix_errors(text):
    with pytest.raises(ValueError, match="unable to parse quantity's suffix"):
        parse_quantity(text)
    assert SUFFIX_WRONG == "unable to parse quantity's suffix"


def test_numeric_error():
    with pytest.raises(ValueError) as err:
        parse_quantity(".")
    assert str(err.value) == NUMERIC_WRONG


@pytest.mark.parametrize(
    "text, fmt", [("1Gi", "BinarySI"), ("500m", "DecimalSI"), ("1", "DecimalSI"), ("1e3", "DecimalExponent")]
)
def test_quantity_format(text, fmt):
    assert quantity_format(text) == fmt


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("1.5", "1500m"),
        ("0.5", "500m"),
        ("1000m", "1"),
        ("2000", "2k"),
        ("1500", "1500"),
        ("1.5Gi", "1536Mi"),
        ("2048Ki", "2Mi"),
        ("1024Ki", "1Mi"),
        ("0.5Gi", "512Mi"),
        ("0.9Gi", "966367641600m"),
        ("512Ki", "512Ki"),
        ("100Mi", "100Mi"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("0.1n", "1n"),
        ("-1.5", "-1500m"),
        ("0", "0"),
        ("0Gi", "0"),
        ("100m", "100m"),
        ("1M", "1M"),
    ],
)
def test_canonical_quantity(text, canonical):
    assert canonical_quantity(text) == canonical


def test_binary_below_1024_is_shown_as_decimal():
    assert format_quantity(Fraction(512), "BinarySI") == "512"
    assert format_quantity(Fraction(1, 2), "BinarySI") == "500m"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["n", "u", "m", "", "k", "M", "Ki", "Mi", "Gi"]))
def test_canonical_form_round_trips(number, suffix):
    text = f"{number}{suffix}"
    value = parse_quantity(text)
    assert parse_quantity(canonical_quantity(text)) == value
