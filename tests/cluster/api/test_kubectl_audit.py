"""Gaps found by driving the real kubectl against a live server, pinned on plain data."""
from __future__ import annotations

import json

import pytest

from cluster.api import errors, managedfields
from cluster.api.kinds import new_registry

REGISTRY = new_registry()
DEPLOYMENTS = REGISTRY.get("apps", "v1", "deployments")
NOW = 1_800_000_000.0


def _deployment(replicas: int, **container: object) -> dict:
    return {"metadata": {"name": "d"}, "spec": {"replicas": replicas, "template": {"spec": {"containers": [
        {"name": "app", "image": "nginx", "ports": [{"containerPort": 80, **container}]}]}}}}


def test_applying_the_same_list_items_another_manager_owns_is_no_conflict():
    # kubectl apply, then kubectl apply --server-side of the same manifest: the live
    # container and port carry defaults (protocol) the manifest leaves out.
    live = _deployment(2, protocol="TCP")
    managedfields.record_update(None, live, DEPLOYMENTS, "kubectl-client-side-apply", NOW)
    merged = managedfields.apply(live, _deployment(2), DEPLOYMENTS, "kubectl", False, NOW, lambda old, new: old)
    assert [e["manager"] for e in merged["metadata"]["managedFields"]] == ["kubectl-client-side-apply", "kubectl"]
    with pytest.raises(errors.Conflict) as conflict:
        managedfields.apply(live, _deployment(3), DEPLOYMENTS, "kubectl", False, NOW, lambda old, new: old)
    assert conflict.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas')


# --- in process and over HTTP -------------------------------------------------------------

def _http(api, method: str, path: str, body: bytes = b"", content_type: str = "application/json",
          groups: tuple[str, ...] = ("system:masters",), user: str = "audit"):
    from django.test import Client

    from cluster.api import authn, service

    service._server = api
    try:
        token = authn.issue_token(user, list(groups))
        return Client().generic(method, path, data=body, content_type=content_type,
                                HTTP_AUTHORIZATION=f"Bearer {token}")
    finally:
        service.reset()


def test_a_new_namespace_gets_its_default_service_account(admin_client):
    from cluster.client.resources import NAMESPACES, SERVICEACCOUNTS

    admin_client.create(NAMESPACES, {"metadata": {"name": "fresh"}})
    assert admin_client.get(SERVICEACCOUNTS, "default", "fresh")["metadata"]["namespace"] == "fresh"


def test_exec_attach_and_port_forward_are_authorised_then_refused_with_a_status(api, admin_client):
    from cluster.api.identity import AUTHENTICATED, UserInfo
    from cluster.api.server import ApiRequest
    from cluster.client.resources import PODS

    admin_client.create(PODS, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
                        "default")
    admin = UserInfo("admin", ("system:masters", AUTHENTICATED))
    for sub, word in (("exec", "exec"), ("attach", "attach"), ("portforward", "port-forward")):
        response = api.handle(ApiRequest("POST", f"/api/v1/namespaces/default/pods/p/{sub}", admin,
                                         query={"command": "ls"}))
        assert response.code == 400 and response.body["reason"] == "BadRequest"
        assert response.body["message"].startswith(f"{word} is not supported by KubeViz: the containers of pod p")
    nobody = UserInfo("nobody", (AUTHENTICATED,))
    denied = api.handle(ApiRequest("POST", "/api/v1/namespaces/default/pods/p/exec", nobody))
    assert denied.code == 403 and denied.body["message"] == (
        'pods "p" is forbidden: User "nobody" cannot create resource "pods/exec" in API group "" '
        'in the namespace "default"')
    missing = api.handle(ApiRequest("POST", "/api/v1/namespaces/default/pods/gone/exec", admin))
    assert missing.code == 404
    resources = {r["name"]: r for r in api.handle(ApiRequest("GET", "/api/v1", admin)).body["resources"]}
    assert resources["pods/exec"]["kind"] == "PodExecOptions" and resources["pods/exec"]["verbs"] == ["create", "get"]


