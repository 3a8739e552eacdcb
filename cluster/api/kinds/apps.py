"""apps/v1 Deployment and ReplicaSet, and batch/v1 Job: kinds with a pod template."""
from __future__ import annotations

from typing import Any

from ..registry import ResourceType
from ..strategy import Cause, Strategy
from .common import non_negative, selector_matches_template, validate_meta
from .podspec import default_pod_spec, validate_pod_spec

Obj = dict[str, Any]


class WorkloadStrategy(Strategy):
    status_subresource = True
    has_generation = True
    immutable_fields = ("spec.selector",)
    kind = ""
    restart_policy = "Always"

    def default_status(self, obj: Obj) -> None:
        obj["status"] = {}

    def default(self, obj: Obj) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        template = spec.setdefault("template", {})
        if isinstance(template, dict):
            template.setdefault("metadata", {})
            pod_spec = template.setdefault("spec", {})
            if isinstance(pod_spec, dict):
                default_pod_spec(pod_spec, self.restart_policy)

    def validate(self, obj: Obj) -> list[Cause]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return validate_meta(obj) + [("spec", "Required value", "FieldValueRequired")]
        causes = validate_meta(obj) + non_negative(spec.get("replicas"), "spec.replicas")
        causes += selector_matches_template(obj, self.kind)
        causes += validate_pod_spec((spec.get("template") or {}).get("spec"), "spec.template.spec")
        return causes


class ReplicaSetStrategy(WorkloadStrategy):
    kind = "ReplicaSet"

    def default(self, obj: Obj) -> None:
        super().default(obj)
        if isinstance(obj.get("spec"), dict):
            obj["spec"].setdefault("replicas", 1)


class DeploymentStrategy(WorkloadStrategy):
    kind = "Deployment"

    def default(self, obj: Obj) -> None:
        super().default(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {})
        if isinstance(strategy, dict):
            strategy.setdefault("type", "RollingUpdate")
            if strategy["type"] == "RollingUpdate":
                rolling = strategy.setdefault("rollingUpdate", {})
                rolling.setdefault("maxSurge", "25%")
                rolling.setdefault("maxUnavailable", "25%")

    def validate(self, obj: Obj) -> list[Cause]:
        causes = super().validate(obj)
        strategy = (obj.get("spec") or {}).get("strategy") or {}
        if strategy.get("type") not in ("RollingUpdate", "Recreate"):
            causes.append(("spec.strategy.type", f'Unsupported value: "{strategy.get("type")}": supported '
                           'values: "Recreate", "RollingUpdate"', "FieldValueNotSupported"))
        elif strategy["type"] == "Recreate" and strategy.get("rollingUpdate"):
            causes.append(("spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy "
                           "`type` is 'Recreate'", "FieldValueForbidden"))
        return causes


class JobStrategy(WorkloadStrategy):
    kind = "Job"
    restart_policy = "Never"
    immutable_fields = ("spec.selector", "spec.template", "spec.completions")
    default_propagation = "Orphan"  # batch/v1 Jobs orphan their pods unless told otherwise

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict) and not spec.get("selector") and not spec.get("manualSelector"):
            # The API server labels the template and builds the selector from the Job's uid.
            uid = obj["metadata"].get("uid", "")
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            labels = template_meta.setdefault("labels", {})
            labels.setdefault("batch.kubernetes.io/controller-uid", uid)
            labels.setdefault("batch.kubernetes.io/job-name", obj["metadata"].get("name", ""))
            labels.setdefault("controller-uid", uid)
            labels.setdefault("job-name", obj["metadata"].get("name", ""))
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        super().default(obj)
        if isinstance(spec, dict):
            spec.setdefault("parallelism", 1)
            spec.setdefault("completions", 1)
            spec.setdefault("backoffLimit", 6)
            spec.setdefault("completionMode", "NonIndexed")
            spec.setdefault("suspend", False)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = super().validate(obj)
        spec = obj.get("spec") or {}
        for field in ("parallelism", "completions", "backoffLimit"):
            causes += non_negative(spec.get(field), f"spec.{field}")
        policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
        if policy == "Always":
            causes.append(("spec.template.spec.restartPolicy", 'Unsupported value: "Always": supported '
                           'values: "OnFailure", "Never"', "FieldValueNotSupported"))
        return causes


def types() -> list[ResourceType]:
    workload = frozenset({"status", "scale"})
    return [
        ResourceType("apps", "v1", "Deployment", "deployments", "deployment", True, DeploymentStrategy(),
                     short_names=("deploy",), categories=("all",), subresources=workload),
        ResourceType("apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, ReplicaSetStrategy(),
                     short_names=("rs",), categories=("all",), subresources=workload),
        ResourceType("batch", "v1", "Job", "jobs", "job", True, JobStrategy(), categories=("all",),
                     subresources=frozenset({"status"})),
    ]
