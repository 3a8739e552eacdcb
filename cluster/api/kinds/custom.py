"""apiextensions.k8s.io CustomResourceDefinitions, and the custom resources they
define — served by the same generic handler as every built-in kind."""
from __future__ import annotations

from typing import Any

from .. import crdschema
from ..registry import ALL_VERBS, ResourceType
from ..strategy import Cause, Strategy
from .common import validate_meta

Obj = dict[str, Any]
CRD_GROUP = "apiextensions.k8s.io"


class CRDStrategy(Strategy):
    status_subresource = True
    has_generation = True

    def default_status(self, obj: Obj) -> None:
        obj["status"] = {}

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        names = spec.setdefault("names", {})
        if isinstance(names, dict) and names.get("kind"):
            names.setdefault("singular", str(names["kind"]).lower())
            names.setdefault("listKind", f"{names['kind']}List")
        # Accepted names and Established, as the CRD controllers report at once.
        obj["status"] = {
            "acceptedNames": dict(names) if isinstance(names, dict) else {},
            "storedVersions": [v.get("name") for v in spec.get("versions") or [] if isinstance(v, dict)
                               and v.get("storage")],
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"},
            ],
        }

    def validate(self, obj: Obj) -> list[Cause]:
        causes = validate_meta(obj)
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        group = spec.get("group") or ""
        for field in ("plural", "kind"):
            if not names.get(field):
                causes.append((f"spec.names.{field}", "Required value", "FieldValueRequired"))
        if not group:
            causes.append(("spec.group", "Required value", "FieldValueRequired"))
        expected = f"{names.get('plural', '')}.{group}"
        if obj.get("metadata", {}).get("name") != expected:
            causes.append(("metadata.name", f'Invalid value: "{obj.get("metadata", {}).get("name")}": '
                           f'must be spec.names.plural+"."+spec.group', "FieldValueInvalid"))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(("spec.scope", f'Unsupported value: "{spec.get("scope")}": supported values: '
                           '"Cluster", "Namespaced"', "FieldValueNotSupported"))
        versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
        if not versions:
            causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage "
                           "version", "FieldValueInvalid"))
        elif sum(1 for v in versions if v.get("storage")) != 1:
            causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage "
                           "version", "FieldValueInvalid"))
        return causes


class CustomResourceStrategy(Strategy):
    has_generation = True

    def __init__(self, crd: Obj, version: Obj) -> None:
        self.crd = crd
        self.version = version
        subresources = version.get("subresources") or {}
        self.status_subresource = "status" in subresources
        self.scale = subresources.get("scale")

    def default_status(self, obj: Obj) -> None:
        pass

    @property
    def schema(self) -> Any:
        return ((self.version.get("schema") or {}).get("openAPIV3Schema")) or {}

    def default(self, obj: Obj) -> None:
        crdschema.default(self.schema, obj)

    def validate(self, obj: Obj) -> list[Cause]:
        return validate_meta(obj) + crdschema.validate(self.schema, obj)


def resource_types(crd: Obj) -> list[ResourceType]:
    """One ResourceType per served version of a CRD."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group", "")
    result = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = set((version.get("subresources") or {}).keys())
        result.append(
            ResourceType(
                group, version["name"], names["kind"], names["plural"], names.get("singular", ""),
                spec.get("scope") == "Namespaced", CustomResourceStrategy(crd, version),
                short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
                verbs=ALL_VERBS, subresources=frozenset(subresources), storage_prefix=f"{group}/{names['plural']}",
            )
        )
    return result


def types() -> list[ResourceType]:
    return [
        ResourceType(CRD_GROUP, "v1", "CustomResourceDefinition", "customresourcedefinitions",
                     "customresourcedefinition", False, CRDStrategy(), short_names=("crd", "crds"),
                     categories=("api-extensions",), subresources=frozenset({"status"})),
    ]
