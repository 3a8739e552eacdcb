"""Subresources: status, scale, binding, eviction, log, finalize, token."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import errors
from .objects import Obj, meta, timestamp
from .registry import ResourceType
from .requestinfo import RequestInfo

if TYPE_CHECKING:
    from .server import ApiRequest, ApiResponse, ApiServer


def handle(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> "ApiResponse":
    from .server import ApiResponse

    handler = _HANDLERS.get((info.subresource, info.verb))
    if handler is None:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource")
    result = handler(server, request, info, rt)
    return result if isinstance(result, ApiResponse) else ApiResponse(200, result)


def _dry_run(request: "ApiRequest") -> bool:
    return request.query.get("dryRun") == "All"


# --- status, finalize -------------------------------------------------------------

def _get(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    return server.storage.get(rt, info.namespace, info.name)


def _update(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    obj = server.body_object(request, rt)
    return server.storage.update(rt, info.namespace, info.name, obj, info.subresource, _dry_run(request))


def _patch(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    return server.patch(request, rt, info.namespace, info.name, info.subresource)


# --- scale (autoscaling/v1 Scale) -------------------------------------------------

def _replicas_paths(rt: ResourceType) -> tuple[str, str, str | None]:
    scale = getattr(rt.strategy, "scale", None)
    if scale:
        return scale.get("specReplicasPath", ".spec.replicas"), scale.get(
            "statusReplicasPath", ".status.replicas"), scale.get("labelSelectorPath")
    return ".spec.replicas", ".status.replicas", None


def _dig(obj: Any, path: str) -> Any:
    for part in path.strip(".").split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _scale_of(rt: ResourceType, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = _replicas_paths(rt)
    metadata = obj["metadata"]
    selector = ""
    if selector_path:
        selector = _dig(obj, selector_path) or ""
    else:
        match = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in match.items())
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: metadata[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in metadata},
        "spec": {"replicas": _dig(obj, spec_path) or 0},
        "status": {"replicas": _dig(obj, status_path) or 0, "selector": selector},
    }


def _get_scale(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    return _scale_of(rt, server.storage.get(rt, info.namespace, info.name))


def _write_scale(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    from . import patch as patching
    from .server import PATCH_TYPES

    spec_path, _, _ = _replicas_paths(rt)
    body = server.body_json(request)
    precondition = ""

    def mutate(obj: Obj) -> Obj:
        scale = _scale_of(rt, {**obj, "metadata": {**obj["metadata"], "resourceVersion": ""}})
        if info.verb == "patch":
            kind = PATCH_TYPES.get(request.content_type.split(";")[0].strip(), "merge")
            scale = (patching.apply_json_patch(scale, body) if kind == "json"
                     else patching.apply_merge_patch(scale, body))
        else:
            if not isinstance(body, dict):
                raise errors.BadRequest("the body of the request must be a Scale object")
            scale = body
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.Invalid.object("Scale", "autoscaling", info.name, [(
                "spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0",
                "FieldValueInvalid")])
        target: Any = obj
        parts = spec_path.strip(".").split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = replicas
        return obj

    if info.verb == "update" and isinstance(body, dict):
        precondition = str((body.get("metadata") or {}).get("resourceVersion") or "")
        if precondition:
            current = server.storage.get(rt, info.namespace, info.name)
            if current["metadata"]["resourceVersion"] != precondition:
                raise errors.Conflict.modified(rt.plural, rt.group, info.name)
    updated = server.storage.guaranteed_update(rt, info.namespace, info.name, mutate, "", _dry_run(request))
    return _scale_of(rt, updated)


# --- pods/binding, pods/eviction, pods/log ------------------------------------------

def _bind(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> "ApiResponse":
    from .server import ApiResponse

    binding = server.body_json(request)
    target = (binding or {}).get("target") or {} if isinstance(binding, dict) else {}
    node = target.get("name")
    if not node:
        raise errors.Invalid.object("Binding", "", info.name, [("target.name", "Required value",
                                                                "FieldValueRequired")])

    def mutate(pod: Obj) -> Obj:
        spec = pod.setdefault("spec", {})
        if spec.get("nodeName"):
            raise errors.Conflict(f'Operation cannot be fulfilled on pods/binding "{info.name}": pod '
                                  f'{info.name} is already assigned to node "{spec["nodeName"]}"',
                                  details={"name": info.name, "kind": "pods/binding"})
        if meta(pod).get("deletionTimestamp"):
            raise errors.Conflict(f'Operation cannot be fulfilled on pods/binding "{info.name}": pod '
                                  f'{info.name} is being deleted, cannot be assigned to a host',
                                  details={"name": info.name, "kind": "pods/binding"})
        spec["nodeName"] = node
        conditions = [c for c in pod.setdefault("status", {}).get("conditions") or []
                      if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": timestamp(server.now())})
        pod["status"]["conditions"] = conditions
        return pod

    server.storage.guaranteed_update(rt, info.namespace, info.name, mutate, "binding", _dry_run(request))
    return ApiResponse(201, _success())


def _evict(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> "ApiResponse":
    from .server import ApiResponse, delete_options

    eviction = server.body_json(request, optional=True) or {}
    options = delete_options(request.query, (eviction or {}).get("deleteOptions") if isinstance(eviction, dict)
                             else None)
    server.storage.delete(rt, info.namespace, info.name, options)
    return ApiResponse(201, _success())


def _log(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> "ApiResponse":
    from .server import ApiResponse

    pod = server.storage.get(rt, info.namespace, info.name)
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    container = request.query.get("container") or (containers[0] if len(containers) == 1 else "")
    if not container:
        raise errors.BadRequest(f"a container name must be specified for pod {info.name}, choose one of: "
                                f"[{' '.join(containers)}]")
    if container not in containers:
        raise errors.BadRequest(f"container {container} is not valid for pod {info.name}")
    if request.query.get("previous") in ("true", "1"):
        if not _last_terminated(pod, container):
            raise errors.BadRequest(f'previous terminated container "{container}" in pod "{info.name}" not found')
    else:
        _check_log_status(pod, container, info.name)
    text = server.log_source(pod, container)
    tail = request.query.get("tailLines")
    if tail and tail.isdigit():
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-int(tail):]) if int(tail) else ""
    limit = request.query.get("limitBytes")
    if limit and limit.isdigit():
        text = text.encode()[:int(limit)].decode(errors="ignore")
    response = ApiResponse(200, text, content_type="text/plain")
    if request.query.get("follow") in ("true", "1"):
        response.follow = lambda: _read_log(server, rt, info, container)
    return response


def _check_log_status(pod: Obj, container: str, name: str) -> None:
    """What the kubelet answers before there is a log: no node yet, or a container
    still waiting with no earlier instance to show (kubelet's validateContainerLogStatus)."""
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.BadRequest(f"pod {name} does not have a host assigned")
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") != container:
            continue
        waiting = (status.get("state") or {}).get("waiting")
        if waiting is not None and not (status.get("lastState") or {}).get("terminated"):
            raise errors.BadRequest(f'container "{container}" in pod "{name}" is waiting to start: '
                                    f'{waiting.get("reason") or "ContainerCreating"}')
        return
    raise errors.BadRequest(f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')


def _last_terminated(pod: Obj, container: str) -> bool:
    """Whether the container has a previous, terminated instance (``kubectl logs --previous``)."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            return bool((status.get("lastState") or {}).get("terminated"))
    return False


def _read_log(server: "ApiServer", rt: ResourceType, info: RequestInfo, container: str) -> tuple[str, bool]:
    """The container's log as it is now, and whether following should stop: the
    pod is gone or finished, as the kubelet ends a followed log then."""
    try:
        pod = server.storage.get(rt, info.namespace, info.name)
    except errors.NotFound:
        return "", True
    finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    return server.log_source(pod, container), finished


def _finalize(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    obj = server.body_object(request, rt)
    finalizers = (obj.get("spec") or {}).get("finalizers") or []

    def mutate(ns: Obj) -> Obj:
        ns.setdefault("spec", {})["finalizers"] = list(finalizers)
        return ns

    return server.storage.guaranteed_update(rt, "", info.name, mutate, "finalize", _dry_run(request))


def _token(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> "ApiResponse":
    """serviceaccounts/token: a TokenRequest answered with a bound, expiring token."""
    from .authn import issue_service_account_token
    from .server import ApiResponse

    account = server.storage.get(rt, info.namespace, info.name)
    body = server.body_json(request, optional=True) or {}
    spec = (body.get("spec") or {}) if isinstance(body, dict) else {}
    seconds = spec.get("expirationSeconds") or 3600
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 600:
        raise errors.Invalid.object("TokenRequest", "authentication.k8s.io", info.name, [(
            "spec.expirationSeconds", f"Invalid value: {json.dumps(seconds)}: may not specify a duration less "
            "than 10 minutes", "FieldValueInvalid")])
    audiences = [str(a) for a in spec.get("audiences") or [] if isinstance(a, str)]
    token, expires = issue_service_account_token(info.namespace, info.name, account["metadata"].get("uid", ""),
                                                 seconds, audiences)
    return ApiResponse(201, {
        "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": info.name, "namespace": info.namespace, "creationTimestamp": None},
        "spec": {"audiences": audiences or ["https://kubernetes.default.svc.cluster.local"],
                 "expirationSeconds": seconds, "boundObjectRef": None},
        "status": {"token": token, "expirationTimestamp": timestamp(expires)},
    })


_NO_STREAM = {"exec": ("exec", "no process to run a command in"), "attach": ("attach", "no process to attach to"),
              "portforward": ("port-forward", "no port to forward")}


def _no_stream(server: "ApiServer", request: "ApiRequest", info: RequestInfo, rt: ResourceType) -> Obj:
    """pods/exec, attach, portforward: authorised like kube-apiserver, then refused with
    a Status (kubectl prints "unable to upgrade connection: <message>"): a simulated
    container has no process and no port."""
    server.storage.get(rt, info.namespace, info.name)
    action, missing = _NO_STREAM[info.subresource]
    raise errors.BadRequest(f"{action} is not supported by KubeViz: the containers of pod {info.name} are "
                            f"simulated, there is {missing}")


def _success() -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


_HANDLERS = {
    ("status", "get"): _get,
    ("status", "update"): _update,
    ("status", "patch"): _patch,
    ("scale", "get"): _get_scale,
    ("scale", "update"): _write_scale,
    ("scale", "patch"): _write_scale,
    ("binding", "create"): _bind,
    ("eviction", "create"): _evict,
    ("log", "get"): _log,
    ("finalize", "update"): _finalize,
    ("token", "create"): _token,
    **{(sub, verb): _no_stream for sub in ("exec", "attach", "portforward") for verb in ("create", "get")},
}
