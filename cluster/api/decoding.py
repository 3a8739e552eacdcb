"""What kube-apiserver's JSON decoder refuses: a value of the wrong JSON type for a
field of a built-in kind (``replicas: "two"``, ``containerPort: "80"``,
``containers: {…}``), found by walking the object along the type table and
worded as Go's ``encoding/json`` words it::

    json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32

Types with their own decoders (quantities, times, int-or-string, raw objects) are
left to validation; a float where an integer belongs is let through.
"""
from __future__ import annotations

from typing import Any

from . import schema

_SCALARS = {"string": (str,), "bool": (bool,), "int32": (int, float), "int64": (int, float),
            "uint32": (int, float), "uint64": (int, float), "double": (int, float), "float": (int, float),
            "bytes": (str,)}
_GO_SCALARS = {"double": "float64", "float": "float32", "bytes": "[]uint8"}
MAX_DEPTH = 64


class TypeMismatch(ValueError):
    pass


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def go_type(type_ref: Any) -> str:
    """``int32``, ``[]v1.Container``, ``map[string]string``, ``v1.PodSpec``."""
    if isinstance(type_ref, dict):
        if "ref" in type_ref:
            package, _, name = type_ref["ref"].rpartition(".")
            return f"{package.rpartition('.')[2]}.{name}"
        if "list" in type_ref:
            return "[]" + go_type(type_ref["list"])
        if "map" in type_ref:
            return "map[string]" + go_type(type_ref["map"])
    return _GO_SCALARS.get(str(type_ref), str(type_ref))


def check(obj: dict[str, Any], root: str) -> None:
    """Raise ``TypeMismatch`` with Go's message for the first field of the wrong JSON type."""
    _struct(obj, root, (), 0)


def _struct(value: dict[str, Any], name: str, path: tuple[str, ...], depth: int) -> None:
    struct = name.rpartition(".")[2]
    for field in schema.fields(name):
        key = field["name"]
        if key in value:
            _value(value[key], field["type"], struct, (*path, key), depth + 1)


def _value(value: Any, type_ref: Any, struct: str, path: tuple[str, ...], depth: int) -> None:
    if value is None or depth > MAX_DEPTH:
        return
    if isinstance(type_ref, dict):
        if "ref" in type_ref:
            if type_ref["ref"] not in schema.types():
                return
            if not isinstance(value, dict):
                _mismatch(value, struct, path, type_ref)
            _struct(value, type_ref["ref"], path, depth)
        elif "list" in type_ref:
            if not isinstance(value, list):
                _mismatch(value, struct, path, type_ref)
            for item in value:
                _value(item, type_ref["list"], struct, path, depth + 1)
        elif "map" in type_ref:
            if not isinstance(value, dict):
                _mismatch(value, struct, path, type_ref)
            for item in value.values():
                _value(item, type_ref["map"], struct, path, depth + 1)
        return
    wanted = _SCALARS.get(str(type_ref))
    if wanted is None:
        return  # quantity, time, int-or-string, raw: their own decoders, validation words them
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        _mismatch(value, struct, path, type_ref)


def _mismatch(value: Any, struct: str, path: tuple[str, ...], type_ref: Any) -> None:
    raise TypeMismatch(f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
                       f"{struct}.{'.'.join(path)} of type {go_type(type_ref)}")
