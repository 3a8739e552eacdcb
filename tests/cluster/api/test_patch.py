"""cluster.api.patch: JSON patch, merge patch and Kubernetes strategic merge patch."""
from __future__ import annotations

import copy

import pytest

from cluster.api.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    merge_keys_for,
    parse_pointer,
)

# --- RFC 6902 ------------------------------------------------------------------------------


def test_pointer_escaping():
    assert parse_pointer("") == []
    assert parse_pointer("/metadata/annotations/example.com~1note") == ["metadata", "annotations", "example.com/note"]
    assert parse_pointer("/a~01") == ["a~1"]
    with pytest.raises(PatchError):
        parse_pointer("a/b")


def test_json_patch_operations():
    doc = {"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 1, "ports": [80]}}
    before = copy.deepcopy(doc)
    out = apply_json_patch(
        doc,
        [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
            {"op": "add", "path": "/spec/ports/-", "value": 443},
            {"op": "add", "path": "/spec/ports/0", "value": 8080},
            {"op": "remove", "path": "/metadata/labels/app"},
            {"op": "copy", "from": "/spec/replicas", "path": "/spec/minReadySeconds"},
            {"op": "move", "from": "/spec/ports", "path": "/spec/exposed"},
        ],
    )
    assert out == {
        "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
        "spec": {"replicas": 3, "minReadySeconds": 3, "exposed": [8080, 80, 443]},
    }
    assert doc == before  # pure


@pytest.mark.parametrize(
    "ops, message",
    [
        ([{"op": "test", "path": "/spec/replicas", "value": 2}], "testing value /spec/replicas failed: test failed"),
        ([{"op": "test", "path": "/spec/flag", "value": 1}], "testing value /spec/flag failed: test failed"),
        ([{"op": "remove", "path": "/spec/nope"}], "Unable to remove nonexistent key: nope: missing value"),
        ([{"op": "replace", "path": "/spec/nope/x", "value": 1}], 'replace operation does not apply: doc is missing path: "/spec/nope/x": missing value'),
        ([{"op": "add", "path": "/missing/x", "value": 1}], 'add operation does not apply: doc is missing path: "/missing/x": missing value'),
        ([{"op": "add", "path": "/spec/list/5", "value": 1}], "Unable to access invalid index: 5: invalid index referenced"),
        ([{"op": "add", "path": "/spec/list/01", "value": 1}], "Unable to access invalid index: 01: invalid index referenced"),
        ([{"op": "frobnicate", "path": "/spec"}], "Unexpected kind: frobnicate"),
        ([{"op": "add", "path": "/spec/x"}], 'add operation missing "value" field'),
        ([{"op": "move", "from": "/spec", "path": "/spec/inner"}], 'move operation cannot move "/spec" into its own child "/spec/inner"'),
    ],
)
def test_json_patch_errors(ops, message):
    doc = {"spec": {"replicas": 1, "flag": True, "list": [1]}}
    with pytest.raises(PatchError) as err:
        apply_json_patch(doc, ops)
    assert str(err.value) == message


def test_json_patch_failed_test_leaves_document_untouched():
    doc = {"a": 1}
    with pytest.raises(PatchError):
        apply_json_patch(doc, [{"op": "replace", "path": "/a", "value": 2}, {"op": "test", "path": "/a", "value": 1}])
    assert doc == {"a": 1}


def test_json_patch_whole_document_and_numbers():
    assert apply_json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert apply_json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 1.0}]) == {"a": 1}


# --- RFC 7386 ------------------------------------------------------------------------------


def test_merge_patch_rfc7386_examples():
    target = {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"], "content": "x"}
    patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": None}, "tags": ["example"]}
    assert apply_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "x",
        "phoneNumber": "+01-123-456-7890",
    }
    assert apply_merge_patch({"a": "b"}, {"a": {"b": None}}) == {"a": {}}
    assert apply_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert apply_merge_patch(["a"], {"a": "b"}) == {"a": "b"}
    assert apply_merge_patch({"a": "b"}, ["c"]) == ["c"]


def test_merge_patch_replaces_lists_even_containers():
    doc = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}
    out = apply_merge_patch(doc, {"spec": {"containers": [{"name": "a", "image": "z"}]}})
    assert out["spec"]["containers"] == [{"name": "a", "image": "z"}]


# --- strategic merge patch -------------------------------------------------------------------


def deployment(*containers, **extra):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
        "spec": {
            "replicas": 2,
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": list(containers), **extra}},
        },
    }


