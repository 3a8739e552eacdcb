"""cluster.api.validation: Kubernetes validation messages, word for word."""
from __future__ import annotations

from cluster.api import validation as v
from cluster.api.validation import Cause

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def test_dns1123_subdomain():
    assert v.dns1123_subdomain("web-1.example", "metadata.name") == []
    [cause] = v.dns1123_subdomain("Web_1", "metadata.name")
    assert cause == Cause("metadata.name", f'Invalid value: "Web_1": {SUBDOMAIN_MSG}', "FieldValueInvalid")
    assert str(cause) == f'metadata.name: Invalid value: "Web_1": {SUBDOMAIN_MSG}'


def test_dns1123_subdomain_too_long_reports_length_and_shape():
    causes = v.dns1123_subdomain("a" * 254, "metadata.name")
    assert [c.message.split(": ", 2)[2] for c in causes] == ["must be no more than 253 characters"]
    assert len(v.dns1123_subdomain("-" * 254, "metadata.name")) == 2


def test_dns1123_label():
    assert v.dns1123_label("web-1", "spec.containers[0].name") == []
    [dots] = v.dns1123_label("web.1", "spec.containers[0].name")
    assert dots.message == 'Invalid value: "web.1": must not contain dots'
    [shape] = v.dns1123_label("Web", "spec.containers[0].name")
    assert shape.message == f'Invalid value: "Web": {LABEL_MSG}'
    assert v.dns1123_label("a" * 64, "x")[0].message == f'Invalid value: "{"a" * 64}": must be no more than 63 characters'


def test_qualified_names():
    assert v.is_qualified_name("app") == []
    assert v.is_qualified_name("app.kubernetes.io/name") == []
    assert v.is_qualified_name("bad_") == [NAME_PART_MSG]
    assert v.is_qualified_name("/x") == ["prefix part must be non-empty"]
    assert v.is_qualified_name("Example.com/x")[0].startswith("prefix part a lowercase RFC 1123 subdomain")
    assert v.is_qualified_name("x/") == ["name part must be non-empty", NAME_PART_MSG]
    assert v.is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert v.is_qualified_name("a/b/c")[0].endswith(
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    )
    assert v.is_qualified_name("a" * 64) == ["name part must be no more than 63 characters"]


def test_labels():
    assert v.labels({"app": "web", "tier": "", "app.kubernetes.io/name": "x.y_z"}, "metadata.labels") == []
    causes = v.labels({"bad key": "ok", "ok": "bad value!"}, "metadata.labels")
    assert [str(c) for c in causes] == [
        f'metadata.labels: Invalid value: "bad key": {NAME_PART_MSG}',
        f'metadata.labels: Invalid value: "bad value!": {LABEL_VALUE_MSG}',
    ]
    assert v.labels(None, "metadata.labels") == []


def test_annotations_keys_are_case_insensitive_and_size_is_limited():
    assert v.annotations({"Example.com/Note": "any value at all: 😀"}, "metadata.annotations") == []
    assert v.annotations({"bad key": ""})[0].field == "metadata.annotations"
    [big] = v.annotations({"k": "x" * (256 * 1024)}, "metadata.annotations")
    assert str(big) == "metadata.annotations: Too long: may not be more than 262144 bytes"
    assert big.reason == "FieldValueTooLong"


def test_non_negative_and_required():
    assert v.non_negative(0, "spec.replicas") == []
    [neg] = v.non_negative(-1, "spec.replicas")
    assert str(neg) == "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    assert v.required("x", "spec.containers[0].image") == []
    [req] = v.required("", "spec.containers[0].image")
    assert str(req) == "spec.containers[0].image: Required value"
    assert req.reason == "FieldValueRequired"
    assert v.required([], "spec.containers", "must have at least one container")[0].message == (
        "Required value: must have at least one container"
    )


def test_quantity():
    assert v.quantity("500m", "spec.containers[0].resources.requests[cpu]") == []
    [neg] = v.quantity("-1", "spec.containers[0].resources.requests[cpu]")
    assert neg.message == 'Invalid value: "-1": must be greater than or equal to 0'
    [bad] = v.quantity("lots", "resources.limits[memory]")
    assert bad.message == (
        "Invalid value: \"lots\": quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_object_name():
    assert str(v.object_name("", "metadata.name")[0]) == "metadata.name: Required value: name or generateName is required"
    assert v.object_name("", generate_name="web-") == []
    assert v.object_name("web") == []


def test_other_field_errors():
    assert str(v.field_not_supported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"])) == (
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    )
    assert str(v.field_duplicate("spec.containers[1].name", "web")) == 'spec.containers[1].name: Duplicate value: "web"'
    assert str(v.field_forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`")).startswith(
        "spec: Forbidden: pod updates"
    )
    assert v.field_invalid("spec.selector", {"matchLabels": {"a": "b"}}, "empty").message == (
        'Invalid value: {"matchLabels":{"a":"b"}}: empty'
    )
    assert v.field_invalid("spec.paused", True, "x").message == "Invalid value: true: x"
    assert v.field_invalid("spec.x", None, "x").message == "Invalid value: null: x"


def test_invalid_message_single_and_many():
    one = v.non_negative(-1, "spec.replicas")
    assert v.invalid_message("Deployment.apps", "web", one) == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert v.invalid_message("Deployment", "web", one, group="apps").startswith('Deployment.apps "web" is invalid: ')
    many = one + v.required("", "spec.template.spec.containers[0].image") + one
    assert v.invalid_message("Deployment.apps", "web", many) == (
        'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, '
        "spec.template.spec.containers[0].image: Required value]"
    )
    assert v.invalid_message("Pod", "p", []) == 'Pod "p" is invalid'


def test_invalid_status_body():
    status = v.invalid_status("Deployment.apps", "web", v.non_negative(-1, "spec.replicas"))
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["details"]["group"] == "apps" and status["details"]["kind"] == "Deployment"
    assert status["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0", "field": "spec.replicas"}
    ]
    assert v.invalid_status("Pod", "p", [])["details"]["group"] == ""
