"""Discovery documents: /api, /apis, and the resource list of each group version."""
from __future__ import annotations

from typing import Any

from .registry import Registry, ResourceType

KUBERNETES_VERSION = {"major": "1", "minor": "37", "gitVersion": "v1.37.0-kubeviz", "gitCommit": "kubeviz",
                      "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z", "goVersion": "go1.25",
                      "compiler": "gc", "platform": "linux/amd64"}
# Pod subresources kube-apiserver upgrades to a stream; KubeViz refuses them (no process to enter).
STREAMING_KINDS = {"attach": "PodAttachOptions", "exec": "PodExecOptions", "portforward": "PodPortForwardOptions"}
_SERVER_ADDRESS = [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]


def _resource_entries(rt: ResourceType) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [{
        "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
        "verbs": sorted(rt.verbs),
    }]
    if rt.short_names:
        entries[0]["shortNames"] = list(rt.short_names)
    if rt.categories:
        entries[0]["categories"] = list(rt.categories)
    for sub in sorted(rt.subresources):
        kind, verbs = rt.kind, ["get", "patch", "update"]
        if sub == "scale":
            kind = "Scale"
        elif sub == "binding":
            kind, verbs = "Binding", ["create"]
        elif sub == "eviction":
            kind, verbs = "Eviction", ["create"]
        elif sub == "log":
            kind, verbs = "Pod", ["get"]
        elif sub == "finalize":
            verbs = ["update"]
        elif sub == "token":
            kind, verbs = "TokenRequest", ["create"]
        elif sub in STREAMING_KINDS:
            kind, verbs = STREAMING_KINDS[sub], ["create", "get"]
        entry = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced, "kind": kind,
                 "verbs": verbs}
        if sub == "scale":
            entry.update(group="autoscaling", version="v1")
        elif sub == "eviction":  # kubectl drain looks for this to use evictions rather than deletes
            entry.update(group="policy", version="v1")
        elif sub == "token":
            entry.update(group="authentication.k8s.io", version="v1")
        entries.append(entry)
    return entries


def resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = [rt for rt in registry.all() if rt.group == group and rt.version == version]
    if not types:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for rt in sorted(types, key=lambda r: r.plural) for entry in _resource_entries(rt)],
    }


def group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


AGGREGATED_MEDIA = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """Whether the client listed the aggregated discovery v2 media type (kubectl does, first)."""
    for media in accept.split(","):
        params = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in media.split(";")[1:])}
        if (params.get("g") == "apidiscovery.k8s.io" and params.get("v") == "v2"
                and params.get("as") == "APIGroupDiscoveryList"):
            return True
    return False


def _sub_entry(rt: ResourceType, entry: dict[str, Any]) -> dict[str, Any]:
    kind = {"group": entry.get("group", rt.group), "version": entry.get("version", rt.version),
            "kind": entry["kind"]}
    return {"subresource": entry["name"].split("/", 1)[1], "responseKind": kind, "verbs": entry["verbs"]}


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    top, *subs = _resource_entries(rt)
    resource: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": top["verbs"],
    }
    if rt.short_names:
        resource["shortNames"] = list(rt.short_names)
    if rt.categories:
        resource["categories"] = list(rt.categories)
    if subs:
        resource["subresources"] = [_sub_entry(rt, s) for s in subs]
    return resource


def aggregated(registry: Registry, legacy: bool) -> dict[str, Any]:
    """``/api`` (legacy=True) or ``/apis`` as an ``apidiscovery.k8s.io/v2``
    APIGroupDiscoveryList: every group, version and resource in one document."""
    items = []
    for group, versions in registry.group_versions().items():
        if bool(group) == legacy:
            continue
        item_versions = []
        for version in versions:
            types = sorted((rt for rt in registry.all() if rt.group == group and rt.version == version),
                           key=lambda r: r.plural)
            item_versions.append({"version": version, "resources": [_aggregated_resource(rt) for rt in types],
                                  "freshness": "Current"})
        items.append({"metadata": {"name": group} if group else {}, "versions": item_versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}


def document(registry: Registry, path: str) -> dict[str, Any] | None:
    parts = [p for p in path.strip("/").split("/") if p]
    if parts == ["version"]:
        return dict(KUBERNETES_VERSION)
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": _SERVER_ADDRESS}
    if parts == ["apis"]:
        groups = [group_entry(g, vs) for g, vs in registry.group_versions().items() if g]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    if len(parts) == 2 and parts[0] == "api":
        return resource_list(registry, "", parts[1])
    if len(parts) == 2 and parts[0] == "apis":
        versions = registry.group_versions().get(parts[1])
        if not versions:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **group_entry(parts[1], versions)}
    if len(parts) == 3 and parts[0] == "apis":
        return resource_list(registry, parts[1], parts[2])
    return None
