"""What a new cluster starts with: the system namespaces and the default RBAC
policy (kube-apiserver's bootstrap-roles post-start hook). Idempotent."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors, rbac

if TYPE_CHECKING:
    from .server import ApiServer

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def ensure_bootstrap(server: "ApiServer") -> int:
    """Create whatever of the bootstrap objects is missing; returns how many were created."""
    created = 0
    namespaces = server.registry.get("", "v1", "namespaces")
    assert namespaces is not None
    for name in SYSTEM_NAMESPACES:
        created += _create(server, "", "v1", "namespaces", "",
                           {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    for obj in rbac.bootstrap_policy():
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = obj["kind"].lower() + "s"
        created += _create(server, group, version, plural, obj["metadata"].get("namespace", ""), obj)
    for name in SYSTEM_NAMESPACES:
        created += ensure_default_service_account(server, name)
    return created


def ensure_default_service_account(server: "ApiServer", namespace: str) -> int:
    """The ``default`` ServiceAccount every namespace has (kube-controller-manager's
    serviceaccount controller; done here, when the namespace is created, so that
    ``kubectl create token default -n NEW`` works at once)."""
    return _create(server, "", "v1", "serviceaccounts", namespace,
                   {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})


def _create(server: "ApiServer", group: str, version: str, plural: str, namespace: str, obj: dict) -> int:
    rt = server.registry.get(group, version, plural)
    assert rt is not None, plural
    try:
        server.storage.get(rt, namespace, obj["metadata"]["name"])
        return 0
    except errors.NotFound:
        pass
    try:
        server.storage.create(rt, namespace, dict(obj))
    except errors.AlreadyExists:
        return 0  # another process bootstrapped it first
    return 1
