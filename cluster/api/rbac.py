"""RBAC authorization, evaluated as kube-apiserver's RBAC authorizer does, on plain dicts.

``authorize(user, attrs, policy)`` walks ClusterRoleBindings, then the RoleBindings of the
request's namespace; a binding applies when one of its subjects is the user (User, Group,
ServiceAccount), and the request is allowed by the first rule of its role that matches
verb, API group, resource (``pods/status``, ``*``, ``*/scale``), resource name, or - for
non-resource requests - URL (``/apis/*``). There is no deny: no match means no.

``node_authorizer`` plays the Node authorizer plus NodeRestriction admission for kubelets
(``system:node:<name>`` in ``system:nodes``), and ``bootstrap_policy()`` is the default
policy kube-apiserver creates at start-up, trimmed to what KubeViz serves.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cluster.api.identity import (
    AUTHENTICATED,
    MASTERS,
    NODE_PREFIX,
    NODES_GROUP,
    UNAUTHENTICATED,
    RequestAttributes,
    UserInfo,
    service_account_username,
)

Obj = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_API_VERSION = f"{RBAC_GROUP}/v1"
ALL = "*"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


# --- rule matching (rbac/v1 helpers) -------------------------------------------------


def _verb_matches(rule: Mapping[str, Any], verb: str) -> bool:
    verbs = rule.get("verbs") or []
    return ALL in verbs or verb in verbs


def _group_matches(rule: Mapping[str, Any], group: str) -> bool:
    groups = rule.get("apiGroups") or []
    return ALL in groups or group in groups


def _resource_matches(rule: Mapping[str, Any], resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for candidate in rule.get("resources") or []:
        if candidate in (ALL, combined):
            return True
        # "*/scale" grants the scale subresource of every resource.
        if subresource and candidate == f"*/{subresource}":
            return True
    return False


def _name_matches(rule: Mapping[str, Any], name: str) -> bool:
    names = rule.get("resourceNames") or []
    return not names or name in names


def _url_matches(rule: Mapping[str, Any], path: str) -> bool:
    for url in rule.get("nonResourceURLs") or []:
        if url in (ALL, path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attrs: RequestAttributes, rule: Mapping[str, Any]) -> bool:
    """RuleAllows: does this one PolicyRule cover the request?"""
    if attrs.resource_request:
        return (
            _verb_matches(rule, attrs.verb)
            and _group_matches(rule, attrs.api_group)
            and _resource_matches(rule, attrs.resource, attrs.subresource)
            and _name_matches(rule, attrs.name)
        )
    return _verb_matches(rule, attrs.verb) and _url_matches(rule, attrs.path)


# --- the policy -----------------------------------------------------------------------


def _matches_labels(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    from cluster.api.selectors import SelectorError, label_selector_from_object

    try:
        return label_selector_from_object(selector).matches(labels)
    except SelectorError:
        return False


@dataclass
class RbacPolicy:
    """The RBAC objects of a cluster, indexed for evaluation."""

    roles: dict[tuple[str, str], Obj] = field(default_factory=dict)  # (namespace, name)
    cluster_roles: dict[str, Obj] = field(default_factory=dict)
    role_bindings: list[Obj] = field(default_factory=list)
    cluster_role_bindings: list[Obj] = field(default_factory=list)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]]) -> "RbacPolicy":
        policy = cls()
        for obj in objects:
            kind, meta = obj.get("kind"), obj.get("metadata") or {}
            name, namespace = meta.get("name", ""), meta.get("namespace", "")
            if kind == "Role":
                policy.roles[(namespace, name)] = dict(obj)
            elif kind == "ClusterRole":
                policy.cluster_roles[name] = dict(obj)
            elif kind == "RoleBinding":
                policy.role_bindings.append(dict(obj))
            elif kind == "ClusterRoleBinding":
                policy.cluster_role_bindings.append(dict(obj))
        policy.role_bindings.sort(key=lambda b: (b["metadata"].get("namespace", ""), b["metadata"].get("name", "")))
        policy.cluster_role_bindings.sort(key=lambda b: b["metadata"].get("name", ""))
        return policy

    def cluster_role_rules(self, name: str) -> list[Obj] | None:
        """A ClusterRole's rules, aggregating (one level) when it has an aggregationRule."""
        role = self.cluster_roles.get(name)
        if role is None:
            return None
        rules = list(role.get("rules") or [])
        selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
        if selectors:
            for other_name, other in sorted(self.cluster_roles.items()):
                labels = (other.get("metadata") or {}).get("labels") or {}
                if other_name != name and any(_matches_labels(s, labels) for s in selectors):
                    rules.extend(r for r in other.get("rules") or [] if r not in rules)
        return rules

    def role_rules(self, kind: str, name: str, namespace: str) -> list[Obj] | None:
        if kind == "ClusterRole":
            return self.cluster_role_rules(name)
        if kind == "Role":
            role = self.roles.get((namespace, name))
            return None if role is None else list(role.get("rules") or [])
        return None

    def _visit(self, user: UserInfo, namespace: str) -> Iterator[tuple[str, Obj | None, str]]:
        """(description, rule, error) for every rule that applies to the user in the namespace."""
        scopes: list[tuple[Obj, str]] = [(b, "") for b in self.cluster_role_bindings]
        if namespace:
            scopes += [(b, namespace) for b in self.role_bindings if b["metadata"].get("namespace", "") == namespace]
        for binding, binding_namespace in scopes:
            subject = next((s for s in binding.get("subjects") or [] if _applies_to(user, s, binding_namespace)), None)
            if subject is None:
                continue
            ref = binding.get("roleRef") or {}
            rules = self.role_rules(ref.get("kind", ""), ref.get("name", ""), binding_namespace)
            if rules is None:
                kind = "clusterrole" if ref.get("kind") == "ClusterRole" else "role"
                yield "", None, f'{kind}.{RBAC_GROUP} "{ref.get("name", "")}" not found'
                continue
            description = _describe(binding, binding_namespace, subject)
            for rule in rules:
                yield description, rule, ""

    def rules_for(self, user: UserInfo, namespace: str) -> list[Obj]:
        """Every rule granted to the user in the namespace (SelfSubjectRulesReview)."""
        found: list[Obj] = []
        for _, rule, _ in self._visit(user, namespace):
            if rule is not None and rule not in found:
                found.append(rule)
        return found


