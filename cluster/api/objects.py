"""Small helpers for Kubernetes-shaped JSON objects."""
from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import uuid
from typing import Any

Obj = dict[str, Any]

# kube-apiserver's generateName suffix alphabet: no vowels, no look-alikes.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def meta(obj: Obj) -> Obj:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = obj["metadata"] = {}
    return metadata


def timestamp(seconds: float) -> str:
    """RFC 3339 at second precision in UTC, as metav1.Time marshals."""
    return dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> float:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()


def new_uid() -> str:
    return str(uuid.uuid4())


def generate_name(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def encode(obj: Obj) -> bytes:
    """Stored form: canonical JSON without resourceVersion (the store's mod_revision
    is the resourceVersion), so equal objects are equal bytes."""
    metadata = obj.get("metadata") or {}
    if "resourceVersion" in metadata:
        obj = {**obj, "metadata": {k: v for k, v in metadata.items() if k != "resourceVersion"}}
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def decode(value: bytes, revision: int) -> Obj:
    obj = json.loads(value)
    meta(obj)["resourceVersion"] = str(revision)
    return obj


def deep_copy(obj: Obj) -> Obj:
    return copy.deepcopy(obj)
