"""core/v1 kinds: Namespace, Node, Pod, Service, Endpoints, Event, ConfigMap,
Secret, ServiceAccount."""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from ..registry import ResourceType
from ..strategy import Cause, Strategy
from .common import MetaStrategy, validate_meta
from .podspec import default_pod_spec, default_tolerations, validate_pod_spec

Obj = dict[str, Any]


class NamespaceStrategy(Strategy):
    status_subresource = True
    field_selectors = ("status.phase",)

    def default_status(self, obj: Obj) -> None:
        obj["status"] = {"phase": "Active"}

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("finalizers", ["kubernetes"])
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")

    def validate(self, obj: Obj) -> list[Cause]:
        return validate_meta(obj, "label")

    def finalize_on_delete(self, obj: Obj) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

    def on_delete(self, obj: Obj) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"


class NodeStrategy(Strategy):
    status_subresource = True
    field_selectors = ("spec.unschedulable",)

    def default_status(self, obj: Obj) -> None:
        obj.setdefault("status", {})

    def prepare_for_create(self, obj: Obj) -> None:
        # A kubelet registers its Node with status (capacity, addresses) in one call.
        obj.setdefault("status", {})

    def default(self, obj: Obj) -> None:
        status = obj.setdefault("status", {})
        if "capacity" in status:
            status.setdefault("allocatable", dict(status["capacity"]))

    def validate(self, obj: Obj) -> list[Cause]:
        causes = validate_meta(obj)
        for i, taint in enumerate((obj.get("spec") or {}).get("taints") or []):
            effect = taint.get("effect") if isinstance(taint, dict) else None
            if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
                causes.append((f"spec.taints[{i}].effect", f'Unsupported value: "{effect}": supported values: '
                               '"NoSchedule", "PreferNoSchedule", "NoExecute"', "FieldValueNotSupported"))
        return causes


class PodStrategy(Strategy):
    status_subresource = True
    return_deleted_object = True
    has_generation = True
    field_selectors = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                       "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName")

    def default_status(self, obj: Obj) -> None:
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj.get("spec") or {})}

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("enableServiceLinks", True)
            spec.setdefault("priority", 0)
            default_tolerations(spec)

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            default_pod_spec(spec)

    def validate(self, obj: Obj) -> list[Cause]:
        return validate_meta(obj) + validate_pod_spec(obj.get("spec"), "spec")

    def validate_update(self, new: Obj, old: Obj) -> list[Cause]:
        causes = self.validate(new)
        # Pod updates may not change fields other than images, activeDeadlineSeconds,
        # tolerations (additions) and terminationGracePeriodSeconds.
        old_spec, new_spec = dict(old.get("spec") or {}), dict(new.get("spec") or {})
        for spec in (old_spec, new_spec):
            spec.pop("activeDeadlineSeconds", None)
            spec.pop("tolerations", None)
            spec.pop("terminationGracePeriodSeconds", None)
            spec["containers"] = [{k: v for k, v in c.items() if k != "image"}
                                  for c in spec.get("containers") or [] if isinstance(c, dict)]
        if old_spec.get("nodeName") and new_spec.get("nodeName") != old_spec.get("nodeName"):
            causes.append(("spec.nodeName", "field is immutable", "FieldValueForbidden"))
        old_spec.pop("nodeName", None)
        new_spec.pop("nodeName", None)
        if old_spec != new_spec:
            causes.append(("spec", "Forbidden: pod updates may not change fields other than "
                           "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                           "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                           "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                           "was previously negative)", "FieldValueForbidden"))
        return causes

    def grace_period(self, obj: Obj, requested: int | None) -> int | None:
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0  # nothing runs it: no kubelet has to stop containers
        if requested is not None:
            return max(0, requested)
        return int(spec.get("terminationGracePeriodSeconds", 30))


def _qos_class(spec: Obj) -> str:
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    requests = [((c.get("resources") or {}).get("requests") or {}) for c in containers]
    limits = [((c.get("resources") or {}).get("limits") or {}) for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu") and lim.get("memory") and req.get("cpu", lim["cpu"]) == lim["cpu"]
        and req.get("memory", lim["memory"]) == lim["memory"]
        for req, lim in zip(requests, limits)
    )
    return "Guaranteed" if guaranteed else "Burstable"


class ServiceStrategy(Strategy):
    status_subresource = True
    return_deleted_object = True
    immutable_fields = ("spec.clusterIP",)

    def default_status(self, obj: Obj) -> None:
        obj["status"] = {"loadBalancer": {}}

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if "clusterIP" not in spec:
            spec["clusterIP"] = _cluster_ip(obj["metadata"].get("namespace", ""), obj["metadata"].get("name", ""))
        spec.setdefault("clusterIPs", [spec["clusterIP"]] if spec["clusterIP"] != "None" else ["None"])
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))

    def validate(self, obj: Obj) -> list[Cause]:
        causes = validate_meta(obj, "label")
        spec = obj.get("spec") or {}
        for i, port in enumerate(spec.get("ports") or []):
            number = port.get("port") if isinstance(port, dict) else None
            if not isinstance(number, int) or not 0 < number < 65536:
                causes.append((f"spec.ports[{i}].port", f"Invalid value: {number}: must be between 1 and "
                               "65535, inclusive", "FieldValueInvalid"))
        service_type = spec.get("type")
        if service_type not in ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"):
            causes.append(("spec.type", f"Unsupported value: {json.dumps(service_type)}: supported values: "
                           '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"', "FieldValueNotSupported"))
        return causes


