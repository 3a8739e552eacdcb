"""Validation helpers worded exactly as the Kubernetes API server words them.

Two layers, as in Kubernetes:

* ``is_*`` functions (apimachinery ``util/validation``) check one string and return the
  list of problem descriptions, empty when valid;
* field helpers (apimachinery ``util/validation/field``) turn those into ``Cause``s that
  carry the field path and the metav1 ``StatusCause`` reason, and ``invalid_message``
  renders the 422 ``Status.message`` (``Deployment.apps "web" is invalid: ...``).

A ``Cause.message`` is the error *body* (``Invalid value: -1: must be ...``); the field
path is kept apart, exactly as ``StatusCause.message`` and ``StatusCause.field`` are.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cluster.quantity import parse_quantity

# metav1.CauseType values, and the words field.ErrorType prints for each.
FIELD_VALUE_NOT_FOUND = "FieldValueNotFound"
FIELD_VALUE_REQUIRED = "FieldValueRequired"
FIELD_VALUE_DUPLICATE = "FieldValueDuplicate"
FIELD_VALUE_INVALID = "FieldValueInvalid"
FIELD_VALUE_NOT_SUPPORTED = "FieldValueNotSupported"
FIELD_VALUE_FORBIDDEN = "FieldValueForbidden"
FIELD_VALUE_TOO_LONG = "FieldValueTooLong"
FIELD_VALUE_TOO_MANY = "FieldValueTooMany"
INTERNAL_ERROR = "InternalError"
FIELD_VALUE_TYPE_INVALID = "FieldValueTypeInvalid"

_TYPE_WORDS = {
    FIELD_VALUE_NOT_FOUND: "Not found",
    FIELD_VALUE_REQUIRED: "Required value",
    FIELD_VALUE_DUPLICATE: "Duplicate value",
    FIELD_VALUE_INVALID: "Invalid value",
    FIELD_VALUE_NOT_SUPPORTED: "Unsupported value",
    FIELD_VALUE_FORBIDDEN: "Forbidden",
    FIELD_VALUE_TOO_LONG: "Too long",
    FIELD_VALUE_TOO_MANY: "Too many",
    INTERNAL_ERROR: "Internal error",
    FIELD_VALUE_TYPE_INVALID: "Invalid value",
}


@dataclass(frozen=True)
class Cause:
    """One field error, shaped like metav1.StatusCause (``field``, ``message``, ``reason``)."""

    field: str
    message: str
    reason: str = FIELD_VALUE_INVALID

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_status_cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


# --- string checks (apimachinery util/validation) ---------------------------------------

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + r"(\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
LABEL_VALUE_MAX = 63
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)  # 256 kB, summed over keys and values
NEGATIVE_ERR = "must be greater than or equal to 0"

_DNS1123_LABEL = re.compile(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(LABEL_VALUE_FMT)


def empty_error() -> str:
    return "must be non-empty"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Kubernetes' RegexError. Its odd double space ("'MyName',  or 'my.name'") is real."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = "".join((" or " if i else "") + f"'{e}', " for i, e in enumerate(examples))
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            # A valid subdomain but not a label: the dots are the only problem.
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label key or annotation key: ``[prefix/]name``, the prefix a DNS subdomain."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _QUALIFIED_NAME.fullmatch(name):
        errs.append(
            "name part "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _LABEL_VALUE.fullmatch(value):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


# --- field errors (apimachinery util/validation/field) ----------------------------------


def render_value(value: Any) -> str:
    """A bad value the way field.Error prints it: strings quoted, scalars bare, else JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)


def _body(reason: str, detail: str = "", value: Any = ..., show_value: bool = True) -> str:
    words = _TYPE_WORDS[reason]
    body = f"{words}: {render_value(value)}" if show_value and value is not ... else words
    return f"{body}: {detail}" if detail else body


def field_invalid(field: str, value: Any, detail: str) -> Cause:
    return Cause(field, _body(FIELD_VALUE_INVALID, detail, value), FIELD_VALUE_INVALID)


def field_required(field: str, detail: str = "") -> Cause:
    return Cause(field, _body(FIELD_VALUE_REQUIRED, detail), FIELD_VALUE_REQUIRED)


def field_not_found(field: str, value: Any) -> Cause:
    return Cause(field, _body(FIELD_VALUE_NOT_FOUND, "", value), FIELD_VALUE_NOT_FOUND)


def field_duplicate(field: str, value: Any) -> Cause:
    return Cause(field, _body(FIELD_VALUE_DUPLICATE, "", value), FIELD_VALUE_DUPLICATE)


def field_forbidden(field: str, detail: str) -> Cause:
    return Cause(field, _body(FIELD_VALUE_FORBIDDEN, detail), FIELD_VALUE_FORBIDDEN)


