"""cluster.api.rbac: RBAC decisions, reasons and forbidden messages as kube-apiserver gives them."""
from __future__ import annotations

import pytest

from cluster.api.identity import RequestAttributes as RA
from cluster.api.identity import UserInfo, service_account_user, split_service_account
from cluster.api.rbac import (
    Decision,
    RbacPolicy,
    authorize,
    bootstrap_policy,
    forbidden_message,
    node_authorizer,
    rule_allows,
)

AUTH = "system:authenticated"


def user(name, *groups):
    return UserInfo(name, (*groups, AUTH))


def binding(kind, name, role_kind, role, subjects, namespace=""):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    }


POLICY_OBJECTS = bootstrap_policy() + [
    binding("RoleBinding", "viewers", "ClusterRole", "view", [{"kind": "User", "name": "viewer"}], "default"),
    binding("RoleBinding", "editors", "ClusterRole", "edit", [{"kind": "Group", "name": "dev"}], "default"),
    binding("RoleBinding", "admins", "ClusterRole", "admin", [{"kind": "User", "name": "alice"}], "default"),
    binding("RoleBinding", "ci", "Role", "pod-reader", [{"kind": "ServiceAccount", "name": "ci"}], "default"),
    binding("ClusterRoleBinding", "ops-read", "ClusterRole", "view",
            [{"kind": "ServiceAccount", "name": "monitor", "namespace": "ops"}]),
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "pod-reader", "namespace": "default"},
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["app-config"]},
        ],
    },
]
POLICY = RbacPolicy.from_objects(POLICY_OBJECTS)

VIEWER = user("viewer")
EDITOR = user("bob", "dev")
ADMIN = user("alice")
ROOT = user("root", "system:masters")
CI = service_account_user("default", "ci")
MONITOR = service_account_user("ops", "monitor")
NOBODY = user("mallory")
SCHEDULER = user("system:kube-scheduler")
CONTROLLERS = user("system:kube-controller-manager")


def pods(verb, ns="default", name="", sub=""):
    return RA(verb, "", "pods", sub, ns, name)


def deployments(verb, ns="default", name="", sub=""):
    return RA(verb, "apps", "deployments", sub, ns, name)