WEB = {"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80, "protocol": "TCP"}], "env": [{"name": "A", "value": "1"}]}
SIDECAR = {"name": "sidecar", "image": "envoy:1"}


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def test_containers_merge_by_name():
    doc = deployment(copy.deepcopy(WEB), copy.deepcopy(SIDECAR))
    out = apply_strategic_merge_patch(doc, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}}}, "Deployment")
    assert [c["name"] for c in containers(out)] == ["web", "sidecar"]
    assert containers(out)[0] == {**WEB, "image": "nginx:2"}
    assert containers(doc)[0]["image"] == "nginx:1"  # pure


def test_kubectl_apply_image_change_with_set_element_order():
    doc = deployment(copy.deepcopy(WEB), copy.deepcopy(SIDECAR))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
                    "containers": [{"image": "envoy:2", "name": "sidecar"}],
                }
            }
        }
    }
    out = apply_strategic_merge_patch(doc, patch, "apps/v1/Deployment")
    assert containers(out) == [WEB, {**SIDECAR, "image": "envoy:2"}]
    assert "$setElementOrder/containers" not in out["spec"]["template"]["spec"]


def test_kubectl_apply_removes_a_container_with_patch_delete():
    doc = deployment(copy.deepcopy(WEB), copy.deepcopy(SIDECAR))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}],
                    "containers": [{"$patch": "delete", "name": "sidecar"}],
                }
            }
        }
    }
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    assert containers(out) == [WEB]


def test_kubectl_apply_adds_a_container_in_declared_order():
    doc = deployment(copy.deepcopy(WEB))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
                    "containers": [SIDECAR],
                }
            }
        }
    }
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    assert [c["name"] for c in containers(out)] == ["sidecar", "web"]


def test_set_element_order_alone_reorders():
    doc = deployment(copy.deepcopy(WEB), copy.deepcopy(SIDECAR))
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}}}}
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    assert [c["name"] for c in containers(out)] == ["sidecar", "web"]


def test_server_only_items_keep_their_place():
    doc = deployment({"name": "a"}, {"name": "b"}, {"name": "c"})
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "c"}], "containers": [{"name": "c", "image": "x"}]}}}}
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    assert [c["name"] for c in containers(out)] == ["a", "b", "c"]


def test_nested_ports_and_env_merge_by_their_keys():
    doc = deployment(copy.deepcopy(WEB))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "ports": [{"containerPort": 443, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}],
                            "volumeMounts": [{"mountPath": "/data", "name": "data"}],
                        }
                    ]
                }
            }
        }
    }
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    web = containers(out)[0]
    assert sorted(p["containerPort"] for p in web["ports"]) == [80, 443]
    assert web["env"] == [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]
    assert web["volumeMounts"] == [{"mountPath": "/data", "name": "data"}]


def test_pod_spec_paths_and_atomic_lists():
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "a", "image": "x", "args": ["--one", "--two"]}],
            "tolerations": [{"key": "k1", "operator": "Exists"}],
            "volumes": [{"name": "v1", "emptyDir": {}}],
        },
    }
    patch = {
        "spec": {
            "containers": [{"name": "a", "args": ["--three"]}],
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "volumes": [{"name": "v2", "configMap": {"name": "cm"}}],
        }
    }
    out = apply_strategic_merge_patch(pod, patch, "Pod")
    assert out["spec"]["containers"][0]["args"] == ["--three"]  # args are atomic
    assert out["spec"]["tolerations"] == [{"key": "k2", "operator": "Exists"}]  # tolerations are atomic
    assert [v["name"] for v in out["spec"]["volumes"]] == ["v2", "v1"]  # a new item goes before server-only ones


