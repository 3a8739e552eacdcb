"""A custom resource checked against its CRD's ``openAPIV3Schema``, as
apiextensions-apiserver does: defaults filled in, then type, required, enum,
bounds, lengths, pattern and item counts validated, with its error wording
(``spec.replicas: Invalid value: 20: spec.replicas in body should be less than
or equal to 10``). CEL rules (``x-kubernetes-validations``) and ``format`` are
not checked."""
from __future__ import annotations

import json
import math
import re
from typing import Any

Cause = tuple[str, str, str]
_SKIPPED = {"apiVersion", "kind", "metadata"}


def default(schema: Any, obj: dict[str, Any]) -> None:
    """Fill in the schema's ``default`` values (in place), outside metadata."""
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties") or {}
    for key, sub in properties.items():
        if key in _SKIPPED or not isinstance(sub, dict):
            continue
        _default(sub, obj, key)


def _default(schema: dict[str, Any], parent: dict[str, Any], key: str) -> None:
    if key not in parent and "default" in schema:
        parent[key] = json.loads(json.dumps(schema["default"]))
    value = parent.get(key)
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict):
                _default(sub, value, name)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        for item in value:
            if isinstance(item, dict):
                for name, sub in (items.get("properties") or {}).items():
                    if isinstance(sub, dict):
                        _default(sub, item, name)


def validate(schema: Any, obj: dict[str, Any]) -> list[Cause]:
    """The causes of a 422, or none. ``metadata``, ``apiVersion`` and ``kind`` are
    the generic handler's business, as in kube-apiserver."""
    if not isinstance(schema, dict):
        return []
    causes: list[Cause] = []
    properties = schema.get("properties") or {}
    for key in schema.get("required") or []:
        if key not in _SKIPPED and key not in obj:
            causes.append((key, "Required value", "FieldValueRequired"))
    for key, value in obj.items():
        if key in _SKIPPED:
            continue
        sub = properties.get(key)
        if isinstance(sub, dict):
            _check(sub, value, key, causes)
    return causes


def _go(value: Any) -> str:
    """A value as Go's ``%#v`` prints it in field errors: strings quoted, numbers bare."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return '"null"'
    return json.dumps(value, separators=(",", ":"))


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(want: str, value: Any) -> bool:
    got = _type_of(value)
    return got == want or (want == "number" and got == "integer")


def _invalid(path: str, value: Any, message: str) -> Cause:
    return path, f"Invalid value: {_go(value)}: {path} in body {message}", "FieldValueInvalid"


def _check(schema: dict[str, Any], value: Any, path: str, causes: list[Cause]) -> None:
    if schema.get("x-kubernetes-int-or-string") and (isinstance(value, str) or _type_of(value) == "integer"):
        return
    want = schema.get("type")
    if value is None:
        if not schema.get("nullable") and want:
            causes.append(_invalid(path, "null", f'must be of type {want}: "null"'))
        return
    if want and not _type_ok(want, value):
        got = _type_of(value)
        causes.append(_invalid(path, got, f'must be of type {want}: "{got}"'))
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        supported = ", ".join(_go(e) for e in enum)
        causes.append((path, f"Unsupported value: {_go(value)}: supported values: {supported}",
                       "FieldValueNotSupported"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, path, causes)
    elif isinstance(value, str):
        _check_string(schema, value, path, causes)
    elif isinstance(value, list):
        _check_array(schema, value, path, causes)
    elif isinstance(value, dict):
        _check_object(schema, value, path, causes)


def _check_number(schema: dict[str, Any], value: float, path: str, causes: list[Cause]) -> None:
    maximum, minimum = schema.get("maximum"), schema.get("minimum")
    if isinstance(maximum, (int, float)):
        if schema.get("exclusiveMaximum") and value >= maximum:
            causes.append(_invalid(path, value, f"should be less than {_go(maximum)}"))
        elif value > maximum:
            causes.append(_invalid(path, value, f"should be less than or equal to {_go(maximum)}"))
    if isinstance(minimum, (int, float)):
        if schema.get("exclusiveMinimum") and value <= minimum:
            causes.append(_invalid(path, value, f"should be greater than {_go(minimum)}"))
        elif value < minimum:
            causes.append(_invalid(path, value, f"should be greater than or equal to {_go(minimum)}"))
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple > 0 and not math.isclose(value / multiple,
                                                                                 round(value / multiple)):
        causes.append(_invalid(path, value, f"should be a multiple of {_go(multiple)}"))


def _check_string(schema: dict[str, Any], value: str, path: str, causes: list[Cause]) -> None:
    max_length, min_length = schema.get("maxLength"), schema.get("minLength")
    if isinstance(max_length, int) and len(value) > max_length:
        unit = "byte" if max_length == 1 else "bytes"
        causes.append((path, f"Too long: may not be more than {max_length} {unit}", "FieldValueTooLong"))
    if isinstance(min_length, int) and len(value) < min_length:
        causes.append(_invalid(path, value, f"should be at least {min_length} chars long"))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a pattern Python cannot read is not the object's fault
        if not matched:
            causes.append(_invalid(path, value, f"should match '{pattern}'"))


def _check_array(schema: dict[str, Any], value: list[Any], path: str, causes: list[Cause]) -> None:
    max_items, min_items = schema.get("maxItems"), schema.get("minItems")
    if isinstance(max_items, int) and len(value) > max_items:
        causes.append((path, f"Too many: {len(value)}: must have at most {max_items} items", "FieldValueTooMany"))
    if isinstance(min_items, int) and len(value) < min_items:
        causes.append(_invalid(path, len(value), f"should have at least {min_items} items"))
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            _check(items, item, f"{path}[{index}]", causes)


def _check_object(schema: dict[str, Any], value: dict[str, Any], path: str, causes: list[Cause]) -> None:
    for key in schema.get("required") or []:
        if key not in value:
            causes.append((f"{path}.{key}", "Required value", "FieldValueRequired"))
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        sub = properties.get(key)
        if isinstance(sub, dict):
            _check(sub, item, f"{path}.{key}", causes)
        elif isinstance(extra, dict):
            _check(extra, item, f"{path}.{key}", causes)
