"""coordination.k8s.io Lease and rbac.authorization.k8s.io kinds."""
from __future__ import annotations

from typing import Any

from ..registry import ResourceType
from ..strategy import Cause
from .common import MetaStrategy

Obj = dict[str, Any]


class RoleStrategy(MetaStrategy):
    name_rule = "path"  # RBAC names may hold ':' (system:node)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = super().validate(obj)
        for i, rule in enumerate(obj.get("rules") or []):
            if not isinstance(rule, dict) or not rule.get("verbs"):
                causes.append((f"rules[{i}].verbs", "Required value: verbs must contain at least one value",
                               "FieldValueRequired"))
        return causes


class BindingStrategy(MetaStrategy):
    name_rule = "path"
    immutable_fields = ("roleRef",)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = super().validate(obj)
        ref = obj.get("roleRef")
        if not isinstance(ref, dict) or not ref.get("name") or ref.get("kind") not in ("Role", "ClusterRole"):
            causes.append(("roleRef", "Required value: kind must be Role or ClusterRole, with a name",
                           "FieldValueRequired"))
        return causes


def types() -> list[ResourceType]:
    rbac = "rbac.authorization.k8s.io"
    return [
        ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, MetaStrategy()),
        ResourceType(rbac, "v1", "Role", "roles", "role", True, RoleStrategy()),
        ResourceType(rbac, "v1", "RoleBinding", "rolebindings", "rolebinding", True, BindingStrategy()),
        ResourceType(rbac, "v1", "ClusterRole", "clusterroles", "clusterrole", False, RoleStrategy()),
        ResourceType(rbac, "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", False,
                     BindingStrategy()),
    ]