def test_bodies_up_to_3_mib_are_read_and_longer_ones_are_413(api):
    path = "/api/v1/namespaces/default/configmaps"
    big = json.dumps({"metadata": {"name": "big"}, "data": {"a": "x" * (3 * 1024 * 1024 - 100)}}).encode()
    assert 2_621_440 < len(big) <= 3 * 1024 * 1024  # over Django's 2.5 MiB default, under the API limit
    assert _http(api, "POST", path, big).status_code == 201
    before = api.store.revision()
    too_big = _http(api, "POST", path, b"x" * (3 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and too_big.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Request entity too large: limit is 3145728", "reason": "RequestEntityTooLarge", "code": 413}
    assert api.store.revision() == before


def test_a_secrets_string_data_is_owned_as_the_data_it_becomes():
    secrets = REGISTRY.get("", "v1", "secrets")
    manifest = {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}
    live = {"metadata": {"name": "s"}, "type": "Opaque", "data": {"password": "aHVudGVyMg=="}}
    managedfields.record_update(None, manifest, secrets, "kubectl-client-side-apply", NOW)
    live["metadata"]["managedFields"] = manifest["metadata"]["managedFields"]
    assert live["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:password": {}}}
    merged = managedfields.apply(live, manifest, secrets, "kubectl", False, NOW, lambda old, new: old)
    assert merged["metadata"]["managedFields"][-1]["fieldsV1"] == {"f:data": {"f:password": {}}}
    with pytest.raises(errors.Conflict):
        managedfields.apply(live, {**manifest, "stringData": {"password": "other"}}, secrets, "kubectl", False, NOW,
                            lambda old, new: old)


CRONTAB_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "required": ["cronSpec"], "properties": {
                     "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
                     "image": {"type": "string", "maxLength": 20},
                     "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
                     "mode": {"type": "string", "enum": ["Fast", "Slow"]},
                     "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}}}}}}}}]},
}


@pytest.mark.parametrize("spec, message", [
    ({"cronSpec": "* * * * */5", "replicas": 20},
     'CronTab.stable.example.com "c" is invalid: spec.replicas: Invalid value: 20: '
     'spec.replicas in body should be less than or equal to 10'),
    ({"cronSpec": "* * * * */5", "replicas": 0},
     'CronTab.stable.example.com "c" is invalid: spec.replicas: Invalid value: 0: '
     'spec.replicas in body should be greater than or equal to 1'),
    ({"cronSpec": "bad"},
     'CronTab.stable.example.com "c" is invalid: spec.cronSpec: Invalid value: "bad": spec.cronSpec in body '
     r"should match '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'"),
    ({"image": "x"}, 'CronTab.stable.example.com "c" is invalid: spec.cronSpec: Required value'),
    ({"cronSpec": "* * * * */5", "replicas": "two"},
     'CronTab.stable.example.com "c" is invalid: spec.replicas: Invalid value: "string": '
     'spec.replicas in body must be of type integer: "string"'),
    ({"cronSpec": "* * * * */5", "mode": "Medium"},
     'CronTab.stable.example.com "c" is invalid: spec.mode: Unsupported value: "Medium": '
     'supported values: "Fast", "Slow"'),
    ({"cronSpec": "* * * * */5", "image": "x" * 21},
     'CronTab.stable.example.com "c" is invalid: spec.image: Too long: may not be more than 20 bytes'),
    ({"cronSpec": "* * * * */5", "tags": ["a", "b", "c"]},
     'CronTab.stable.example.com "c" is invalid: spec.tags: Too many: 3: must have at most 2 items'),
])
def test_custom_resources_are_validated_against_their_crd_schema(api, admin_client, spec, message):
    from cluster.client import StatusError
    from cluster.client.resources import CRDS, Resource

    admin_client.create(CRDS, CRONTAB_CRD)
    crontabs = Resource("stable.example.com", "v1", "crontabs")
    before = api.store.revision()
    with pytest.raises(StatusError) as refused:
        admin_client.create(crontabs, {"apiVersion": "stable.example.com/v1", "kind": "CronTab",
                                       "metadata": {"name": "c"}, "spec": spec}, "default")
    assert refused.value.code == 422 and refused.value.reason == "Invalid"
    assert str(refused.value) == message
    assert api.store.revision() == before
    created = admin_client.create(crontabs, {"apiVersion": "stable.example.com/v1", "kind": "CronTab",
                                             "metadata": {"name": "c"}, "spec": {"cronSpec": "* * * * */5"}},
                                  "default")
    assert created["spec"]["replicas"] == 1  # the schema's default


def test_deleting_a_crd_deletes_its_custom_resources(admin_client):
    from cluster.client.resources import CRDS, Resource

    crontabs = Resource("stable.example.com", "v1", "crontabs")
    admin_client.create(CRDS, CRONTAB_CRD)
    admin_client.create(crontabs, {"metadata": {"name": "c"}, "spec": {"cronSpec": "* * * * */5"}}, "default")
    admin_client.delete(CRDS, CRONTAB_CRD["metadata"]["name"])
    admin_client.create(CRDS, CRONTAB_CRD)
    assert admin_client.list(crontabs, "default")["items"] == []


@pytest.mark.parametrize("kind, path, obj", [
    ("Pod", "/api/v1/namespaces/default/pods",
     {"metadata": {"name": "q"}, "spec": {"containers": [{"name": "c", "image": "x",
                                                          "resources": {"requests": {"cpu": "1.5.5"}}}]}}),
    ("Deployment", "/apis/apps/v1/namespaces/default/deployments",
     {"metadata": {"name": "q"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
         "metadata": {"labels": {"a": "b"}},
         "spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": {"memory": "lots"}}}]}}}}),
])
def test_a_request_that_is_not_a_quantity_cannot_be_decoded(api, kind, path, obj):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest

    before = api.store.revision()
    response = api.handle(ApiRequest("POST", path, UserInfo("admin", ("system:masters",)),
                                     body=json.dumps(obj).encode()))
    assert response.code == 400 and response.body["message"] == (
        f'{kind} in version "v1" cannot be handled as a {kind}: quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    assert api.store.revision() == before


def test_a_negative_request_is_invalid_in_go_quotes(api, admin_client):
    from cluster.client import StatusError
    from cluster.client.resources import PODS

    with pytest.raises(StatusError) as refused:
        admin_client.create(PODS, {"metadata": {"name": "q"}, "spec": {"containers": [
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": "-1"}}}]}}, "default")
    assert str(refused.value) == ('Pod "q" is invalid: spec.containers[0].resources.requests[cpu]: '
                                  'Invalid value: "-1": must be greater than or equal to 0')


def test_a_lone_surrogate_escape_decodes_to_the_replacement_character_not_a_500(api):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest

    response = api.handle(ApiRequest("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                                     UserInfo("admin", ("system:masters",)),
                                     body=b'{"metadata": {"name": "\\ud800x", "labels": {"k": "\\ud83d\\ude00"}}}'))
    assert response.code == 422 and response.body["message"].startswith('ClusterRole.rbac.authorization.k8s.io '
                                                                        '"\ufffdx" is invalid: metadata.labels')


def test_openapi_v2_is_served_empty_so_kubectl_skips_validation_of_kinds_v3_lacks(api):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest

    admin = UserInfo("admin", ("system:masters",))
    proto = api.handle(ApiRequest("GET", "/openapi/v2", admin,
                                  accept="application/com.github.proto-openapi.spec.v2.v1.0+protobuf"))
    assert proto.code == 200 and proto.body == b"" and proto.content_type.endswith("+protobuf")
    plain = api.handle(ApiRequest("GET", "/openapi/v2", admin))
    assert plain.code == 200 and plain.body["swagger"] == "2.0" and plain.body["definitions"] == {}


@pytest.mark.django_db
@pytest.mark.parametrize("check", ["healthz", "livez", "readyz"])
def test_health_checks_answer_under_the_token_path_kubectl_uses(check):
    from django.test import Client

    assert Client().get(f"/token/anything/{check}").content == b"ok"
    verbose = Client().get(f"/token/anything/{check}?verbose")
    assert verbose.status_code == 200
    assert verbose.content.decode().splitlines() == ["[+]ping ok", "[+]log ok", "[+]etcd ok",
                                                      f"{check} check passed"]


def test_no_new_content_in_a_terminating_namespace_in_admissions_words(api, admin_client):
    from cluster.client import StatusError
    from cluster.client.resources import CONFIGMAPS, NAMESPACES

    admin_client.create(NAMESPACES, {"metadata": {"name": "ending"}})
    admin_client.create(CONFIGMAPS, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}, "ending")
    admin_client.delete(NAMESPACES, "ending")
    with pytest.raises(StatusError) as refused:
        admin_client.create(CONFIGMAPS, {"metadata": {"name": "late"}}, "ending")
    assert refused.value.code == 403 and str(refused.value) == (
        'configmaps "late" is forbidden: unable to create new content in namespace ending because it is being '
        "terminated")


@pytest.mark.parametrize("method, path", [
    ("PUT", "/api/v1/namespaces/default/configmaps"),
    ("PATCH", "/api/v1/namespaces/default/configmaps"),
    ("POST", "/api/v1/namespaces/default/configmaps/named"),
])
def test_a_method_the_path_does_not_take_is_405(api, method, path):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest

    response = api.handle(ApiRequest(method, path, UserInfo("admin", ("system:masters",)), body=b"{}",
                                     content_type="application/merge-patch+json"))
    assert response.code == 405 and response.body["reason"] == "MethodNotAllowed"


def test_logs_previous_needs_a_terminated_instance_and_limit_bytes_cuts(api, admin_client):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest
    from cluster.client.resources import PODS

    admin_client.create(PODS, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
                        "default")
    api.log_source = lambda pod, container: "first line\nsecond line\n"
    admin = UserInfo("admin", ("system:masters",))
    path = "/api/v1/namespaces/default/pods/p/log"
    unscheduled = api.handle(ApiRequest("GET", path, admin))
    assert unscheduled.code == 400 and unscheduled.body["message"] == "pod p does not have a host assigned"
    admin_client.bind("default", "p", "node-1")
    status = {"name": "c", "image": "x", "imageID": "", "ready": False, "restartCount": 0}
    admin_client.patch(PODS, "p", {"status": {"containerStatuses": [
        {**status, "state": {"waiting": {"reason": "ContainerCreating"}}}]}}, "default", subresource="status")
    waiting = api.handle(ApiRequest("GET", path, admin))
    assert waiting.code == 400 and waiting.body["message"] == (
        'container "c" in pod "p" is waiting to start: ContainerCreating')
    admin_client.patch(PODS, "p", {"status": {"containerStatuses": [
        {**status, "ready": True, "state": {"running": {}}}]}}, "default", subresource="status")
    previous = api.handle(ApiRequest("GET", path, admin, query={"previous": "true"}))
    assert previous.code == 400 and previous.body["message"] == 'previous terminated container "c" in pod "p" not found'
    assert api.handle(ApiRequest("GET", path, admin, query={"limitBytes": "5"})).body == "first"


def test_endpoint_slices_are_derived_from_endpoints_for_kubectl_describe_service(api, admin_client):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest
    from cluster.client import StatusError
    from cluster.client.resources import ENDPOINTS, Resource

    admin_client.create(ENDPOINTS, {"metadata": {"name": "web", "labels": {"app": "web"}}, "subsets": [{
        "addresses": [{"ip": "10.244.1.2", "nodeName": "node-1"}], "notReadyAddresses": [{"ip": "10.244.2.3"}],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}]}, "default")
    slices = Resource("discovery.k8s.io", "v1", "endpointslices")
    listed = admin_client.list(slices, "default", label_selector="kubernetes.io/service-name=web")
    [item] = listed["items"]
    assert item["metadata"]["name"].startswith("web-") and item["metadata"]["labels"]["app"] == "web"
    assert item["addressType"] == "IPv4" and item["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"]["ready"]) for e in item["endpoints"]] == [
        (["10.244.1.2"], True), (["10.244.2.3"], False)]
    assert admin_client.get(slices, item["metadata"]["name"], "default") == item
    assert admin_client.list(slices, "default", label_selector="kubernetes.io/service-name=other")["items"] == []
    with pytest.raises(StatusError) as refused:
        admin_client.create(slices, item, "default")
    assert refused.value.code == 405
    table = api.handle(ApiRequest("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                                  UserInfo("admin", ("system:masters",)),
                                  accept="application/json;as=Table;v=v1;g=meta.k8s.io"))
    assert [c["name"] for c in table.body["columnDefinitions"]] == ["Name", "AddressType", "Ports", "Endpoints",
                                                                    "Age"]
    assert table.body["rows"][0]["cells"][1:4] == ["IPv4", "80", "10.244.1.2,10.244.2.3"]


def test_openapi_marks_required_fields_as_the_kubernetes_generator_does():
    from cluster.api import openapi

    schemas = openapi.builtin_schemas()
    assert schemas["io.k8s.api.core.v1.Container"]["required"] == ["name"]
    assert schemas["io.k8s.api.core.v1.ServicePort"]["required"] == ["port"]
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["required"] == ["selector", "template"]
    assert schemas["io.k8s.api.core.v1.Event"]["required"] == ["metadata", "involvedObject"]  # reporting* optional
    assert "required" not in schemas["io.k8s.api.rbac.v1.Role"]
    assert "required" not in schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]


@pytest.mark.parametrize("path, obj, message", [
    ("/apis/apps/v1/namespaces/default/deployments",
     {"metadata": {"name": "d"}, "spec": {"replicas": "two", "selector": {"matchLabels": {"a": "b"}}}},
     'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct '
     "field DeploymentSpec.spec.replicas of type int32"),
    ("/api/v1/namespaces/default/pods",
     {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x",
                                                          "ports": [{"containerPort": "80"}]}]}},
     'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field '
     "ContainerPort.spec.containers.ports.containerPort of type int32"),
    ("/api/v1/namespaces/default/pods",
     {"metadata": {"name": "p"}, "spec": {"containers": {"name": "c"}}},
     'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field '
     "PodSpec.spec.containers of type []v1.Container"),
    ("/api/v1/namespaces/default/services",
     {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}], "selector": {"app": 1}}},
     'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number into Go struct field '
     "ServiceSpec.spec.selector of type string"),
])
def test_a_field_of_the_wrong_json_type_is_a_decode_error(api, path, obj, message):
    from cluster.api.identity import UserInfo
    from cluster.api.server import ApiRequest

    before = api.store.revision()
    response = api.handle(ApiRequest("POST", path, UserInfo("admin", ("system:masters",)),
                                     body=json.dumps(obj).encode()))
    assert (response.code, response.body["reason"], response.body["message"]) == (400, "BadRequest", message)
    assert api.store.revision() == before