TABLE = [
    # viewer: read-only in "default", nothing elsewhere, no secrets
    (VIEWER, pods("get", name="web-1"), True),
    (VIEWER, pods("list"), True),
    (VIEWER, pods("watch"), True),
    (VIEWER, pods("delete", name="web-1"), False),
    (VIEWER, pods("get", name="web-1", sub="log"), True),
    (VIEWER, pods("create", name="web-1", sub="exec"), False),
    (VIEWER, pods("list", ns="kube-system"), False),
    (VIEWER, RA("get", "", "secrets", "", "default", "db"), False),
    (VIEWER, deployments("get", sub="scale", name="web"), True),
    (VIEWER, deployments("update", sub="scale", name="web"), False),
    (VIEWER, RA("list", "kubeviz.io", "trainingjobs", "", "default"), True),
    (VIEWER, RA("list", "rbac.authorization.k8s.io", "roles", "", "default"), False),
    # editor (through a group): writes workloads and secrets, not RBAC
    (EDITOR, deployments("create"), True),
    (EDITOR, deployments("patch", sub="scale", name="web"), True),
    (EDITOR, deployments("update", sub="status", name="web"), False),
    (EDITOR, RA("get", "", "secrets", "", "default", "db"), True),
    (EDITOR, RA("create", "batch", "jobs", "", "default"), True),
    (EDITOR, RA("update", "coordination.k8s.io", "leases", "", "default", "x"), True),
    (EDITOR, RA("create", "", "pods", "eviction", "default", "web-1"), True),
    (EDITOR, RA("create", "rbac.authorization.k8s.io", "rolebindings", "", "default"), False),
    (EDITOR, RA("delete", "kubeviz.io", "trainingjobs", "", "default", "t"), True),
    (EDITOR, RA("get", "", "namespaces", "", "", "default"), False),  # cluster-scoped: RoleBinding doesn't reach
    # admin: edit + RBAC in the namespace
    (ADMIN, RA("create", "rbac.authorization.k8s.io", "rolebindings", "", "default"), True),
    (ADMIN, RA("create", "authorization.k8s.io", "localsubjectaccessreviews", "", "default"), True),
    (ADMIN, RA("delete", "", "namespaces", "", "", "default"), False),
    (ADMIN, pods("delete", ns="other", name="x"), False),
    # cluster-admin: everything, resource or not
    (ROOT, RA("delete", "", "nodes", "", "", "node-1"), True),
    (ROOT, RA("get", "", "", resource_request=False, path="/metrics"), True),
    (ROOT, RA("frobnicate", "made.up", "things", "x"), True),
    # service accounts
    (CI, pods("list"), True),
    (CI, pods("get", name="x", sub="log"), True),
    (CI, pods("delete", name="x"), False),
    (CI, RA("get", "", "configmaps", "", "default", "app-config"), True),
    (CI, RA("get", "", "configmaps", "", "default", "other"), False),
    (CI, RA("list", "", "configmaps", "", "default"), False),
    (service_account_user("other", "ci"), pods("list"), False),
    (MONITOR, pods("list", ns="anything"), True),
    (MONITOR, pods("list", ns=""), True),
    # everybody authenticated: discovery and self reviews, nothing else
    (NOBODY, RA("get", "", "", resource_request=False, path="/apis/apps/v1"), True),
    (NOBODY, RA("get", "", "", resource_request=False, path="/version"), True),
    (NOBODY, RA("get", "", "", resource_request=False, path="/metrics"), False),
    (NOBODY, RA("post", "", "", resource_request=False, path="/api"), False),
    (NOBODY, RA("create", "authorization.k8s.io", "selfsubjectaccessreviews", ""), True),
    (NOBODY, pods("list"), False),
    (UserInfo("system:anonymous", ("system:unauthenticated",)), RA("get", "", "", resource_request=False, path="/healthz"), True),
    (UserInfo("system:anonymous", ("system:unauthenticated",)), RA("get", "", "", resource_request=False, path="/api"), False),
    # control-plane components
    (SCHEDULER, RA("create", "", "pods", "binding", "default", "web-1"), True),
    (SCHEDULER, RA("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-scheduler"), True),
    (SCHEDULER, RA("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-controller-manager"), False),
    (SCHEDULER, RA("create", "apps", "deployments", "", "default"), False),
    (CONTROLLERS, RA("create", "", "pods", "", "default"), True),
    (CONTROLLERS, RA("update", "apps", "replicasets", "status", "default", "web-abc"), True),
    (CONTROLLERS, RA("delete", "", "pods", "", "default", "web-1"), True),
    (CONTROLLERS, RA("create", "rbac.authorization.k8s.io", "clusterrolebindings", ""), False),
]


@pytest.mark.parametrize("who, attrs, allowed", TABLE, ids=[f"{u.username}-{a.verb}-{a.resource or a.path}-{a.subresource}" for u, a, _ in TABLE])
def test_decision_table(who, attrs, allowed):
    assert authorize(who, attrs, POLICY).allowed is allowed


def test_allowed_reasons_name_binding_role_and_subject():
    assert authorize(ROOT, pods("get", name="x"), POLICY).reason == (
        'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"'
    )
    assert authorize(VIEWER, pods("get", name="x"), POLICY).reason == (
        'RBAC: allowed by RoleBinding "viewers/default" of ClusterRole "view" to User "viewer"'
    )
    assert authorize(CI, pods("list"), POLICY).reason == (
        'RBAC: allowed by RoleBinding "ci/default" of Role "pod-reader" to ServiceAccount "ci/default"'
    )
    assert authorize(MONITOR, pods("list"), POLICY).reason == (
        'RBAC: allowed by ClusterRoleBinding "ops-read" of ClusterRole "view" to ServiceAccount "monitor/ops"'
    )


def test_denied_reasons():
    assert authorize(NOBODY, pods("list"), POLICY) == Decision(False, "no RBAC policy matched")
    broken = RbacPolicy.from_objects([binding("ClusterRoleBinding", "b", "ClusterRole", "gone", [{"kind": "User", "name": "mallory"}])])
    assert authorize(NOBODY, pods("list"), broken).reason == 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found'


