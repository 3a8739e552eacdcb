"""The form's common fields, read from and written into a Kubernetes object,
and the API server's 422 causes mapped back onto them."""
from __future__ import annotations

import re
from typing import Any

from django import forms

Obj = dict[str, Any]
_PAIR = re.compile(r"^\s*([^=,\s]+)\s*=\s*([^=,]*?)\s*$")


def _pairs_text(values: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((values or {}).items()))


def parse_pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _PAIR.match(part)
        if not match:
            raise forms.ValidationError(f'"{part}" is not key=value')
        pairs[match.group(1)] = match.group(2)
    return pairs


class PairsField(forms.CharField):
    def to_python(self, value: Any) -> dict[str, str]:  # type: ignore[override]
        return parse_pairs(super().to_python(value) or "")

    def prepare_value(self, value: Any) -> Any:
        return _pairs_text(value) if isinstance(value, dict) else value


def _containers(obj: Obj) -> list[Obj]:
    spec = obj.get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    return template.get("containers") or spec.get("containers") or []


def _requests(obj: Obj) -> Obj:
    containers = _containers(obj)
    return ((containers[0].get("resources") or {}).get("requests") or {}) if containers else {}


def read(obj: Obj, name: str) -> Any:
    spec = obj.get("spec") or {}
    if name == "replicas":
        return spec.get("replicas", 1)
    if name in ("workers", "epochs"):  # a TrainingJob's
        return spec.get(name, "")
    if name == "image":
        containers = _containers(obj)
        return containers[0].get("image", "") if containers else spec.get("image", "")
    if name == "labels":
        return (obj.get("metadata") or {}).get("labels") or {}
    if name == "selector":
        selector = spec.get("selector") or {}
        return selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    if name in ("cpu", "memory"):
        if not _containers(obj) and isinstance(spec.get("resources"), dict):  # a TrainingJob's, per worker
            return spec["resources"].get(name, "")
        return _requests(obj).get(name, "")
    raise KeyError(name)


def write(obj: Obj, name: str, value: Any) -> None:
    spec = obj.setdefault("spec", {})
    if name == "replicas":
        spec["replicas"] = value
    elif name in ("workers", "epochs"):
        if value is None:
            spec.pop(name, None)
        else:
            spec[name] = value
    elif name == "image":
        containers = _containers(obj)
        if containers:
            containers[0]["image"] = value
        else:
            spec["image"] = value
    elif name == "labels":
        obj.setdefault("metadata", {})["labels"] = value
    elif name == "selector":
        if "matchLabels" in (spec.get("selector") or {}) or "template" in spec:
            spec.setdefault("selector", {})["matchLabels"] = value
        else:
            spec["selector"] = value  # a Service's selector is a plain map
    elif name in ("cpu", "memory"):
        containers = _containers(obj)
        if not containers and "template" not in spec:  # a TrainingJob: spec.resources, per worker
            resources = spec.setdefault("resources", {})
            if value:
                resources[name] = value
            else:
                resources.pop(name, None)
        elif containers:
            requests = containers[0].setdefault("resources", {}).setdefault("requests", {})
            if value:
                requests[name] = value
            else:
                requests.pop(name, None)


# the API server's field paths → the form field that shows the message
_CAUSES = [
    (re.compile(r"^spec\.replicas"), "replicas"),
    (re.compile(r"^spec\.workers"), "workers"),
    (re.compile(r"^spec\.epochs"), "epochs"),
    (re.compile(r"^spec\.resources\.cpu"), "cpu"),
    (re.compile(r"^spec\.resources\.memory"), "memory"),
    (re.compile(r"containers\[\d+\]\.image"), "image"),
    (re.compile(r"^spec\.image"), "image"),
    (re.compile(r"^metadata\.labels"), "labels"),
    (re.compile(r"^spec\.selector"), "selector"),
    (re.compile(r"resources\.requests\[?\.?cpu"), "cpu"),
    (re.compile(r"resources\.requests\[?\.?memory"), "memory"),
    (re.compile(r"^spec\.template\.metadata\.labels"), "selector"),
]


def field_for(path: str, available: set[str]) -> str:
    """The form field a 422 cause's ``field`` belongs to (``yaml`` for the rest)."""
    for pattern, name in _CAUSES:
        if pattern.search(path or "") and name in available:
            return name
    return "yaml"