def test_a_patch_that_leaves_a_field_of_the_wrong_type_is_invalid_on_patch(api, admin_client):
    from cluster.client import StatusError
    from cluster.client.resources import DEPLOYMENTS

    admin_client.create(DEPLOYMENTS, {"metadata": {"name": "d"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}},
        "default")
    before = api.store.revision()
    with pytest.raises(StatusError) as refused:
        admin_client.patch(DEPLOYMENTS, "d", {"spec": {"replicas": "two"}}, "default")
    assert refused.value.code == 422
    [cause] = refused.value.status["details"]["causes"]
    assert cause["field"] == "patch" and cause["message"].endswith(
        ": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
    assert api.store.revision() == before


def test_impersonating_a_service_account_brings_its_groups_and_checks_serviceaccounts(api, admin_client):
    from cluster.api.identity import AUTHENTICATED, UserInfo
    from cluster.api.server import ApiRequest
    from cluster.client.resources import CLUSTERROLES, CLUSTERROLEBINDINGS, ROLEBINDINGS

    admin_client.create(ROLEBINDINGS, {"metadata": {"name": "team-view"}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:default"}]},
        "default")
    admin = UserInfo("admin", ("system:masters", AUTHENTICATED))
    as_sa = api.handle(ApiRequest("GET", "/api/v1/namespaces/default/pods", admin,
                                  impersonate_user="system:serviceaccount:default:builder"))
    assert as_sa.code == 200
    who = api.handle(ApiRequest("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", admin,
                                body=b'{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}',
                                impersonate_user="system:serviceaccount:default:builder"))
    assert who.body["status"]["userInfo"]["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default",
                                                        "system:authenticated"]
    # Impersonating a service account needs "impersonate serviceaccounts" in its namespace, not "users".
    admin_client.create(CLUSTERROLES, {"metadata": {"name": "impersonate-users"}, "rules": [
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]})
    admin_client.create(CLUSTERROLEBINDINGS, {"metadata": {"name": "carol-impersonates"}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "impersonate-users"}, "subjects": [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "carol"}]})
    carol = UserInfo("carol", (AUTHENTICATED,))
    refused = api.handle(ApiRequest("GET", "/api/v1/namespaces/default/pods", carol,
                                    impersonate_user="system:serviceaccount:default:builder"))
    assert refused.code == 403 and refused.body["message"] == (
        'serviceaccounts "builder" is forbidden: User "carol" cannot impersonate resource "serviceaccounts" in API '
        'group "" in the namespace "default"')


