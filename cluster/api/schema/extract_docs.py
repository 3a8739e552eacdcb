"""Regenerate ``descriptions.json``: the API documentation of each type in the
type table (what ``kubectl explain`` prints), read from the pinned official
``kubernetes`` Python client, whose models carry the API's descriptions:

    python -m cluster.api.schema.extract_docs > cluster/api/schema/descriptions.json

Output: ``{"io.k8s.api.core.v1.PodSpec": {"": "PodSpec is …", "containers": "List of …"}}``.
"""
from __future__ import annotations

import inspect
import json
import sys
from typing import Any

from cluster.api import schema


def _candidates(name: str) -> list[str]:
    """Client class names for ``io.k8s.api.rbac.v1.Subject``: V1Subject, RbacV1Subject."""
    parts = name.split(".")
    version, kind = parts[-2], parts[-1]
    group = parts[-3] if len(parts) >= 3 else ""
    prefix = version[0].upper() + version[1:]
    return [f"{prefix}{kind}", f"{group[:1].upper()}{group[1:]}{prefix}{kind}"]


def _type_doc(cls: Any) -> str:
    text = inspect.getdoc(cls) or ""
    return text.split("\n\n")[0].replace("\n", " ").strip() if not text.startswith("NOTE") else ""


def extract() -> dict[str, dict[str, str]]:
    import kubernetes.client.models as models

    result: dict[str, dict[str, str]] = {}
    for name in schema.types():
        wanted = {f["name"] for f in schema.fields(name)}
        if schema.types()[name].get("typeMeta"):
            wanted |= {"apiVersion", "kind"}
        for candidate in _candidates(name):
            cls = getattr(models, candidate, None)
            fields = getattr(cls, "model_fields", None)
            if not fields:
                continue
            docs = {(field.serialization_alias or field.alias or key): (field.description or "")
                    for key, field in fields.items()}
            if wanted and len(wanted & docs.keys()) < len(wanted) / 2:
                continue  # a namesake from another group
            entry = {k: v for k, v in docs.items() if k in wanted and v}
            if _type_doc(cls):
                entry[""] = _type_doc(cls)
            result[name] = entry
            break
    return dict(sorted(result.items()))


if __name__ == "__main__":
    json.dump(extract(), sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")