def test_forbidden_messages():
    assert forbidden_message(VIEWER, pods("delete", name="web-1")) == (
        'pods "web-1" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"'
    )
    assert forbidden_message(VIEWER, pods("list")) == (
        'pods is forbidden: User "viewer" cannot list resource "pods" in API group "" in the namespace "default"'
    )
    assert forbidden_message(VIEWER, RA("list", "", "nodes", "")) == (
        'nodes is forbidden: User "viewer" cannot list resource "nodes" in API group "" at the cluster scope'
    )
    assert forbidden_message(VIEWER, RA("create", "", "pods", "eviction", "default", "web-1")) == (
        'pods "web-1" is forbidden: User "viewer" cannot create resource "pods/eviction" in API group "" in the namespace "default"'
    )
    assert forbidden_message(VIEWER, deployments("patch", name="web", sub="scale")) == (
        'deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments/scale" in API group "apps" '
        'in the namespace "default"'
    )
    assert forbidden_message(CI, pods("delete", name="x")).startswith(
        'pods "x" is forbidden: User "system:serviceaccount:default:ci" cannot delete'
    )
    assert forbidden_message(NOBODY, RA("get", "", "", resource_request=False, path="/metrics")) == (
        'forbidden: User "mallory" cannot get path "/metrics"'
    )
    assert forbidden_message(NOBODY, pods("list"), "no RBAC policy matched").endswith(': no RBAC policy matched')


def test_rule_matching_details():
    wildcard_sub = {"apiGroups": ["*"], "resources": ["*/scale"], "verbs": ["update"]}
    assert rule_allows(RA("update", "apps", "deployments", "scale", "d", "x"), wildcard_sub)
    assert not rule_allows(RA("update", "apps", "deployments", "", "d", "x"), wildcard_sub)
    assert not rule_allows(RA("update", "apps", "deployments", "status", "d", "x"), wildcard_sub)
    plain = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    assert not rule_allows(RA("get", "", "pods", "status", "d", "x"), plain)  # subresources are separate
    urls = {"nonResourceURLs": ["/healthz/*"], "verbs": ["get"]}
    assert rule_allows(RA("get", "", "", resource_request=False, path="/healthz/etcd"), urls)
    assert not rule_allows(RA("get", "", "", resource_request=False, path="/healthz"), urls)
    assert not rule_allows(RA("get", "", "", resource_request=False, path="/healthz/etcd"), plain)


def test_service_account_subject_defaults_to_binding_namespace():
    objs = [
        binding("RoleBinding", "b", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "ci"}], "default"),
        *[o for o in bootstrap_policy() if o["metadata"]["name"] == "view"],
    ]
    policy = RbacPolicy.from_objects(objs)
    assert authorize(CI, pods("list"), policy).allowed
    assert not authorize(service_account_user("other", "ci"), pods("list", ns="default"), policy).allowed
    # A ClusterRoleBinding needs the namespace spelled out.
    cluster = RbacPolicy.from_objects([binding("ClusterRoleBinding", "c", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "ci"}]), *objs[1:]])
    assert not authorize(CI, pods("list"), cluster).allowed


def test_aggregated_cluster_roles():
    objs = [
        {"kind": "ClusterRole", "metadata": {"name": "monitoring"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "yes"}}]}},
        {"kind": "ClusterRole", "metadata": {"name": "part", "labels": {"agg": "yes"}},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]},
        binding("ClusterRoleBinding", "m", "ClusterRole", "monitoring", [{"kind": "User", "name": "mallory"}]),
    ]
    assert authorize(NOBODY, pods("list"), RbacPolicy.from_objects(objs)).allowed


def test_rules_for_lists_what_a_user_may_do():
    rules = POLICY.rules_for(CI, "default")
    assert {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]} in rules
    assert any("nonResourceURLs" in r for r in rules)  # discovery, via system:authenticated
    assert POLICY.rules_for(CI, "other") == [r for r in rules if r not in POLICY.role_rules("Role", "pod-reader", "default")]