@pytest.mark.parametrize("resource, obj, message", [
    ("configmaps", {"metadata": {"name": "k"}, "data": {"bad key!": "x"}},
     'ConfigMap "k" is invalid: data[bad key!]: Invalid value: "bad key!": a valid config key must consist of '
     "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
     "validation is '[-._a-zA-Z0-9]+')"),
    ("secrets", {"metadata": {"name": "k"}, "data": {"..x": "eA=="}},
     'Secret "k" is invalid: data[..x]: Invalid value: "..x": must not start with \'..\''),
    ("services", {"metadata": {"name": "k"}, "spec": {"type": "Bogus", "ports": [{"port": 80}]}},
     'Service "k" is invalid: spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", '
     '"ExternalName", "LoadBalancer", "NodePort"'),
])
def test_config_keys_and_service_types_are_validated(admin_client, resource, obj, message):
    from cluster.client import StatusError
    from cluster.client.resources import Resource

    with pytest.raises(StatusError) as refused:
        admin_client.create(Resource("", "v1", resource), obj, "default")
    assert refused.value.code == 422 and str(refused.value) == message


def test_container_ports_and_pull_policies_are_validated(admin_client):
    from cluster.client import StatusError
    from cluster.client.resources import PODS

    with pytest.raises(StatusError) as refused:
        admin_client.create(PODS, {"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "c", "image": "x", "imagePullPolicy": "Sometimes", "ports": [{"containerPort": 70000}]}]}},
            "default")
    assert str(refused.value) == (
        'Pod "p" is invalid: [spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "IfNotPresent", "Never", spec.containers[0].ports[0].containerPort: Invalid value: 70000: '
        "must be between 1 and 65535, inclusive]")


def test_a_token_request_returns_an_expiring_jwt_for_the_service_account(api, admin_client, monkeypatch):
    import base64
    import time as clock

    from cluster.api import authn
    from cluster.client import StatusError
    from cluster.client.resources import SERVICEACCOUNTS

    account = admin_client.get(SERVICEACCOUNTS, "default", "default")
    review = admin_client.create(SERVICEACCOUNTS, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                                   "spec": {"expirationSeconds": 600}}, "default",
                                 subresource_of="default", subresource="token")
    token = review["status"]["token"]
    header, claims, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "default", "uid": account["metadata"]["uid"]}
    assert claims["exp"] - claims["iat"] == 600
    user = authn.authenticate_token(token)
    assert user is not None and user.username == "system:serviceaccount:default:default"
    assert "system:serviceaccounts:default" in user.groups
    assert authn.authenticate_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None  # forged
    later = clock.time() + 601
    monkeypatch.setattr(authn.time, "time", lambda: later)
    assert authn.authenticate_token(token) is None  # expired
    with pytest.raises(StatusError) as refused:
        admin_client.create(SERVICEACCOUNTS, {"spec": {"expirationSeconds": 60}}, "default",
                            subresource_of="default", subresource="token")
    assert refused.value.code == 422 and "may not specify a duration less than 10 minutes" in str(refused.value)
