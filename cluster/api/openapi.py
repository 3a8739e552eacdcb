"""OpenAPI v3 documents: ``/openapi/v3`` (the index) and ``/openapi/v3/<gv path>``.

kubectl reads them for three things: ``explain`` (the schema whose
``x-kubernetes-group-version-kind`` names the kind), apply's strategic merge
(``x-kubernetes-patch-strategy`` / ``x-kubernetes-patch-merge-key`` on lists such
as containers, ports, env, volumes) and validation (a PATCH operation with a
``fieldValidation`` query parameter tells it the server validates fields itself).

Built-in schemas come from the type table (``schema/types.json``); custom
resources use their CRD's ``openAPIV3Schema``.
"""
from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

from . import errors, schema
from .registry import ResourceType

if TYPE_CHECKING:
    from .server import ApiRequest, ApiResponse, ApiServer

Obj = dict[str, Any]
REF = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_SPECIAL_SCHEMAS: dict[str, Obj] = {
    "time": {"name": META + "Time", "schema": {"type": "string", "format": "date-time",
                                               "description": "Time is a wrapper around time.Time which "
                                                              "supports correct marshaling to YAML and JSON."}},
    "quantity": {"name": "io.k8s.apimachinery.pkg.api.resource.Quantity",
                 "schema": {"type": "string", "x-kubernetes-int-or-string": True,
                            "description": "Quantity is a fixed-point representation of a number, e.g. 500m "
                                           "or 1Gi."}},
    "intorstring": {"name": "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                    "schema": {"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True,
                               "description": "IntOrString is a type that can hold an int32 or a string."}},
    "raw": {"name": "io.k8s.apimachinery.pkg.runtime.RawExtension",
            "schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                       "description": "RawExtension holds arbitrary JSON."}},
    "duration": {"name": META + "Duration", "schema": {"type": "string"}},
}
_SCALAR_SCHEMAS: dict[str, Obj] = {
    "string": {"type": "string"}, "bool": {"type": "boolean"},
    "int32": {"type": "integer", "format": "int32"}, "int64": {"type": "integer", "format": "int64"},
    "uint32": {"type": "integer", "format": "int32"}, "uint64": {"type": "integer", "format": "int64"},
    "double": {"type": "number", "format": "double"}, "float": {"type": "number", "format": "double"},
    "bytes": {"type": "string", "format": "byte"},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
# A few descriptions for what a learner meets first in ``kubectl explain``.
_DESCRIPTIONS = {
    "metadata": "Standard object's metadata. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "spec": "Spec defines the desired state of the object.",
    "status": "Status is the most recently observed state of the object. Populated by the system. Read-only.",
    "apiVersion": "APIVersion defines the versioned schema of this representation of an object.",
    "kind": "Kind is a string value representing the REST resource this object represents.",
}
_KIND_DESCRIPTIONS = {
    "Pod": "Pod is a collection of containers that can run on a host. This resource is created by clients "
           "and scheduled onto hosts.",
    "Deployment": "Deployment enables declarative updates for Pods and ReplicaSets.",
    "ReplicaSet": "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
    "Service": "Service is a named abstraction of software service (for example, mysql) consisting of local "
               "port (for example 3306) that the proxy listens on, and the selector that determines which pods "
               "will answer requests sent through the proxy.",
    "Node": "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache "
            "(i.e. in etcd).",
    "Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    "ConfigMap": "ConfigMap holds configuration data for pods to consume.",
    "Secret": "Secret holds secret data of a certain type.",
    "Job": "Job represents the configuration of a single job.",
}


# A field without ``omitempty`` is required (``kubectl explain`` marks it -required-),
# as Kubernetes' OpenAPI generator decides — except these, which carry ``+optional``.
_OPTIONAL = {"Event": ("reportingComponent", "reportingInstance"), "Role": ("rules",), "ClusterRole": ("rules",),
             "CustomResourceDefinitionStatus": ("acceptedNames", "storedVersions"),
             "TokenRequestSpec": ("expirationSeconds", "boundObjectRef"),
             "TypedLocalObjectReference": ("apiGroup",), "TypedObjectReference": ("apiGroup",)}


def type_schema(kind: Any) -> Obj:
    """The schema of one field type of the table."""
    if isinstance(kind, dict):
        if "ref" in kind:
            return {"$ref": REF + kind["ref"]}
        if "list" in kind:
            return {"type": "array", "items": type_schema(kind["list"])}
        if "map" in kind:
            return {"type": "object", "additionalProperties": type_schema(kind["map"])}
    if kind in _SPECIAL_SCHEMAS:
        return {"$ref": REF + _SPECIAL_SCHEMAS[kind]["name"]}
    return dict(_SCALAR_SCHEMAS.get(kind, {"type": "object"}))


def builtin_schemas() -> dict[str, Obj]:
    schemas: dict[str, Obj] = {s["name"]: s["schema"] for s in _SPECIAL_SCHEMAS.values()}
    schemas[META + "FieldsV1"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    roots = schema.roots()
    for name in schema.types():
        properties: dict[str, Obj] = {}
        entry = schema.types()[name]
        if entry.get("typeMeta"):
            for key in ("apiVersion", "kind"):
                properties[key] = {"type": "string",
                                   "description": schema.description(name, key) or _DESCRIPTIONS[key]}
        for field in schema.fields(name):
            prop = type_schema(field["type"])
            text = schema.description(name, field["name"]) or (
                _DESCRIPTIONS.get(field["name"], "") if entry.get("typeMeta") else "")
            if text and "$ref" in prop:
                prop = {"allOf": [prop], "description": text}
            elif text:
                prop["description"] = text
            if field.get("patchStrategy"):
                prop["x-kubernetes-patch-strategy"] = field["patchStrategy"]
            if field.get("patchMergeKey"):
                prop["x-kubernetes-patch-merge-key"] = field["patchMergeKey"]
            properties[field["name"]] = prop
        result: Obj = {"type": "object", "properties": properties}
        required = [f["name"] for f in schema.fields(name)
                    if not f.get("omitempty") and f["name"] not in _OPTIONAL.get(name.rsplit(".", 1)[-1], ())]
        if required:
            result["required"] = required
        if schema.description(name):
            result["description"] = schema.description(name)
        if name in roots:
            gvk = roots[name]
            result["x-kubernetes-group-version-kind"] = [dict(gvk)]
            result.setdefault("description", _KIND_DESCRIPTIONS.get(gvk["kind"], ""))
        schemas[name] = result
    return schemas


def custom_schema_name(rt: ResourceType) -> str:
    return ".".join([*reversed(rt.group.split(".")), rt.version, rt.kind])


def custom_schema(rt: ResourceType) -> Obj:
    version = getattr(rt.strategy, "version", {}) or {}
    crd_schema = dict(((version.get("schema") or {}).get("openAPIV3Schema")) or
                      {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    properties = dict(crd_schema.get("properties") or {})
    properties.setdefault("apiVersion", {"type": "string", "description": _DESCRIPTIONS["apiVersion"]})
    properties.setdefault("kind", {"type": "string", "description": _DESCRIPTIONS["kind"]})
    properties["metadata"] = {"allOf": [{"$ref": REF + META + "ObjectMeta"}],
                              "description": _DESCRIPTIONS["metadata"]}
    crd_schema["properties"] = properties
    crd_schema.setdefault("type", "object")
    crd_schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
    return crd_schema


def schema_name(rt: ResourceType) -> str | None:
    if getattr(rt.strategy, "version", None) is not None:
        return custom_schema_name(rt)
    return next((name for name, gvk in schema.roots().items()
                 if (gvk["group"], gvk["version"], gvk["kind"]) == (rt.group, rt.version, rt.kind)), None)


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


_QUERY = {name: {"name": name, "in": "query", "schema": {"type": "string"}, "description": text}
          for name, text in {
              "dryRun": "When present, indicates that modifications should not be persisted.",
              "fieldManager": "fieldManager is a name associated with the actor or entity that is making "
                              "these changes.",
              "fieldValidation": "fieldValidation instructs the server on how to handle objects in the "
                                 "request containing unknown or duplicate fields: Ignore, Warn or Strict.",
              "force": "Force is going to \"force\" Apply requests.",
              "pretty": "If 'true', then the output is pretty printed.",
          }.items()}


def _operation(rt: ResourceType, verb: str, ref: str | None, params: tuple[str, ...]) -> Obj:
    operation: Obj = {
        "operationId": f"{verb}{rt.kind}",
        "parameters": [_QUERY[p] for p in params],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": REF + ref} if ref else {"type": "object"}}}}},
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }
    return operation


def _paths(rt: ResourceType, ref: str | None) -> dict[str, Obj]:
    base = "/" + gv_path(rt.group, rt.version)
    collection = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
    item = collection + "/{name}"
    writes = ("dryRun", "fieldManager", "fieldValidation", "pretty")
    paths = {
        collection: {"get": _operation(rt, "list", None, ("pretty",)),
                     "post": _operation(rt, "post", ref, writes)},
        item: {"get": _operation(rt, "get", ref, ("pretty",)),
               "put": _operation(rt, "put", ref, writes),
               "patch": _operation(rt, "patch", ref, (*writes, "force")),
               "delete": _operation(rt, "delete", None, ("dryRun", "pretty"))},
    }
    return paths


def group_version_document(types: list[ResourceType], builtins: dict[str, Obj]) -> Obj:
    schemas = dict(builtins)
    paths: dict[str, Obj] = {}
    for rt in types:
        ref = schema_name(rt)
        if getattr(rt.strategy, "version", None) is not None and ref:
            schemas[ref] = custom_schema(rt)
        if set(rt.verbs) & {"get", "list"}:
            paths.update(_paths(rt, ref))
    gv = types[0].api_version if types else ""
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.37.0-kubeviz"},
            "paths": paths, "components": {"schemas": schemas},
            "x-kubeviz-group-version": gv}


class OpenApiCache:
    """Documents per group version, rebuilt when the served types change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builtins: dict[str, Obj] | None = None
        self._signature: object = object()
        self._documents: dict[str, bytes] = {}

    def documents(self, server: "ApiServer") -> dict[str, bytes]:
        with self._lock:
            if self._builtins is None:
                self._builtins = builtin_schemas()
            signature = server.registry.custom_signature
            if signature != self._signature or not self._documents:
                by_gv: dict[str, list[ResourceType]] = {}
                for rt in server.registry.all():
                    by_gv.setdefault(gv_path(rt.group, rt.version), []).append(rt)
                self._documents = {
                    path: json.dumps(group_version_document(sorted(types, key=lambda r: r.plural),
                                                            self._builtins)).encode()
                    for path, types in by_gv.items()}
                self._signature = signature
            return self._documents


_cache = OpenApiCache()


def serve(server: "ApiServer", request: "ApiRequest") -> "ApiResponse":
    from .server import ApiResponse

    documents = _cache.documents(server)
    path = request.path.rstrip("/")
    if path == "/openapi/v3":
        index = {path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={hashlib.sha512(body).hexdigest()[:64].upper()}"}
                 for path, body in sorted(documents.items())}
        return ApiResponse(200, {"paths": index})
    if path.startswith("/openapi/v3/"):
        body = documents.get(path[len("/openapi/v3/"):])
        if body is not None:
            return ApiResponse(200, body.decode(), content_type="application/json")
    if path == "/openapi/v2":
        return _v2(request)
    raise errors.NotFound("the server could not find the requested resource")


V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _v2(request: "ApiRequest") -> "ApiResponse":
    """``/openapi/v2`` with no definitions: every kind is described in v3. kubectl
    asks v2 only for a kind v3 lacks (a manifest of an unknown kind, or a custom
    resource whose CRD is missing); finding none there, it skips validation and
    reports what a real cluster does — ``no matches for kind "Widget" in version
    "v1"`` — instead of "failed to download openapi". An empty protobuf message is
    an empty gnostic Document."""
    from .server import ApiResponse

    if "protobuf" in request.accept:
        return ApiResponse(200, b"", content_type=V2_PROTOBUF)
    return ApiResponse(200, {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.37.0-kubeviz"},
                             "paths": {}, "definitions": {}})