def test_bootstrap_policy_shape():
    objs = bootstrap_policy()
    names = {(o["kind"], o["metadata"]["name"]) for o in objs}
    for role in ("cluster-admin", "admin", "edit", "view", "system:kube-scheduler", "system:kube-controller-manager",
                 "system:node", "system:basic-user", "system:discovery"):
        assert ("ClusterRole", role) in names
    for crb in ("cluster-admin", "system:kube-scheduler", "system:kube-controller-manager", "system:discovery",
                "system:basic-user"):
        assert ("ClusterRoleBinding", crb) in names
    assert all(o["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults" for o in objs)
    assert all(o["apiVersion"] == "rbac.authorization.k8s.io/v1" for o in objs)
    crb = next(o for o in objs if o["kind"] == "ClusterRoleBinding" and o["metadata"]["name"] == "cluster-admin")
    assert crb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    objs[0]["rules"].clear()
    assert bootstrap_policy()[0]["rules"]  # fresh copies every time


def test_role_hierarchy_admin_edit_view():
    roles = {o["metadata"]["name"]: o["rules"] for o in bootstrap_policy() if o["kind"] == "ClusterRole"}
    assert all(r in roles["edit"] for r in roles["view"])
    assert all(r in roles["admin"] for r in roles["edit"])


# --- node authorizer ---------------------------------------------------------------------

NODE1 = UserInfo("system:node:node-1", ("system:nodes", AUTH))
PODS = {
    ("default", "mine"): {"metadata": {"name": "mine"}, "spec": {"nodeName": "node-1"}},
    ("default", "theirs"): {"metadata": {"name": "theirs"}, "spec": {"nodeName": "node-2"}},
    ("default", "pending"): {"metadata": {"name": "pending"}, "spec": {}},
}


def get_object(resource, namespace, name):
    assert resource == "pods"
    return PODS.get((namespace, name))


NODE_TABLE = [
    (RA("get", "", "nodes", "", "", "node-2"), True),
    (RA("list", "", "nodes", ""), True),
    (RA("watch", "", "pods", "", ""), True),
    (RA("list", "", "services", "", ""), True),
    (RA("get", "", "endpoints", "", "default", "kubernetes"), True),
    (RA("create", "", "nodes", "", "", "node-1"), True),
    (RA("patch", "", "nodes", "status", "", "node-1"), True),
    (RA("update", "", "nodes", "", "", "node-1"), True),
    (RA("patch", "", "nodes", "status", "", "node-2"), False),
    (RA("delete", "", "nodes", "", "", "node-2"), False),
    (RA("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "node-1"), True),
    (RA("create", "coordination.k8s.io", "leases", "", "kube-node-lease", "node-1"), True),
    (RA("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "node-2"), False),
    (RA("update", "coordination.k8s.io", "leases", "", "kube-system", "node-1"), False),
    (RA("patch", "", "pods", "status", "default", "mine"), True),
    (RA("patch", "", "pods", "status", "default", "theirs"), False),
    (RA("patch", "", "pods", "status", "default", "pending"), False),
    (RA("delete", "", "pods", "", "default", "mine"), True),
    (RA("delete", "", "pods", "", "default", "theirs"), False),
    (RA("delete", "", "pods", "", "default", "missing"), False),
    (RA("update", "", "pods", "", "default", "mine"), False),
    (RA("create", "", "pods", "", "default"), False),
    (RA("create", "", "events", "", "default"), True),
]


@pytest.mark.parametrize("attrs, allowed", NODE_TABLE)
def test_node_authorizer(attrs, allowed):
    decision = node_authorizer(NODE1, attrs, get_object)
    assert decision is not None and decision.allowed is allowed


def test_node_authorizer_has_no_opinion_on_others():
    assert node_authorizer(VIEWER, pods("get", name="mine"), get_object) is None
    # the name alone is not enough: the group is what the node credential carries
    assert node_authorizer(UserInfo("system:node:node-1", (AUTH,)), pods("delete", name="mine"), get_object) is None
    assert node_authorizer(NODE1, RA("get", "", "", resource_request=False, path="/api"), get_object) is None
    assert node_authorizer(NODE1, RA("create", "authorization.k8s.io", "selfsubjectaccessreviews", ""), get_object) is None
    assert node_authorizer(NODE1, RA("get", "", "secrets", "", "default", "s"), get_object) is None


def test_node_denial_reason():
    decision = node_authorizer(NODE1, RA("delete", "", "pods", "", "default", "theirs"), get_object)
    assert decision.reason == "no relationship found between node 'node-1' and this object"


def test_service_account_identity_helpers():
    sa = service_account_user("default", "ci")
    assert sa.username == "system:serviceaccount:default:ci"
    assert sa.groups == ("system:serviceaccounts", "system:serviceaccounts:default", AUTH)
    assert split_service_account(sa.username) == ("default", "ci")
    assert split_service_account("system:serviceaccount:bad") is None
    assert split_service_account("alice") is None