def field_too_long(field: str, max_length: int) -> Cause:
    unit = "byte" if max_length == 1 else "bytes"
    detail = f"may not be more than {max_length} {unit}"
    return Cause(field, _body(FIELD_VALUE_TOO_LONG, detail), FIELD_VALUE_TOO_LONG)


def field_not_supported(field: str, value: Any, valid: Iterable[str] = ()) -> Cause:
    quoted = ", ".join(json.dumps(v) for v in valid)
    detail = f"supported values: {quoted}" if quoted else ""
    return Cause(field, _body(FIELD_VALUE_NOT_SUPPORTED, detail, value), FIELD_VALUE_NOT_SUPPORTED)


def field_internal(field: str, detail: str) -> Cause:
    return Cause(field, _body(INTERNAL_ERROR, detail), INTERNAL_ERROR)


# --- validators returning lists of causes -----------------------------------------------


def required(value: Any, field: str, detail: str = "") -> list[Cause]:
    """``Required value`` when the value is missing or empty ("" / [] / {} / None)."""
    if value is None or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0):
        return [field_required(field, detail)]
    return []


def dns1123_subdomain(value: str, field: str) -> list[Cause]:
    return [field_invalid(field, value, m) for m in is_dns1123_subdomain(value)]


def dns1123_label(value: str, field: str) -> list[Cause]:
    return [field_invalid(field, value, m) for m in is_dns1123_label(value)]


def qualified_name(value: str, field: str) -> list[Cause]:
    return [field_invalid(field, value, m) for m in is_qualified_name(value)]


def labels(labels: Mapping[str, str] | None, field: str = "metadata.labels") -> list[Cause]:
    """Each key a qualified name, each value a label value; errors point at the map itself."""
    causes: list[Cause] = []
    for key in sorted(labels or {}):
        causes += qualified_name(key, field)
        value = labels[key]  # type: ignore[index]
        causes += [field_invalid(field, value, m) for m in is_valid_label_value(str(value))]
    return causes


def annotations(annotations: Mapping[str, str] | None, field: str = "metadata.annotations") -> list[Cause]:
    """Keys are qualified names (case-insensitive); keys and values together at most 256 kB."""
    causes: list[Cause] = []
    total = 0
    for key in sorted(annotations or {}):
        causes += [field_invalid(field, key, m) for m in is_qualified_name(key.lower())]
        value = annotations[key]  # type: ignore[index]
        total += len(key.encode()) + len(str(value).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(field_too_long(field, TOTAL_ANNOTATION_SIZE_LIMIT))
    return causes


def non_negative(value: int | float, field: str) -> list[Cause]:
    """apimachinery ValidateNonnegativeField: ``Invalid value: -1: must be greater than or equal to 0``."""
    return [field_invalid(field, value, NEGATIVE_ERR)] if value < 0 else []


def quantity(value: Any, field: str) -> list[Cause]:
    """A parsable, non-negative resource quantity (requests, limits, capacity)."""
    try:
        parsed = parse_quantity(value)
    except ValueError as err:
        return [field_invalid(field, value, str(err))]
    if parsed < 0:
        return [field_invalid(field, str(value), NEGATIVE_ERR)]
    return []


def object_name(name: Any, field: str = "metadata.name", *, generate_name: str = "") -> list[Cause]:
    """Most kinds: name (or generateName) required, and a DNS subdomain."""
    if not name and not generate_name:
        return [field_required(field, "name or generateName is required")]
    if not name:
        return []
    if not isinstance(name, str):
        return [field_invalid(field, name, "must be a string")]
    return dns1123_subdomain(name, field)


# --- the 422 message ---------------------------------------------------------------------


def aggregate(causes: Iterable[Cause]) -> str:
    """errors.Aggregate.Error(): one error bare, several deduplicated inside ``[...]``."""
    seen: list[str] = []
    for cause in causes:
        text = str(cause)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]" if seen else ""


def invalid_message(kind: str, name: str, causes: Iterable[Cause], group: str = "") -> str:
    """``Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be ...``.

    ``kind`` may already be qualified ("Deployment.apps"); ``group`` is appended when given.
    """
    qualified = f"{kind}.{group}" if group else kind
    summary = aggregate(causes)
    head = f"{qualified} {json.dumps(name, ensure_ascii=False)} is invalid"
    return f"{head}: {summary}" if summary else head


def invalid_status(kind: str, name: str, causes: list[Cause], group: str = "") -> dict[str, Any]:
    """The metav1.Status body of a 422 Invalid response."""
    qualified_kind = kind.split(".", 1)[0] if not group else kind
    qualified_group = group or (kind.split(".", 1)[1] if "." in kind else "")
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(kind, name, causes, group),
        "reason": "Invalid",
        "details": {
            "name": name,
            "group": qualified_group,
            "kind": qualified_kind,
            "causes": [c.as_status_cause() for c in causes],
        },
        "code": 422,
    }
