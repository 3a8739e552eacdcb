"""Label and field selectors, parsed and matched as apimachinery does.

* ``parse_label_selector("app=web,tier in (fe,be),!canary")`` - the string syntax of
  ``?labelSelector=`` and ``kubectl -l`` (apimachinery ``labels.Parse``);
* ``label_selector_from_object({...})`` - a ``metav1.LabelSelector`` (``matchLabels`` +
  ``matchExpressions``) as found in Deployment/ReplicaSet/Job specs
  (``metav1.LabelSelectorAsSelector``). An empty object selects everything; ``None``
  selects nothing;
* ``parse_field_selector("metadata.name=web,spec.nodeName!=")`` - ``?fieldSelector=``
  (apimachinery ``fields.ParseSelector``). Which field labels a kind supports is the
  caller's business: ``check_field_labels`` raises the apiserver's error for the rest.

Error texts match apimachinery's, since kubectl prints them to the user verbatim.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cluster.api.validation import (
    aggregate,
    field_invalid,
    field_not_supported,
    is_qualified_name,
    is_valid_label_value,
    render_value,
)


class SelectorError(ValueError):
    """A selector that cannot be parsed or built; ``str()`` is the Kubernetes message."""


# selection.Operator values
IN = "in"
NOT_IN = "notin"
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_VALID_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN)


@dataclass(frozen=True)
class Requirement:
    """One ``key <operator> values`` term; values are kept sorted, as a set."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in (GREATER_THAN, LESS_THAN):
            # A label that is not an integer never satisfies gt/lt.
            if not present:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if self.operator == GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return "!" + self.key
        joined = ",".join(self.values)
        if self.operator in (IN, NOT_IN):
            return f"{self.key} {self.operator} ({joined})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{joined}"


def _quote_list(values: Iterable[str]) -> str:
    return render_value(list(values))


