"""cluster.api.selectors: label and field selectors as apimachinery parses and matches them."""
from __future__ import annotations

import pytest

from cluster.api.selectors import (
    POD_FIELD_LABELS,
    SelectorError,
    check_field_labels,
    label_selector_from_object,
    parse_field_selector,
    parse_label_selector,
    pod_fields,
    selector_from_match_labels,
)

WEB = {"app": "web", "tier": "frontend", "version": "3"}
DB = {"app": "db", "tier": "backend"}
BARE: dict[str, str] = {}


@pytest.mark.parametrize(
    "text, web, db, bare",
    [
        ("", True, True, True),
        ("app=web", True, False, False),
        ("app==web", True, False, False),
        ("app!=web", False, True, True),
        ("app in (web,db)", True, True, False),
        ("app notin (web)", False, True, True),
        ("app", True, True, False),
        ("!app", False, False, True),
        ("app,tier=frontend", True, False, False),
        ("app=web,!canary", True, False, False),
        ("version>2", True, False, False),
        ("version<3", False, False, False),
        ("tier in ()", False, False, False),
        ("missing notin ()", True, True, True),
        ("app=", False, False, False),
        ("  app  =  web  ", True, False, False),
        ("a in (x,y,notin, z,in)", False, False, False),
    ],
)
def test_label_selector_matching(text, web, db, bare):
    selector = parse_label_selector(text)
    assert (selector.matches(WEB), selector.matches(DB), selector.matches(BARE)) == (web, db, bare)


def test_empty_value_matches_an_empty_label():
    assert parse_label_selector("app=").matches({"app": ""})
    assert parse_label_selector("x in (a,)").matches({"x": ""})


def test_string_form_is_sorted_and_normalised():
    assert str(parse_label_selector("tier in (b,a),app=web,!canary,z")) == "app=web,!canary,tier in (a,b),z"
    assert str(parse_label_selector("x notin (abc,,def)")) == "x notin (,abc,def)"
    assert str(parse_label_selector("x>2")) == "x>2"
    assert str(parse_label_selector("y==jkl,z!=a")) == "y==jkl,z!=a"


@pytest.mark.parametrize(
    "text, message",
    [
        ("x,,y", "found ',', expected: identifier after ','"),
        (",x", "found ',', expected: !, identifier, or 'end of string'"),
        ("a in (xyz),", "found '', expected: identifier after ','"),
        ("x nott in (y)", "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"),
        ("a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"),
        ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
        ("a in x", "unable to parse requirement: found 'x', expected: '('"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("(", "found '(', expected: !, identifier, or 'end of string'"),
        ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        ("! ", "unable to parse requirement: found '', expected: identifier"),
    ],
)
def test_label_selector_syntax_errors(text, message):
    with pytest.raises(SelectorError) as err:
        parse_label_selector(text)
    assert str(err.value) == message


def test_invalid_key_and_value_messages():
    with pytest.raises(SelectorError) as err:
        parse_label_selector("bad_=x")
    assert str(err.value) == (
        'unable to parse requirement: <nil>: Invalid value: "bad_": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    )
    with pytest.raises(SelectorError) as err:
        parse_label_selector("x=a||y")
    assert str(err.value).startswith('unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label must')
    with pytest.raises(SelectorError) as err:
        parse_label_selector("x>a")
    assert str(err.value) == (
        'unable to parse requirement: values[0]: Invalid value: "a": for \'Gt\', \'Lt\' operators, the value must be an integer'
    )


def test_gt_lt_ignore_non_integer_labels():
    assert not parse_label_selector("v>1").matches({"v": "v2"})
    assert parse_label_selector("v>1").matches({"v": "2"})


def test_label_selector_object():
    sel = label_selector_from_object(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "version", "operator": "Exists"},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
            ],
        }
    )
    assert sel.matches(WEB)
    assert not sel.matches({**WEB, "canary": "true"})
    assert not sel.matches(DB)
    assert str(sel) == "app=web,!canary,env notin (prod),tier in (edge,frontend),version"


def test_empty_object_selects_everything_and_none_selects_nothing():
    assert label_selector_from_object({}).matches(WEB)
    assert label_selector_from_object({"matchLabels": {}}).empty()
    assert not label_selector_from_object(None).matches(WEB)
    assert not label_selector_from_object(None).matches(BARE)


def test_label_selector_object_errors():
    with pytest.raises(SelectorError, match='"Gt" is not a valid label selector operator'):
        label_selector_from_object({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})
    with pytest.raises(SelectorError, match="for 'in', 'notin' operators, values set can't be empty"):
        label_selector_from_object({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    with pytest.raises(SelectorError, match="values set must be empty for exists and does not exist"):
        label_selector_from_object({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})


def test_service_selector_map():
    assert selector_from_match_labels({"app": "web"}).matches(WEB)
    assert not selector_from_match_labels({}).matches(WEB)
    assert not selector_from_match_labels(None).matches(BARE)


def test_field_selector():
    pod = {"metadata": {"name": "web-1", "namespace": "default"}, "spec": {"nodeName": "node-1"}, "status": {"phase": "Running"}}
    pending = {"metadata": {"name": "web-2", "namespace": "default"}, "spec": {}, "status": {"phase": "Pending"}}
    on_node = parse_field_selector("spec.nodeName=node-1")
    assert on_node.matches(pod_fields(pod)) and not on_node.matches(pod_fields(pending))
    unscheduled = parse_field_selector("spec.nodeName=")
    assert unscheduled.matches(pod_fields(pending)) and not unscheduled.matches(pod_fields(pod))
    not_done = parse_field_selector("status.phase!=Succeeded,status.phase!=Failed")
    assert not_done.matches(pod_fields(pod))
    assert parse_field_selector("metadata.name==web-1").exact_match("metadata.name") == "web-1"
    assert parse_field_selector("metadata.name!=web-1").exact_match("metadata.name") is None
    assert parse_field_selector("").matches({}) and parse_field_selector(None).empty()
    assert [r.field for r in parse_field_selector("b=1,a=2").requirements] == ["a", "b"]


def test_field_selector_escaping():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d,x=y")
    assert sel.exact_match("metadata.name") == "a,b=c\\d"
    assert str(sel) == r"metadata.name=a\,b\=c\\d,x=y"
    with pytest.raises(SelectorError, match=r"invalid field selector: invalid escape sequence: \\q"):
        parse_field_selector(r"a=\q")
    with pytest.raises(SelectorError, match="invalid field selector: unescaped character in value: 61"):
        parse_field_selector("a=b=c")


def test_field_selector_errors():
    with pytest.raises(SelectorError) as err:
        parse_field_selector("metadata.name")
    assert str(err.value) == "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    check_field_labels(parse_field_selector("spec.nodeName=n,status.phase=Running"), POD_FIELD_LABELS)
    with pytest.raises(SelectorError) as err:
        check_field_labels(parse_field_selector("foo=bar"), POD_FIELD_LABELS)
    assert str(err.value) == "field label not supported: foo"