def test_node_taints_are_replaced_but_conditions_merge_by_type():
    node = {
        "metadata": {"name": "n1"},
        "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}]},
    }
    patch = {
        "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]},
        "status": {"conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}]},
    }
    out = apply_strategic_merge_patch(node, patch, "nodes")
    assert out["spec"]["taints"] == [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"},
        {"type": "MemoryPressure", "status": "False"},
    ]


def test_finalizers_merge_as_a_set_and_delete_from_primitive_list():
    doc = deployment()
    out = apply_strategic_merge_patch(doc, {"metadata": {"finalizers": ["a", "b"]}}, "Deployment")
    assert sorted(out["metadata"]["finalizers"]) == ["a", "b"]
    out = apply_strategic_merge_patch(out, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "Deployment")
    assert out["metadata"]["finalizers"] == ["b"]
    ordered = apply_strategic_merge_patch(
        doc, {"metadata": {"$setElementOrder/finalizers": ["a", "c"], "finalizers": ["c"]}}, "Deployment"
    )
    assert ordered["metadata"]["finalizers"] == ["a", "c"]


def test_owner_references_merge_by_uid():
    doc = {"metadata": {"ownerReferences": [{"uid": "1", "kind": "ReplicaSet", "name": "a"}]}}
    out = apply_strategic_merge_patch(doc, {"metadata": {"ownerReferences": [{"uid": "1", "controller": True}]}}, "Pod")
    assert out["metadata"]["ownerReferences"] == [{"uid": "1", "kind": "ReplicaSet", "name": "a", "controller": True}]


def test_null_deletes_and_maps_merge():
    doc = deployment(copy.deepcopy(WEB))
    out = apply_strategic_merge_patch(
        doc, {"metadata": {"labels": {"app": None, "tier": "fe"}, "annotations": None}, "spec": {"paused": None}}, "Deployment"
    )
    assert out["metadata"]["labels"] == {"tier": "fe"}
    assert "annotations" not in out["metadata"]


def test_patch_replace_in_list_and_map():
    doc = deployment(copy.deepcopy(WEB), copy.deepcopy(SIDECAR))
    out = apply_strategic_merge_patch(
        doc, {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}}}}, "Deployment"
    )
    assert containers(out) == [{"name": "only", "image": "x"}]
    out = apply_strategic_merge_patch(doc, {"metadata": {"labels": {"$patch": "replace", "new": "1"}}}, "Deployment")
    assert out["metadata"]["labels"] == {"new": "1"}
    out = apply_strategic_merge_patch(doc, {"spec": {"template": {"metadata": {"$patch": "delete"}}}}, "Deployment")
    assert out["spec"]["template"]["metadata"] == {}


def test_retain_keys_clears_other_union_members():
    doc = deployment(strategy=None)
    doc["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    out = apply_strategic_merge_patch(doc, patch, "Deployment")
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(PatchError, match="invalid patch format of retainKeys"):
        apply_strategic_merge_patch(doc, {"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}}, "Deployment")


def test_volumes_retain_keys_as_kubectl_sends_them():
    pod = {"spec": {"volumes": [{"name": "data", "emptyDir": {}}], "containers": []}}
    patch = {"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}, "name": "data"}]}}
    out = apply_strategic_merge_patch(pod, patch, "Pod")
    assert out["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cm"}}]


def test_new_values_are_cleaned_of_directives():
    doc = {"metadata": {"name": "x"}}
    out = apply_strategic_merge_patch(
        doc, {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": None}]}], "gone": {"$patch": "delete"}}}, "Pod"
    )
    assert out["spec"] == {"containers": [{"name": "a", "env": [{"name": "X"}]}]}


def test_strategic_merge_errors():
    doc = deployment(copy.deepcopy(WEB))
    with pytest.raises(PatchError, match="does not contain declared merge key: name"):
        apply_strategic_merge_patch(doc, {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, "Deployment")
    with pytest.raises(PatchError, match="unknown patch type: explode"):
        apply_strategic_merge_patch(doc, {"metadata": {"$patch": "explode"}}, "Deployment")
    with pytest.raises(PatchError, match="setElementOrder"):
        apply_strategic_merge_patch(doc, {"spec": {"$setElementOrder/x": "nope"}}, "Deployment")


def test_service_ports_merge_by_port_and_unknown_kinds_replace_lists():
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}}
    out = apply_strategic_merge_patch(svc, {"spec": {"ports": [{"port": 80, "name": "http"}]}}, "Service")
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 8080, "name": "http"}]
    cm = {"data": {"a": "1"}, "rules": [1, 2]}
    assert apply_strategic_merge_patch(cm, {"rules": [3]}, "ConfigMap") == {"data": {"a": "1"}, "rules": [3]}


def test_merge_key_tables():
    deploy = merge_keys_for("Deployment")
    assert deploy["spec.template.spec.containers"] == "name"
    assert deploy["spec.template.spec.containers.ports"] == "containerPort"
    assert deploy["spec.template.spec.initContainers.volumeMounts"] == "mountPath"
    assert deploy["metadata.finalizers"] == ""
    assert "spec.template.spec.tolerations" not in deploy
    assert merge_keys_for("cronjobs")["spec.jobTemplate.spec.template.spec.containers.env"] == "name"
    assert merge_keys_for("pods") is merge_keys_for("Pod")
    assert "spec.taints" not in merge_keys_for("Node")
    assert merge_keys_for("Lease") == {"metadata.finalizers": "", "metadata.ownerReferences": "uid"}