def new_requirement(key: str, operator: str, values: Iterable[str] = (), *, path: str = "") -> Requirement:
    """labels.NewRequirement: check the key, the operator's arity and every value."""
    vals = sorted(set(values))
    causes = []
    child = (lambda name: f"{path}.{name}") if path else (lambda name: name)
    for msg in is_qualified_name(key):
        causes.append(field_invalid(child("key"), key, msg))
    values_path = child("values")
    if operator in (IN, NOT_IN):
        if not vals:
            causes.append(field_invalid(values_path, vals, "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            causes.append(field_invalid(values_path, vals, "exact-match compatibility requires one single value"))
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            causes.append(field_invalid(values_path, vals, "values set must be empty for exists and does not exist"))
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            causes.append(field_invalid(values_path, vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, value in enumerate(vals):
            try:
                int(value)
            except ValueError:
                causes.append(field_invalid(f"{values_path}[{i}]", value, "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        causes.append(field_not_supported(child("operator"), operator, _VALID_OPERATORS))
    for i, value in enumerate(vals):
        for msg in is_valid_label_value(value):
            causes.append(field_invalid(f"{values_path}[{i}][{key}]", value, msg))
    if causes:
        raise SelectorError(aggregate(causes))
    return Requirement(key, operator, tuple(vals))


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of requirements. No requirements selects everything; ``nothing``
    (from a null ``metav1.LabelSelector``) selects no object at all."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True when the selector selects everything (labels.Selector.Empty)."""
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def everything() -> LabelSelector:
    return LabelSelector()


def nothing() -> LabelSelector:
    return LabelSelector(nothing=True)


def _sorted(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(sorted(requirements, key=lambda r: r.key))


# --- the label selector string syntax ---------------------------------------------------

_IDENT, _EOS, _ERROR = "identifier", "end", "error"
_SYMBOLS = ("!=", "==", "!", "(", ")", ",", "=", ">", "<")
_SPECIAL = set("=!(),><")
_WHITESPACE = set(" \t\r\n")


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal). Symbols are their own kind; "in"/"notin" are keywords."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append((_EOS, ""))
            return tokens
        if text[i] in _SPECIAL:
            # Longest symbol wins: "!=" before "!", "==" before "=".
            symbol = next(s for s in _SYMBOLS if text.startswith(s, i))
            tokens.append((symbol, symbol))
            i += len(symbol)
            continue
        start = i
        while i < n and text[i] not in _WHITESPACE and text[i] not in _SPECIAL:
            i += 1
        word = text[start:i]
        tokens.append((word if word in (IN, NOT_IN) else _IDENT, word))


class _Parser:
    def __init__(self, text: str):
        self.tokens = _lex(text)
        self.pos = 0

    def _peek(self, values: bool = True) -> tuple[str, str]:
        kind, lit = self.tokens[self.pos]
        # In a value position the keywords are plain identifiers ("a in (in,notin)").
        return (_IDENT, lit) if values and kind in (IN, NOT_IN) else (kind, lit)

    def _next(self, values: bool = True) -> tuple[str, str]:
        token = self._peek(values)
        self.pos += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            kind, lit = self._peek()
            if kind == _EOS:
                return requirements
            if kind not in (_IDENT, "!"):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except SelectorError as err:
                raise SelectorError(f"unable to parse requirement: {err}") from None
            kind, lit = self._next()
            if kind == _EOS:
                return requirements
            if kind != ",":
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self._peek()
            if kind not in (_IDENT, "!"):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        operator = ""
        kind, key = self._next()
        if kind == "!":
            operator = DOES_NOT_EXIST
            kind, key = self._next()
        if kind != _IDENT:
            raise SelectorError(f"found '{key}', expected: identifier")
        problems = is_qualified_name(key)
        if problems:
            # apimachinery validates the key against a nil field path here, hence "<nil>".
            raise SelectorError(f"<nil>: Invalid value: {render_value(key)}: {'; '.join(problems)}")
        if operator == DOES_NOT_EXIST or self._peek()[0] in (_EOS, ","):
            return new_requirement(key, operator or EXISTS)
        operator = self._operator()
        if operator in (IN, NOT_IN):
            values = self._value_set()
        else:
            values = self._exact_value()
        return new_requirement(key, operator, values)

    def _operator(self) -> str:
        kind, lit = self._next(values=False)
        operators = {IN: IN, NOT_IN: NOT_IN, "=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS,
                     ">": GREATER_THAN, "<": LESS_THAN}
        if kind not in operators:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return operators[kind]

    def _value_set(self) -> list[str]:
        kind, lit = self._next()
        if kind != "(":
            raise SelectorError(f"found '{lit}', expected: '('")
        kind, lit = self._peek()
        if kind == ")":  # "()" is the set holding the empty string
            self._next()
            return [""]
        if kind not in (_IDENT, ","):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values: list[str] = []
        while True:
            kind, lit = self._next()
            if kind == _IDENT:
                values.append(lit)
                after, after_lit = self._peek()
                if after == ")":
                    break
                if after != ",":
                    raise SelectorError(f"found '{after_lit}', expected: ',' or ')'")
            elif kind == ",":
                # Empty slots between commas ("(a,,b)", "(,a)", "(a,)") are the empty string.
                if not values:
                    values.append("")
                after, _ = self._peek()
                if after == ")":
                    values.append("")
                    break
                if after == ",":
                    values.append("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")
        self._next()  # the ")"
        return values

    def _exact_value(self) -> list[str]:
        kind, _ = self._peek()
        if kind in (_EOS, ","):
            return [""]  # "app=" selects an empty value
        kind, lit = self._next()
        if kind != _IDENT:
            raise SelectorError(f"found '{lit}', expected: identifier")
        return [lit]


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse ``labelSelector`` syntax; "" (or None) selects everything."""
    if not text:
        return everything()
    return LabelSelector(_sorted(_Parser(text).parse()))


def label_selector_from_object(selector: Mapping[str, Any] | None) -> LabelSelector:
    """metav1.LabelSelector -> LabelSelector. ``None`` selects nothing; ``{}`` everything."""
    if selector is None:
        return nothing()
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return everything()
    requirements = [new_requirement(k, EQUALS, [v]) for k, v in match_labels.items()]
    operators = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}
    for expression in expressions:
        op = expression.get("operator")
        if op not in operators:
            raise SelectorError(f"{render_value(op)} is not a valid label selector operator")
        requirements.append(new_requirement(expression.get("key", ""), operators[op], expression.get("values") or []))
    return LabelSelector(_sorted(requirements))


def selector_from_match_labels(labels: Mapping[str, str] | None) -> LabelSelector:
    """A Service's ``spec.selector`` (a plain map): an empty or missing map selects nothing.

    Kubernetes treats a Service with no selector as "endpoints managed elsewhere", so it
    must never select every pod (labels.SelectorFromValidatedSet on an empty set is
    only used after that check).
    """
    if not labels:
        return nothing()
    return LabelSelector(_sorted(Requirement(k, EQUALS, (v,)) for k, v in labels.items()))


# --- field selectors --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=", "==" or "!="
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        # A field the object lacks reads as "", so "spec.nodeName=" selects unscheduled pods.
        have = fields.get(self.field, "")
        return have != self.value if self.operator == NOT_EQUALS else have == self.value

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_field_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = field(default_factory=tuple)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def exact_match(self, field_name: str) -> str | None:
        """The value ``field_name`` must equal, if the selector pins it (RequiresExactMatch)."""
        for r in self.requirements:
            if r.field == field_name and r.operator in (EQUALS, DOUBLE_EQUALS):
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(value: str) -> str:
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            # Go prints the rune with %v, i.e. as its code point number.
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped with a backslash."""
    terms, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ",":
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return terms


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse ``fieldSelector`` syntax (``a=b``, ``a==b``, ``a!=b``, comma-joined)."""
    if not text:
        return FieldSelector()
    requirements = []
    for term in sorted(_split_terms(text)):
        if not term:
            continue
        # The leftmost operator wins, trying "!=" then "==" then "=" at each position.
        for i in range(len(term)):
            op = next((o for o in (NOT_EQUALS, DOUBLE_EQUALS, EQUALS) if term.startswith(o, i)), None)
            if op:
                lhs, rhs = term[:i], term[i + len(op):]
                requirements.append(FieldRequirement(lhs, op, _unescape_field_value(rhs)))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
    return FieldSelector(tuple(requirements))


def check_field_labels(selector: FieldSelector, supported: Iterable[str]) -> None:
    """Raise the apiserver's ``field label not supported: <label>`` for unknown fields."""
    allowed = set(supported)
    for requirement in selector.requirements:
        if requirement.field not in allowed:
            raise SelectorError(f"field label not supported: {requirement.field}")


# Field labels every kind supports (DefaultMetaV1FieldSelectorConversion), plus the common
# per-kind extras, for the caller's convenience.
DEFAULT_FIELD_LABELS = frozenset({"metadata.name", "metadata.namespace"})
POD_FIELD_LABELS = DEFAULT_FIELD_LABELS | {
    "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
    "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
}
EVENT_FIELD_LABELS = DEFAULT_FIELD_LABELS | {
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type",
}
NODE_FIELD_LABELS = DEFAULT_FIELD_LABELS | {"spec.unschedulable"}
NAMESPACE_FIELD_LABELS = DEFAULT_FIELD_LABELS | {"status.phase"}
SECRET_FIELD_LABELS = DEFAULT_FIELD_LABELS | {"type"}


def pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    """The selectable fields of a Pod, as the pod registry's GetAttrs exposes them."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    return {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "spec.nodeName": spec.get("nodeName", "") or "",
        "spec.restartPolicy": spec.get("restartPolicy", "") or "",
        "spec.schedulerName": spec.get("schedulerName", "") or "",
        "spec.serviceAccountName": spec.get("serviceAccountName", "") or "",
        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
        "status.phase": status.get("phase", "") or "",
        "status.podIP": status.get("podIP", "") or "",
        "status.nominatedNodeName": status.get("nominatedNodeName", "") or "",
    }


def object_meta_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    return {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}
