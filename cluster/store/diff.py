"""Field-level diff of two JSON documents, for the change-data-capture rows.

The result reads like an RFC 6902 JSON Patch that also remembers the old value:
``[{"op": "replace", "path": "/spec/replicas", "old": 3, "value": 5}]``.
Lists are compared whole (a changed list is one ``replace``) — a learner sees
"containers changed", and the row stays small.
"""
from __future__ import annotations

import json
from typing import Any

Change = dict[str, Any]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def json_diff(old: Any, new: Any, path: str = "") -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for name in sorted(old.keys() | new.keys()):
            child = f"{path}/{_escape(name)}"
            if name not in new:
                changes.append({"op": "remove", "path": child, "old": old[name]})
            elif name not in old:
                changes.append({"op": "add", "path": child, "value": new[name]})
            else:
                changes.extend(json_diff(old[name], new[name], child))
        return changes
    if old == new and type(old) is type(new):
        return []
    return [{"op": "replace", "path": path or "/", "old": old, "value": new}]


def value_diff(old: bytes | None, new: bytes) -> list[Change] | None:
    """The diff between two stored values, or None when either is not a JSON object."""
    if old is None:
        return None
    try:
        before, after = json.loads(old), json.loads(new)
    except (ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return None
    return json_diff(before, after)
