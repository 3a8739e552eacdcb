"""Label selectors (metav1.LabelSelector) compiled once into fast predicates."""
from __future__ import annotations

from typing import Callable, Mapping

LabelPredicate = Callable[[Mapping[str, str]], bool]


def _requirement(expr: Mapping) -> LabelPredicate:
    key = expr["key"]
    op = expr.get("operator", "In")
    values = frozenset(expr.get("values") or ())
    if op == "In":
        return lambda labels: labels.get(key) in values
    if op == "NotIn":
        return lambda labels: labels.get(key) not in values
    if op == "Exists":
        return lambda labels: key in labels
    if op == "DoesNotExist":
        return lambda labels: key not in labels
    raise ValueError(f"unknown label selector operator {op!r}")


def compile_selector(selector: Mapping | None, *, empty_matches: bool = True) -> LabelPredicate:
    """A predicate for ``{"matchLabels": …, "matchExpressions": […]}``.

    An empty selector matches everything for workloads (``empty_matches=True``)
    but nothing for a Service (whose "no selector" means "endpoints managed by hand").
    """
    if not selector:
        return (lambda labels: True) if empty_matches else (lambda labels: False)
    match_labels = tuple((selector.get("matchLabels") or {}).items())
    exprs = tuple(_requirement(e) for e in selector.get("matchExpressions") or ())
    if not match_labels and not exprs:
        return (lambda labels: True) if empty_matches else (lambda labels: False)

    def matches(labels: Mapping[str, str]) -> bool:
        for k, v in match_labels:
            if labels.get(k) != v:
                return False
        for e in exprs:
            if not e(labels):
                return False
        return True

    return matches


def selector_matches(selector: Mapping | None, labels: Mapping[str, str] | None) -> bool:
    return compile_selector(selector)(labels or {})


def map_selector(selector: Mapping[str, str] | None) -> LabelPredicate:
    """A Service's / ReplicationController's plain ``key: value`` selector; empty matches nothing."""
    items = tuple((selector or {}).items())
    if not items:
        return lambda labels: False
    return lambda labels: all(labels.get(k) == v for k, v in items)
