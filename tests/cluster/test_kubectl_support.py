"""What the API server does for kubectl, tested on plain data: Table printing,
protobuf bodies, unknown-field validation, field ownership, aggregated discovery."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from cluster.api import discovery, errors, fieldvalidation, managedfields, protobuf, tables
from cluster.api.jsonpath import evaluate
from cluster.api.kinds import new_registry
from cluster.api.objects import timestamp

REGISTRY = new_registry()
PODS = REGISTRY.get("", "v1", "pods")
DEPLOYMENTS = REGISTRY.get("apps", "v1", "deployments")
CONFIGMAPS = REGISTRY.get("", "v1", "configmaps")
NOW = 1_800_000_000.0


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (119, "119s"), (120, "2m"), (200, "3m20s"), (660, "11m"), (3 * 3600 + 120, "3h2m"),
    (10 * 3600, "10h"), (50 * 3600, "2d2h"), (40 * 86400, "40d"), (800 * 86400, "2y70d"), (-5, "<invalid>"),
])
def test_human_duration_matches_apimachinery(seconds, text):
    assert tables.human_duration(seconds) == text


def _pod(**status):
    return {"metadata": {"name": "p", "creationTimestamp": timestamp(NOW - 65)},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Running", **status}}


def _running(name, ready=True, restarts=0):
    return {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}


@pytest.mark.parametrize("pod, expected", [
    (_pod(containerStatuses=[_running("a"), _running("b")]), ("Running", 2, 2)),
    (_pod(phase="Pending", containerStatuses=[
        {"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}, _running("b")]),
     ("ContainerCreating", 1, 2)),
    (_pod(containerStatuses=[
        {"name": "a", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}, _running("b")]),
     ("CrashLoopBackOff", 1, 2)),
    (_pod(phase="Succeeded", containerStatuses=[
        {"name": "a", "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
        {"name": "b", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]), ("Completed", 0, 2)),
    (_pod(containerStatuses=[{"name": "a", "state": {"terminated": {"exitCode": 2}}}]), ("ExitCode:2", 0, 2)),
])
def test_pod_status_follows_kubectl(pod, expected):
    reason, ready, total, _, _ = tables.pod_status(pod)
    assert (reason, ready, total) == expected


def test_terminating_and_init_status():
    deleting = _pod(containerStatuses=[_running("a"), _running("b")])
    deleting["metadata"]["deletionTimestamp"] = timestamp(NOW)
    assert tables.pod_status(deleting)[0] == "Terminating"
    init = _pod(phase="Pending")
    init["spec"]["initContainers"] = [{"name": "setup"}]
    init["status"]["initContainerStatuses"] = [{"name": "setup", "state": {"running": {}}}]
    assert tables.pod_status(init)[0] == "Init:0/1"


def test_pod_table_rows_and_wide_columns():
    pod = _pod(podIP="10.244.1.5", containerStatuses=[_running("a", restarts=1), _running("b")])
    table = tables.table(PODS, {"kind": "PodList", "metadata": {"resourceVersion": "7"}, "items": [pod]}, NOW,
                         "Metadata")
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
                     "Readiness Gates"]
    assert [c["priority"] for c in table["columnDefinitions"]][4:6] == [0, 1]
    row = table["rows"][0]
    assert row["cells"] == ["p", "2/2", "Running", "1", "65s", "10.244.1.5", "<none>", "<none>", "<none>"]
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": pod["metadata"]}
    assert table["metadata"] == {"resourceVersion": "7"}


def test_wants_table_reads_kubectls_accept_header():
    assert tables.wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
                              "v=v1beta1;g=meta.k8s.io,application/json")
    assert not tables.wants_table("application/json")
    with pytest.raises(errors.BadRequest):
        tables.include_object({"includeObject": "Everything"})


def test_custom_resource_printer_columns():
    version = {"additionalPrinterColumns": [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}
    columns = tables.custom_columns(version)
    obj = {"metadata": {"name": "m", "creationTimestamp": timestamp(NOW - 30)}, "spec": {"replicas": 3},
           "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}}
    assert [c.cell(obj, NOW) for c in columns] == ["m", "True", 3, "30s"]
    assert [c.name for c in tables.custom_columns({})] == ["Name", "Age"]


def test_jsonpath_subset():
    doc = {"items": [{"name": "a", "labels": {"x.y/z": "1"}}, {"name": "b"}]}
    assert evaluate(doc, ".items[*].name") == ["a", "b"]
    assert evaluate(doc, ".items[-1].name") == ["b"]
    assert evaluate(doc, "{.items[0].labels['x.y/z']}") == ["1"]
    assert evaluate(doc, '.items[?(@.name!="a")].name') == ["b"]


# --- protobuf ---------------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def test_protobuf_configmap_envelope_decodes_to_json():
    metadata = _field(1, b"settings") + _field(3, b"default") + _field(11, _field(1, b"app") + _field(2, b"web"))
    configmap = _field(1, metadata) + _field(2, _field(1, b"mode") + _field(2, b"blue")) + _field(4, 0)
    envelope = protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"ConfigMap")) + _field(2, configmap)
    assert protobuf.decode(envelope) == {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default", "labels": {"app": "web"}},
        "data": {"mode": "blue"},  # immutable=false dropped: omitempty
    }


def test_protobuf_deployment_with_negative_ints_and_int_or_string():
    container = _field(1, b"app") + _field(2, b"nginx")
    template = _field(2, _field(2, container))
    rolling = _field(1, _field(1, 1) + _field(3, b"30%"))  # maxUnavailable: "30%"
    spec = _field(1, -1) + _field(3, template) + _field(4, _field(1, b"RollingUpdate") + _field(2, rolling))
    envelope = protobuf.MAGIC + _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment")) + _field(
        2, _field(1, _field(1, b"web")) + _field(2, spec))
    decoded = protobuf.decode(envelope)
    assert decoded["spec"]["replicas"] == -1
    assert decoded["spec"]["template"]["spec"]["containers"] == [{"name": "app", "image": "nginx"}]
    assert decoded["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "30%"}}


@pytest.mark.parametrize("body", [b"", b"k8s", b"k8s\x00\x0a\xff", b"nope", protobuf.MAGIC + b"\x0a\x02\x0a\x00"])
def test_protobuf_garbage_is_a_decode_error(body):
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(body)


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_protobuf_hostile_bodies_only_raise_decode_errors(tail):
    for body in (protobuf.MAGIC + tail, protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"Pod")) + tail):
        try:
            assert isinstance(protobuf.decode(body), dict)
        except protobuf.ProtobufError:
            pass


# --- unknown fields, managed fields -------------------------------------------------------------

def test_unknown_fields_of_builtin_kinds_and_patch_directives():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labelz": {}},
                  "spec": {"replicaz": 1, "template": {"spec": {"containers": [{"name": "a", "imagee": "x"}]}},
                           "$setElementOrder/containers": []}}
    assert fieldvalidation.unknown_fields(deployment, DEPLOYMENTS) == [
        "metadata.labelz", "spec.replicaz", "spec.template.spec.containers[0].imagee"]
    with pytest.raises(errors.BadRequest) as strict:
        fieldvalidation.check({"fieldValidation": "Strict"}, deployment, DEPLOYMENTS, decoding=True)
    assert strict.value.message.startswith('Deployment in version "v1" cannot be handled as a Deployment: '
                                           'strict decoding error: unknown field "metadata.labelz"')
    assert fieldvalidation.check({}, deployment, DEPLOYMENTS, decoding=True)[0] == 'unknown field "metadata.labelz"'
    assert fieldvalidation.check({"fieldValidation": "Ignore"}, deployment, DEPLOYMENTS, decoding=True) == []


def test_server_side_apply_conflict_force_and_removal():
    live = {"metadata": {"name": "c"}, "data": {"a": "1"}}
    merge = lambda old, new: {**old, **new, "data": {**old.get("data", {}), **new.get("data", {})}}  # noqa: E731
    applied = managedfields.apply(live, {"data": {"a": "1", "b": "1"}}, CONFIGMAPS, "alice", False, NOW, merge)
    assert applied["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    patched = {**applied, "data": {"a": "2", "b": "1"}}
    managedfields.record_update(applied, patched, CONFIGMAPS, "bob", NOW)
    assert [e["manager"] for e in patched["metadata"]["managedFields"]] == ["alice", "bob"]
    with pytest.raises(errors.Conflict) as conflict:
        managedfields.apply(patched, {"data": {"a": "1"}}, CONFIGMAPS, "alice", False, NOW, merge)
    assert conflict.value.message == 'Apply failed with 1 conflict: conflict with "bob" using v1: .data.a'
    forced = managedfields.apply(patched, {"data": {"a": "1"}}, CONFIGMAPS, "alice", True, NOW, merge)
    assert forced["data"] == {"a": "1"}  # b: applied before, owned by nobody else now, removed
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["alice"]


def test_containers_are_owned_by_name():
    paths = managedfields.field_set({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x"}]}}}},
                                    DEPLOYMENTS)
    assert ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"app"}', "f:image") in paths
    assert managedfields.readable(("f:spec", "f:containers", 'k:{"name":"app"}', "f:image")) == \
        '.spec.containers[name="app"].image'


def test_aggregated_discovery_document():
    assert discovery.wants_aggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                                      "application/json")
    core = discovery.aggregated(REGISTRY, legacy=True)
    assert core["kind"] == "APIGroupDiscoveryList" and core["items"][0]["metadata"] == {}
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    groups = [item["metadata"]["name"] for item in discovery.aggregated(REGISTRY, legacy=False)["items"]]
    assert "apps" in groups and "" not in groups


def test_partial_object_metadata_for_metadata_only_clients():
    accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    assert tables.wants_partial_metadata(accept) and not tables.wants_partial_metadata("application/json")
    listed = tables.partial_metadata({"kind": "PodList", "metadata": {"resourceVersion": "9"},
                                      "items": [_pod()]})
    assert listed["kind"] == "PartialObjectMetadataList" and listed["metadata"] == {"resourceVersion": "9"}
    assert listed["items"][0] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                  "metadata": _pod()["metadata"]}
