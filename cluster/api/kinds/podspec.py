"""Defaulting and validation of a PodSpec, shared by pods and every kind with a
pod template (Deployment, ReplicaSet, Job)."""
from __future__ import annotations

import json
from typing import Any

from ..strategy import Cause

Obj = dict[str, Any]

# DefaultTolerationSeconds admission: pods tolerate a not-ready or unreachable
# node for five minutes before the taint manager evicts them.
DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def default_pod_spec(spec: Obj, restart_policy: str = "Always") -> None:
    spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for container in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if not isinstance(container, dict):
            continue
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        image = str(container.get("image", ""))
        if "imagePullPolicy" not in container:
            tag = image.rsplit("/", 1)[-1]
            latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
            container["imagePullPolicy"] = "Always" if latest else "IfNotPresent"
        for port in container.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def default_tolerations(spec: Obj) -> None:
    """What the DefaultTolerationSeconds admission plugin adds to a new pod."""
    tolerations = spec.setdefault("tolerations", [])
    present = {t.get("key") for t in tolerations if isinstance(t, dict)}
    for key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if key not in present:
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
            )


def validate_pod_spec(spec: Any, path: str) -> list[Cause]:
    from cluster.api import validation
    from cluster.quantity import parse_quantity

    if not isinstance(spec, dict):
        return [(path, "Required value", "FieldValueRequired")]
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return [(f"{path}.containers", "Required value", "FieldValueRequired")]
    seen: set[str] = set()
    for i, container in enumerate(containers):
        where = f"{path}.containers[{i}]"
        if not isinstance(container, dict):
            causes.append((where, "Invalid value: must be an object", "FieldValueInvalid"))
            continue
        name = container.get("name")
        if not name:
            causes.append((f"{where}.name", "Required value", "FieldValueRequired"))
        else:
            causes.extend(_tuples(validation.dns1123_label(str(name), f"{where}.name")))
            if name in seen:
                causes.append((f"{where}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate"))
            seen.add(str(name))
        if not container.get("image"):
            causes.append((f"{where}.image", "Required value", "FieldValueRequired"))
        policy = container.get("imagePullPolicy")
        if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
            causes.append((f"{where}.imagePullPolicy", f"Unsupported value: {json.dumps(policy)}: supported values: "
                           '"Always", "IfNotPresent", "Never"', "FieldValueNotSupported"))
        for j, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort") if isinstance(port, dict) else None
            if isinstance(number, int) and not 0 < number < 65536:
                causes.append((f"{where}.ports[{j}].containerPort", f"Invalid value: {number}: must be between 1 "
                               "and 65535, inclusive", "FieldValueInvalid"))
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            for resource, value in (resources.get(section) or {}).items():
                try:
                    if parse_quantity(value) < 0:
                        raise ValueError("must be greater than or equal to 0")
                except (ValueError, TypeError) as error:
                    causes.append((f"{where}.resources.{section}[{resource}]",
                                   f"Invalid value: {json.dumps(value)}: {error}", "FieldValueInvalid"))
    policy = spec.get("restartPolicy")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append((f"{path}.restartPolicy", f'Unsupported value: "{policy}": supported values: '
                       '"Always", "OnFailure", "Never"', "FieldValueNotSupported"))
    return causes


def _tuples(causes: Any) -> list[Cause]:
    return [(c.field, c.message, c.reason) for c in causes]
