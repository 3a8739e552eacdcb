"""The resources the admin pages list and edit, and which form fields each has."""
from __future__ import annotations

from dataclasses import dataclass

from cluster.client import resources as r
from cluster.client.resources import Resource

WORKLOAD_FIELDS = ("replicas", "image", "labels", "selector", "cpu", "memory")


@dataclass(frozen=True)
class Kind:
    slug: str  # the URL segment: the resource's plural
    title: str
    resource: Resource
    fields: tuple[str, ...] = ("labels",)


KINDS: dict[str, Kind] = {k.slug: k for k in (
    Kind("deployments", "Deployments", r.DEPLOYMENTS, WORKLOAD_FIELDS),
    Kind("replicasets", "ReplicaSets", r.REPLICASETS, WORKLOAD_FIELDS),
    Kind("services", "Services", r.SERVICES, ("labels", "selector")),
    Kind("namespaces", "Namespaces", r.NAMESPACES),
    Kind("nodes", "Nodes", r.NODES),
    Kind("trainingjobs", "TrainingJobs", r.TRAININGJOBS, ("workers", "epochs", "labels", "image", "cpu", "memory")),
    Kind("roles", "Roles", r.ROLES),
    Kind("rolebindings", "RoleBindings", r.ROLEBINDINGS),
    Kind("clusterroles", "ClusterRoles", r.CLUSTERROLES),
    Kind("clusterrolebindings", "ClusterRoleBindings", r.CLUSTERROLEBINDINGS),
)}
CLUSTER_SCOPED = "-"  # the namespace segment of a cluster-scoped object's URL
