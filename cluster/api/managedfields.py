"""Field ownership (``metadata.managedFields``) and server-side apply conflicts.

A field set is a set of paths; a path is a tuple of FieldsV1 steps: ``f:name``
(a map key), ``k:{"name":"app"}`` (an item of a list merged by key, such as
containers), ``v:"x"`` (a member of a set-like list of scalars). A leaf is a
scalar, an empty map or an atomic list. Each write records, per manager and
operation (Apply or Update), the fields it set; an apply that would change a
field another manager owns is a conflict unless forced — as kube-apiserver's
structured-merge-diff does, simplified to strategic-merge semantics.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from . import errors, schema
from .objects import Obj, timestamp
from .registry import ResourceType

Path = tuple[str, ...]
_SYSTEM_METADATA = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation",
                    "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}


def _field_type(type_ref: Any, key: str) -> Any:
    if isinstance(type_ref, dict) and "ref" in type_ref:
        for field in schema.fields(type_ref["ref"]):
            if field["name"] == key:
                return field
    return None


def as_stored(obj: Obj, rt: ResourceType) -> Obj:
    """``obj`` as it will be stored: a Secret's write-only ``stringData`` folded into
    ``data``, as kube-apiserver converts it before its field manager looks — so the
    writer owns ``data.<key>`` and a later apply of the same stringData is no conflict."""
    string_data = obj.get("stringData")
    if rt.kind != "Secret" or rt.group or not isinstance(string_data, dict):
        return obj
    data = dict(obj.get("data") or {}) if isinstance(obj.get("data"), dict) else {}
    data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()})
    return {**{k: v for k, v in obj.items() if k != "stringData"}, "data": data}


def field_set(obj: Obj, rt: ResourceType, with_status: bool = False) -> set[Path]:
    """Every leaf path of ``obj`` a manager can own (identity and system fields excluded).
    Nesting deeper than ``MAX_DEPTH`` is owned as one atomic value."""
    obj = as_stored(obj, rt)
    root = schema.root_for(rt.group, rt.version, rt.kind)
    paths: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and not with_status):
            continue
        field = _field_type({"ref": root} if root else None, key)
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _SYSTEM_METADATA}
            if not value:
                continue
        _walk(value, field["type"] if field else None, (f"f:{key}",), paths)
    return paths


MAX_DEPTH = 64


def _walk(value: Any, type_ref: Any, path: Path, paths: set[Path], merge_key: str = "") -> None:
    if len(path) > MAX_DEPTH:
        paths.add(path)
    elif isinstance(value, dict) and value:
        for key, item in value.items():
            if isinstance(type_ref, dict) and "map" in type_ref:
                inner: Any = type_ref["map"]
            else:
                field = _field_type(type_ref, key)
                inner = field["type"] if field else None
                merge_key_inner = field.get("patchMergeKey", "") if field else ""
                if field and not merge_key_inner and field.get("patchStrategy", "").startswith("merge"):
                    merge_key_inner = "$set"  # a list of scalars merged as a set (finalizers)
                if isinstance(item, list):
                    _walk(item, inner, (*path, f"f:{key}"), paths, merge_key_inner)
                    continue
            _walk(item, inner, (*path, f"f:{key}"), paths)
    elif isinstance(value, list) and value:
        inner = type_ref.get("list") if isinstance(type_ref, dict) else None
        if merge_key and all(isinstance(i, dict) and merge_key in i for i in value):
            for item in value:
                step = "k:" + json.dumps({merge_key: item[merge_key]}, separators=(",", ":"))
                paths.add((*path, step))
                _walk({k: v for k, v in item.items()}, inner, (*path, step), paths)
        elif merge_key == "$set" and all(not isinstance(i, (dict, list)) for i in value):
            for item in value:
                paths.add((*path, "v:" + json.dumps(item)))
        else:
            paths.add(path)  # an atomic list
    else:
        paths.add(path)


def to_fields_v1(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for step in path:
            node = node.setdefault(step, {})
        if path and path[-1].startswith("k:"):
            node.setdefault(".", {})
    return tree


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    if not isinstance(tree, dict):
        return paths
    for step, child in tree.items():
        if step == ".":
            paths.add(prefix)
        elif isinstance(child, dict) and child and len(prefix) < MAX_DEPTH:
            paths |= from_fields_v1(child, (*prefix, step))
        else:
            paths.add((*prefix, step))
    return paths


def value_at(obj: Any, path: Path) -> Any:
    """The value a path addresses, or ``_MISSING``."""
    for step in path:
        kind, _, arg = step.partition(":")
        if kind == "f" and isinstance(obj, dict) and arg in obj:
            obj = obj[arg]
        elif kind == "k" and isinstance(obj, list):
            keys = json.loads(arg)
            obj = next((i for i in obj if isinstance(i, dict) and all(i.get(k) == v for k, v in keys.items())),
                       _MISSING)
        elif kind == "v" and isinstance(obj, list):
            wanted = json.loads(arg)
            obj = wanted if wanted in obj else _MISSING
        else:
            return _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


_MISSING = object()


def readable(path: Path) -> str:
    """``.spec.template.spec.containers[name="app"].image``, as conflicts name fields."""
    text = ""
    for step in path:
        kind, _, arg = step.partition(":")
        if kind == "f":
            text += f".{arg}"
        elif kind == "k":
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(arg).items()) + "]"
        else:
            text += f"[={arg}]"
    return text


def _entries(obj: Obj) -> list[Obj]:
    entries = (obj.get("metadata") or {}).get("managedFields")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _set_entries(obj: Obj, entries: list[Obj]) -> None:
    metadata = obj.setdefault("metadata", {})
    kept = [e for e in entries if from_fields_v1(e.get("fieldsV1"))]
    if kept:
        metadata["managedFields"] = kept
    else:
        metadata.pop("managedFields", None)


def _entry(manager: str, operation: str, rt: ResourceType, paths: set[Path], now: float,
           subresource: str) -> Obj:
    entry = {"manager": manager, "operation": operation, "apiVersion": rt.api_version, "time": timestamp(now),
             "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _changed(old: Obj, new: Obj, rt: ResourceType, with_status: bool) -> set[Path]:
    new_paths = field_set(new, rt, with_status)
    old, new = as_stored(old, rt), as_stored(new, rt)
    return {p for p in new_paths if value_at(old, p) != value_at(new, p)}


def record_update(old: Obj | None, new: Obj, rt: ResourceType, manager: str, now: float,
                  subresource: str = "") -> None:
    """An Update by ``manager``: it now owns the fields it changed; others lose them."""
    with_status = subresource == "status"
    changed = field_set(new, rt, with_status) if old is None else _changed(old, new, rt, with_status)
    entries = _entries(old) if old is not None else []
    stored = as_stored(new, rt)
    if not changed:
        _set_entries(new, entries)
        return
    result = []
    mine: set[Path] = set(changed)
    for entry in entries:
        owned = from_fields_v1(entry.get("fieldsV1"))
        if entry.get("manager") == manager and entry.get("operation") == "Update" \
                and entry.get("subresource", "") == subresource:
            mine |= {p for p in owned if value_at(stored, p) is not _MISSING}
            continue
        result.append({**entry, "fieldsV1": to_fields_v1({p for p in owned if p not in changed})})
    result.append(_entry(manager, "Update", rt, mine, now, subresource))
    _set_entries(new, result)


def apply(live: Obj, applied: Obj, rt: ResourceType, manager: str, force: bool, now: float,
          merge: Any) -> Obj:
    """Server-side apply of ``applied`` by ``manager`` onto ``live``: conflicts
    (409, FieldManagerConflict causes) unless ``force``; fields this manager
    applied before and no longer applies, owned by nobody else, are removed."""
    applied_paths = field_set(applied, rt)
    stored = as_stored(applied, rt)
    entries = _entries(live)
    conflicts: list[tuple[str, Path]] = []
    for entry in entries:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            continue
        for path in from_fields_v1(entry.get("fieldsV1")) & applied_paths:
            # An item of a keyed or set-like list (``k:``/``v:``) is owned, not compared:
            # its presence is the whole claim, and the live item carries defaults the
            # applied one leaves out. Only leaves set to a different value conflict.
            if path[-1][:2] in ("k:", "v:"):
                continue
            if value_at(live, path) != value_at(stored, path):
                conflicts.append((str(entry.get("manager", "")), path))
    if conflicts and not force:
        raise _conflict(conflicts, rt)
    previous: set[Path] = set()
    others: set[Path] = set()
    result: list[Obj] = []
    taken = {path for _, path in conflicts}
    for entry in entries:
        owned = from_fields_v1(entry.get("fieldsV1"))
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            previous = owned
            continue
        owned -= taken
        others |= owned
        result.append({**entry, "fieldsV1": to_fields_v1(owned)})
    merged = merge(live, applied)
    for path in sorted(previous - applied_paths - others, key=len, reverse=True):
        _remove(merged, path)
    result.append(_entry(manager, "Apply", rt, applied_paths, now, ""))
    _set_entries(merged, result)
    return merged


def _remove(obj: Any, path: Path) -> None:
    parent = value_at(obj, path[:-1])
    kind, _, arg = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(arg, None)
    elif kind == "k" and isinstance(parent, list):
        keys = json.loads(arg)
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in keys.items()))]
    elif kind == "v" and isinstance(parent, list):
        wanted = json.loads(arg)
        parent[:] = [i for i in parent if i != wanted]


def _conflict(conflicts: list[tuple[str, Path]], rt: ResourceType) -> errors.Conflict:
    lines = [f'conflict with "{manager}" using {rt.api_version}: {readable(path)}' for manager, path in conflicts]
    count = len(conflicts)
    head = f"Apply failed with {count} conflict{'s' if count > 1 else ''}: "
    message = head + (lines[0] if count == 1 else "\n".join(lines))
    return errors.Conflict(message, details={"causes": [
        {"reason": "FieldManagerConflict", "message": f'conflict with "{manager}" using {rt.api_version}',
         "field": readable(path)} for manager, path in conflicts]})