def _applies_to(user: UserInfo, subject: Mapping[str, Any], namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return user.username == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        # A RoleBinding may leave the namespace out: it means the binding's own.
        sa_namespace = subject.get("namespace") or namespace
        return bool(sa_namespace) and user.username == service_account_username(sa_namespace, name)
    return False


def _describe_subject(subject: Mapping[str, Any], binding_namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return f'ServiceAccount {json.dumps(subject.get("name", "") + "/" + namespace)}'
    return f'{subject.get("kind")} {json.dumps(subject.get("name", ""))}'


def _describe(binding: Mapping[str, Any], binding_namespace: str, subject: Mapping[str, Any]) -> str:
    ref = binding.get("roleRef") or {}
    name = binding["metadata"].get("name", "")
    role = f'{ref.get("kind")} {json.dumps(ref.get("name", ""))}'
    if binding_namespace:
        return f"RoleBinding {json.dumps(name + '/' + binding_namespace)} of {role} to {_describe_subject(subject, binding_namespace)}"
    return f"ClusterRoleBinding {json.dumps(name)} of {role} to {_describe_subject(subject, '')}"


def authorize(user: UserInfo, attrs: RequestAttributes, policy: RbacPolicy) -> Decision:
    """Allowed with the real apiserver's reason, or denied ("no RBAC policy matched")."""
    errors: list[str] = []
    for description, rule, error in policy._visit(user, attrs.namespace):
        if error:
            errors.append(error)
        elif rule is not None and rule_allows(attrs, rule):
            return Decision(True, f"RBAC: allowed by {description}")
    if errors:
        return Decision(False, "RBAC: " + (errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"))
    return Decision(False, "no RBAC policy matched")


def forbidden_message(user: UserInfo, attrs: RequestAttributes, reason: str = "") -> str:
    """The 403 Status message, as kube-apiserver's responsewriters.Forbidden words it."""
    who = json.dumps(user.username)
    if not attrs.resource_request:
        message = f"forbidden: User {who} cannot {attrs.verb} path {json.dumps(attrs.path)}"
    else:
        resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
        detail = (
            f"User {who} cannot {attrs.verb} resource {json.dumps(resource)} in API group {json.dumps(attrs.api_group)}"
        )
        detail += f" in the namespace {json.dumps(attrs.namespace)}" if attrs.namespace else " at the cluster scope"
        qualified = f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
        head = f"{qualified} {json.dumps(attrs.name)}" if attrs.name else qualified
        message = f"{head} is forbidden: {detail}"
    return f"{message}: {reason}" if reason else message


# --- Node authorizer + NodeRestriction -------------------------------------------------

NODE_LEASE_NAMESPACE = "kube-node-lease"
_READ = ("get", "list", "watch")
_NODE_READABLE = {"nodes", "pods", "services", "endpoints"}


def node_name(user: UserInfo) -> str | None:
    """The node a kubelet credential speaks for: both the name prefix and the group are needed."""
    if user.username.startswith(NODE_PREFIX) and NODES_GROUP in user.groups:
        return user.username[len(NODE_PREFIX):] or None
    return None


GetObject = Callable[[str, str, str], "Obj | None"]  # (resource, namespace, name) -> object


def node_authorizer(user: UserInfo, attrs: RequestAttributes, get_object: GetObject) -> Decision | None:
    """Decide kubelet requests about nodes, pods, leases, services, endpoints and events.

    Returns None when the user is not a node, and for requests this authorizer has no
    opinion on (discovery, self-reviews...), which RBAC then decides.
    """
    node = node_name(user)
    if node is None or not attrs.resource_request:
        return None
    verb, resource, sub = attrs.verb, attrs.resource, attrs.subresource
    allow = Decision(True, f'node "{node}" is allowed to {verb} {resource}{"/" + sub if sub else ""}')
    unrelated = Decision(False, f"no relationship found between node '{node}' and this object")

    if attrs.api_group == "":
        if resource in _NODE_READABLE and not sub and verb in _READ:
            return allow
        if resource == "events":
            return allow if verb in ("create", "patch", "update") else None
        if resource == "nodes":
            # A kubelet registers, updates and reports status for its own Node only.
            if attrs.name == node and (
                (not sub and verb in ("create", "update", "patch")) or (sub == "status" and verb in ("get", "update", "patch"))
            ):
                return allow
            if not attrs.name and not sub and verb == "create":
                return allow  # the name is in the body: NodeRestriction admission checks it
            return Decision(False, f"node '{node}' cannot modify node '{attrs.name}'")
        if resource == "pods":
            pod_verbs = {"": ("delete",), "status": ("get", "update", "patch"), "eviction": ("create",)}
            if verb not in pod_verbs.get(sub, ()):
                return unrelated
            pod = get_object("pods", attrs.namespace, attrs.name) if attrs.name else None
            bound_to = ((pod or {}).get("spec") or {}).get("nodeName")
            return allow if bound_to == node else unrelated
        return None
    if attrs.api_group == "coordination.k8s.io" and resource == "leases":
        if attrs.namespace != NODE_LEASE_NAMESPACE:
            return unrelated
        if verb == "get" or (attrs.name == node and verb in ("create", "update", "patch", "delete")):
            return allow
        if not attrs.name and verb == "create":
            return allow  # the name is in the body: NodeRestriction admission checks it
        return unrelated
    return None


def node_restriction(user: UserInfo, resource: str, namespace: str, obj: Mapping[str, Any]) -> str | None:
    """NodeRestriction admission for creates: a node may create only its own Node
    and its own Lease. Returns the refusal message, or None when allowed."""
    node = node_name(user)
    if node is None or resource not in ("nodes", "leases"):
        return None
    name = (obj.get("metadata") or {}).get("name", "")
    if resource == "leases" and namespace != NODE_LEASE_NAMESPACE:
        return None  # decided by the node authorizer already
    if name != node:
        singular = "node" if resource == "nodes" else "lease"
        return f'node "{node}" is not allowed to modify {singular} "{name}"'
    return None


# --- the bootstrap policy --------------------------------------------------------------

READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
READ_WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


def _rule(verbs: list[str], groups: list[str], resources: list[str], names: list[str] | None = None) -> Obj:
    rule: Obj = {"verbs": list(verbs), "apiGroups": list(groups), "resources": sorted(resources)}
    if names:
        rule["resourceNames"] = list(names)
    return rule


def _urls(verbs: list[str], urls: list[str]) -> Obj:
    return {"verbs": list(verbs), "nonResourceURLs": list(urls)}


# Kubernetes' aggregate-to-view/-edit/-admin roles, flattened: KubeViz runs no aggregation
# controller, so view, edit and admin carry their rules directly (admin ⊇ edit ⊇ view).
_VIEW_RULES = [
    _rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                       "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                       "services/status"]),
    _rule(READ, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                       "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
    _rule(READ, [""], ["namespaces"]),
    _rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    _rule(READ, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                           "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
                           "statefulsets", "statefulsets/scale", "statefulsets/status"]),
    _rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
    _rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
    _rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    _rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
    # KubeViz's own kind, as a CRD labelled aggregate-to-view would contribute it.
    _rule(READ, ["kubeviz.io"], ["trainingjobs", "trainingjobs/status"]),
]
_EDIT_ONLY_RULES = [
    _rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
    _rule(["impersonate"], [""], ["serviceaccounts"]),
    _rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    _rule(["create"], [""], ["pods/eviction"]),
    _rule(WRITE, [""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                        "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
    _rule(["create"], [""], ["serviceaccounts/token"]),
    _rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                            "replicasets/scale", "statefulsets", "statefulsets/scale"]),
    _rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
    _rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
    _rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
    _rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
    _rule(READ_WRITE, ["coordination.k8s.io"], ["leases"]),
    _rule(WRITE, ["kubeviz.io"], ["trainingjobs"]),
]
_ADMIN_ONLY_RULES = [
    _rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    _rule(READ_WRITE, [RBAC_GROUP], ["rolebindings", "roles"]),
]
_EVENTS_WRITE = _rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"])

# The real system:kube-controller-manager role assumes each controller runs under its own
# service account (system:controller:*). KubeViz's controllers share one identity, so the
# role adds the union of those controllers' powers (garbage collector, namespace, node,
# replicaset, deployment, job, endpoints, serviceaccount, ML controllers).
_CONTROLLER_UNION = [
    _rule(["delete", "deletecollection", "get", "list", "patch", "update", "watch"], [ALL], [ALL]),
    _rule(["create"], [""], ["configmaps", "endpoints", "events", "pods", "pods/eviction", "secrets", "serviceaccounts"]),
    _rule(["create"], ["apps"], ["controllerrevisions", "replicasets"]),
    _rule(["create"], ["batch"], ["jobs"]),
    _rule(["create"], ["kubeviz.io"], ["trainingjobs"]),
]


def _cluster_role(name: str, rules: list[Obj], labels: Mapping[str, str] | None = None) -> Obj:
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {**BOOTSTRAP_LABELS, **(labels or {})}, "annotations": dict(AUTOUPDATE)},
        "rules": rules,
    }


def _cluster_role_binding(name: str, role: str, subjects: list[Obj]) -> Obj:
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name, "labels": dict(BOOTSTRAP_LABELS), "annotations": dict(AUTOUPDATE)},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


def _subject(kind: str, name: str) -> Obj:
    return {"apiGroup": RBAC_GROUP, "kind": kind, "name": name}


def bootstrap_policy() -> list[Obj]:
    """The default ClusterRoles and ClusterRoleBindings, as fresh objects (safe to mutate)."""
    view = list(_VIEW_RULES)
    edit = _EDIT_ONLY_RULES + view
    admin = _ADMIN_ONLY_RULES + edit
    scheduler = [
        _EVENTS_WRITE,
        _rule(["create"], ["coordination.k8s.io"], ["leases"]),
        _rule(["get", "update"], ["coordination.k8s.io"], ["leases"], ["kube-scheduler"]),
        _rule(READ, [""], ["nodes"]),
        _rule(["delete", "get", "list", "watch"], [""], ["pods"]),
        _rule(["create"], [""], ["bindings", "pods/binding"]),
        _rule(["patch", "update"], [""], ["pods/status"]),
        _rule(READ, [""], ["replicationcontrollers", "services"]),
        _rule(READ, ["apps", "extensions"], ["replicasets"]),
        _rule(READ, ["apps"], ["statefulsets"]),
        _rule(READ, ["policy"], ["poddisruptionbudgets"]),
        _rule(READ, [""], ["persistentvolumeclaims", "persistentvolumes"]),
        _rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        _rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        _rule(READ, [""], ["namespaces"]),
    ]
    controller_manager = [
        _EVENTS_WRITE,
        _rule(["create"], ["coordination.k8s.io"], ["leases"]),
        _rule(["get", "update"], ["coordination.k8s.io"], ["leases"], ["kube-controller-manager"]),
        _rule(["create"], [""], ["secrets", "serviceaccounts"]),
        _rule(["delete"], [""], ["secrets"]),
        _rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
        _rule(["update"], [""], ["secrets", "serviceaccounts"]),
        _rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        _rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        _rule(["list", "watch"], [ALL], [ALL]),
        _rule(["create"], [""], ["serviceaccounts/token"]),
        *_CONTROLLER_UNION,
    ]
    node = [
        _rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        _rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews", "subjectaccessreviews"]),
        _rule(READ, [""], ["services"]),
        _rule(["create", "get", "list", "watch"], [""], ["nodes"]),
        _rule(["patch", "update"], [""], ["nodes/status"]),
        _rule(["patch", "update"], [""], ["nodes"]),
        _rule(["create", "patch", "update"], [""], ["events"]),
        _rule(READ, [""], ["pods"]),
        _rule(["create", "delete"], [""], ["pods"]),
        _rule(["patch", "update"], [""], ["pods/status"]),
        _rule(["create"], [""], ["pods/eviction"]),
        _rule(READ, [""], ["configmaps", "secrets"]),
        _rule(["get"], [""], ["endpoints"]),
        _rule(["create", "delete", "get", "patch", "update"], ["coordination.k8s.io"], ["leases"]),
        _rule(["create"], [""], ["serviceaccounts/token"]),
    ]
    roles = [
        _cluster_role("cluster-admin", [_rule([ALL], [ALL], [ALL]), _urls([ALL], [ALL])]),
        _cluster_role("admin", admin),
        _cluster_role("edit", edit, {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}),
        _cluster_role("view", view, {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}),
        _cluster_role("system:basic-user", [
            _rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            _rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
            _rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
        ]),
        _cluster_role("system:discovery", [_urls(["get"], [
            "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
            "/version", "/version/",
        ])]),
        _cluster_role("system:public-info-viewer", [_urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
        _cluster_role("system:kube-scheduler", scheduler),
        _cluster_role("system:kube-controller-manager", controller_manager),
        _cluster_role("system:node", node),
    ]
    bindings = [
        _cluster_role_binding("cluster-admin", "cluster-admin", [_subject("Group", MASTERS)]),
        _cluster_role_binding("system:basic-user", "system:basic-user", [_subject("Group", AUTHENTICATED)]),
        _cluster_role_binding("system:discovery", "system:discovery", [_subject("Group", AUTHENTICATED)]),
        _cluster_role_binding("system:public-info-viewer", "system:public-info-viewer",
                              [_subject("Group", AUTHENTICATED), _subject("Group", UNAUTHENTICATED)]),
        _cluster_role_binding("system:kube-scheduler", "system:kube-scheduler", [_subject("User", "system:kube-scheduler")]),
        _cluster_role_binding("system:kube-controller-manager", "system:kube-controller-manager",
                              [_subject("User", "system:kube-controller-manager")]),
        # Kubernetes keeps this binding with no subjects: kubelets are authorized by the
        # Node authorizer, never through the system:nodes group.
        _cluster_role_binding("system:node", "system:node", []),
    ]
    return json.loads(json.dumps(roles + bindings))  # deep copies: callers may mutate
