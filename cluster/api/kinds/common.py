"""Validation every kind shares: the object's name, labels and annotations."""
from __future__ import annotations

import json
from typing import Any

from ..strategy import Cause, Strategy

Obj = dict[str, Any]


def tuples(causes: Any) -> list[Cause]:
    return [(c.field, c.message, c.reason) for c in causes]


def validate_meta(obj: Obj, name_rule: str = "subdomain") -> list[Cause]:
    from cluster.api import validation

    metadata = obj.get("metadata") or {}
    causes: list[Cause] = []
    name = metadata.get("name", "")
    if name_rule == "label":
        causes += tuples(validation.dns1123_label(name, "metadata.name"))
    elif name_rule == "subdomain":
        causes += tuples(validation.dns1123_subdomain(name, "metadata.name"))
    elif name in (".", "..") or "/" in name or "%" in name:
        causes.append(("metadata.name", f"Invalid value: {json.dumps(name)}: may not contain '/' or '%' "
                       "and may not be '.' or '..'", "FieldValueInvalid"))
    causes += tuples(validation.labels(metadata.get("labels") or {}, "metadata.labels"))
    annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, dict):
        causes.append(("metadata.annotations", "Invalid value: must be a map", "FieldValueInvalid"))
    return causes


class MetaStrategy(Strategy):
    """A kind whose only rules are the common ones (ConfigMap, Secret, …)."""

    name_rule = "subdomain"

    def validate(self, obj: Obj) -> list[Cause]:
        return validate_meta(obj, self.name_rule)


def selector_matches_template(obj: Obj, kind: str) -> list[Cause]:
    """``spec.selector`` must select ``spec.template.metadata.labels``."""
    from cluster.api.selectors import SelectorError, label_selector_from_object

    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return [("spec.selector", "Required value", "FieldValueRequired")]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    try:
        matched = label_selector_from_object(selector).matches(labels)
    except SelectorError as error:
        return [("spec.selector", f"Invalid value: {error}", "FieldValueInvalid")]
    if not matched:
        return [("spec.template.metadata.labels", f"Invalid value: {_labels(labels)}: "
                 "`selector` does not match template `labels`", "FieldValueInvalid")]
    return []


def _labels(labels: dict[str, str]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def non_negative(value: Any, field: str) -> list[Cause]:
    if value is None:
        return []
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return [(field, f"Invalid value: {value}: must be greater than or equal to 0", "FieldValueInvalid")]
    return []
