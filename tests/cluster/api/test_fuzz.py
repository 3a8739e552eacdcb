"""Hostile input at every endpoint: never a 500, never a half-written object."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from cluster.api.identity import AUTHENTICATED, MASTERS, UserInfo
from cluster.api.server import ApiRequest

ADMIN = UserInfo("admin", (MASTERS, AUTHENTICATED))
PATHS = [
    "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/pods/p", "/api/v1/namespaces/default/pods/p/status",
    "/api/v1/namespaces/default/pods/p/binding", "/api/v1/namespaces/default/pods/p/eviction",
    "/api/v1/namespaces/default/pods/p/log", "/api/v1/nodes", "/api/v1/nodes/n", "/api/v1/namespaces",
    "/api/v1/namespaces/default", "/api/v1/namespaces/default/finalize", "/apis/apps/v1/namespaces/default/deployments",
    "/apis/apps/v1/namespaces/default/deployments/d/scale", "/apis/batch/v1/namespaces/default/jobs",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "/api/v1/namespaces/default/configmaps/c",
    "/api", "/apis", "/api/v1", "/apis/apps/v1", "/api/v1/namespaces/default/nothing", "/apis/x/y/z/w/v/u",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["metadata", "spec", "status", "name", "kind", "apiVersion", "replicas", "containers",
                         "labels", "selector", "template", "finalizers", "target", "op", "path", "value"])
        | st.text(max_size=8), children, max_size=5),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"metadata": st.fixed_dictionaries({"name": st.text(max_size=70)}),
                           "spec": JSON_VALUES}).map(lambda v: json.dumps(v).encode()),
)
QUERIES = st.dictionaries(
    st.sampled_from(["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch",
                     "timeoutSeconds", "dryRun", "propagationPolicy", "gracePeriodSeconds", "container",
                     "tailLines", "resourceVersionMatch"]),
    st.text(max_size=30), max_size=4)
CONTENT_TYPES = st.sampled_from(["application/json", "application/yaml", "application/merge-patch+json",
                                 "application/json-patch+json", "application/strategic-merge-patch+json",
                                 "application/apply-patch+yaml", "text/plain", "", "application/json; charset=x"])


def _snapshot(api) -> list[tuple[bytes, bytes]]:
    return [(kv.key, kv.value) for kv in api.store.range(b"\0", b"\0").kvs]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]), path=st.sampled_from(PATHS),
       body=BODIES, query=QUERIES, content_type=CONTENT_TYPES)
def test_hostile_requests_never_500(api, method, path, body, query, content_type):
    query = {k: v for k, v in query.items() if not (k == "watch" and v in ("true", "1"))}
    revision = api.store.revision()
    response = api.handle(ApiRequest(method, path, ADMIN, query, body, content_type))
    assert response.code < 500, response.body
    if response.code >= 400:
        assert response.body["kind"] == "Status" and response.body["status"] == "Failure"
        assert api.store.revision() == revision, "a refused request wrote to the store"
    for key, value in _snapshot(api):
        assert isinstance(json.loads(value), dict), key  # every stored object is whole JSON


HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["get", "post", "put", "patch", "delete"]), path=st.sampled_from(PATHS),
       authorization=st.one_of(st.just("token"), HEADER_VALUES.map(lambda v: "Bearer " + v), HEADER_VALUES),
       content_type=CONTENT_TYPES | HEADER_VALUES, accept=HEADER_VALUES, body=BODIES,
       query=st.text(max_size=40))
def test_hostile_http_requests_never_500(api, method, path, authorization, content_type, accept, body, query):
    from django.test import Client

    from cluster.api import authn, service

    service._server = api  # the views serve this test's API server
    token = authn.issue_token("fuzzer", ["system:masters"])
    header = f"Bearer {token}" if authorization == "token" else authorization
    revision = api.store.revision()
    headers = {"HTTP_AUTHORIZATION": header, "HTTP_ACCEPT": accept}
    # generic() sends the body bytes as they are, whatever the content type claims.
    response = Client().generic(method.upper(), f"{path}?{query}", data=b"" if method == "get" else body,
                                content_type=content_type or "text/plain", **headers)
    service.reset()
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.json()["kind"] == "Status"
        assert api.store.revision() == revision