_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def config_key_causes(obj: Obj, *sections: str) -> list[Cause]:
    """Keys of a ConfigMap's or Secret's data as kube-apiserver's IsConfigMapKey checks them."""
    causes: list[Cause] = []
    for section in sections:
        values = obj.get(section)
        for key in values if isinstance(values, dict) else ():
            where, shown = f"{section}[{key}]", f"Invalid value: {json.dumps(key)}: "
            if len(key) > 253:
                causes.append((where, shown + "must be no more than 253 characters", "FieldValueInvalid"))
            if not _CONFIG_KEY.fullmatch(key):
                causes.append((where, shown + "a valid config key must consist of alphanumeric characters, '-', "
                               "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                               "validation is '[-._a-zA-Z0-9]+')", "FieldValueInvalid"))
            if key in (".", ".."):
                causes.append((where, shown + f"must not be '{key}'", "FieldValueInvalid"))
            elif key.startswith(".."):
                causes.append((where, shown + "must not start with '..'", "FieldValueInvalid"))
    return causes


class ConfigMapStrategy(MetaStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        return super().validate(obj) + config_key_causes(obj, "data", "binaryData")


def _cluster_ip(namespace: str, name: str) -> str:
    """A stable address in 10.96.0.0/12, the default service CIDR."""
    import zlib

    n = zlib.crc32(f"{namespace}/{name}".encode()) % (1 << 20 - 2) + 1
    return f"10.{96 + (n >> 16)}.{(n >> 8) & 0xFF}.{n & 0xFF}"


class EventStrategy(MetaStrategy):
    field_selectors = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                       "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                       "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")

    def fields(self, obj: Obj) -> dict[str, str]:
        values = super().fields(obj)
        values["source"] = ((obj.get("source") or {}).get("component")) or obj.get("reportingComponent", "")
        return values


class SecretStrategy(MetaStrategy):
    field_selectors = ("type",)

    def default(self, obj: Obj) -> None:
        obj.setdefault("type", "Opaque")
        # stringData is write-only: folded into data, as the API server does.
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()

    def validate(self, obj: Obj) -> list[Cause]:
        causes = super().validate(obj) + config_key_causes(obj, "data")
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                causes.append((f"data[{key}]", "Invalid value: illegal base64 data", "FieldValueInvalid"))
        return causes


class ServiceAccountStrategy(MetaStrategy):
    return_deleted_object = True


def types() -> list[ResourceType]:
    meta = MetaStrategy()
    return [
        ResourceType("", "v1", "Namespace", "namespaces", "namespace", False, NamespaceStrategy(),
                     short_names=("ns",), subresources=frozenset({"status", "finalize"})),
        ResourceType("", "v1", "Node", "nodes", "node", False, NodeStrategy(), short_names=("no",),
                     subresources=frozenset({"status"})),
        ResourceType("", "v1", "Pod", "pods", "pod", True, PodStrategy(), short_names=("po",),
                     categories=("all",), subresources=frozenset({"status", "binding", "eviction", "log", "exec", "attach",
                                                        "portforward"})),
        ResourceType("", "v1", "Service", "services", "service", True, ServiceStrategy(), short_names=("svc",),
                     categories=("all",), subresources=frozenset({"status"})),
        ResourceType("", "v1", "Endpoints", "endpoints", "endpoints", True, meta, short_names=("ep",)),
        ResourceType("", "v1", "Event", "events", "event", True, EventStrategy(), short_names=("ev",)),
        ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, ConfigMapStrategy(),
                     short_names=("cm",)),
        ResourceType("", "v1", "Secret", "secrets", "secret", True, SecretStrategy()),
        ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ServiceAccountStrategy(),
                     short_names=("sa",), subresources=frozenset({"token"})),
    ]
