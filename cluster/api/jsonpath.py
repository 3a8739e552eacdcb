"""The subset of Kubernetes JSONPath that CRD ``additionalPrinterColumns`` use:
``.spec.replicas``, ``.status.conditions[0].type``, ``.items[*].name``,
``.status.conditions[?(@.type=="Ready")].status``, ``.metadata.labels['app']``.
"""
from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""
    \.(?P<field>[A-Za-z0-9_\-$]+)                          # .field
  | \[(?P<index>-?\d+)\]                                   # [0]
  | \[(?P<star>\*)\]                                       # [*]
  | \[['"](?P<key>[^'"]+)['"]\]                            # ['key']
  | \[\?\(@(?P<fpath>(?:\.[A-Za-z0-9_\-]+)+)\s*(?P<op>==|!=)\s*['"]?(?P<fvalue>[^'")]*)['"]?\)\]  # filter
""", re.VERBOSE)


class JsonPathError(ValueError):
    pass


def parse(path: str) -> list[tuple[str, Any]]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text.startswith("$"):
        text = text[1:]
    steps: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise JsonPathError(f"unrecognized character in action: {text[position:]!r}")
        if match.group("field") is not None:
            steps.append(("field", match.group("field")))
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        elif match.group("star"):
            steps.append(("star", None))
        elif match.group("key") is not None:
            steps.append(("field", match.group("key")))
        else:
            steps.append(("filter", (match.group("fpath").strip(".").split("."), match.group("op"),
                                     match.group("fvalue"))))
        position = match.end()
    return steps


def evaluate(obj: Any, path: str) -> list[Any]:
    """Every value ``path`` selects in ``obj``, in order."""
    current = [obj]
    for kind, arg in parse(path):
        following: list[Any] = []
        for value in current:
            if kind == "field" and isinstance(value, dict) and arg in value:
                following.append(value[arg])
            elif kind == "index" and isinstance(value, list) and -len(value) <= arg < len(value):
                following.append(value[arg])
            elif kind == "star":
                following.extend(value if isinstance(value, list) else
                                 value.values() if isinstance(value, dict) else [])
            elif kind == "filter" and isinstance(value, list):
                fields, op, expected = arg
                for item in value:
                    found: Any = item
                    for part in fields:
                        found = found.get(part) if isinstance(found, dict) else None
                    text = str(found).lower() if isinstance(found, bool) else str(found)
                    if (found is not None and text == expected) == (op == "=="):
                        following.append(item)
        current = following
    return current
