"""Server-side printing: ``meta.k8s.io/v1 Table`` responses, as kube-apiserver's
table convertors build them (``pkg/printers/internalversion``), so ``kubectl get``
prints a real cluster's columns.

A client asks for a Table with ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``;
``includeObject`` (None | Metadata | Object, default Metadata) says what each
row's ``object`` carries. Each kind has a list of ``Column``s: a name, a type,
a priority (1 = only with ``-o wide``) and a function from object to cell.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors
from .jsonpath import JsonPathError, evaluate
from .objects import Obj, parse_timestamp
from .registry import ResourceType

TABLE_PARAMS = {"as": "Table", "v": "v1", "g": "meta.k8s.io"}
NONE = "<none>"


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for ``as=Table;v=v1;g=meta.k8s.io`` (JSON)."""
    for media in accept.split(","):
        kind, *params = media.split(";")
        if kind.strip() not in ("application/json", "*/*"):
            continue
        values = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in params)}
        if all(values.get(k) == v for k, v in TABLE_PARAMS.items()):
            return True
    return False


def wants_partial_metadata(accept: str) -> bool:
    """``as=PartialObjectMetadata(List);g=meta.k8s.io;v=v1``: metadata-only clients."""
    for media in accept.split(","):
        kind, *params = media.split(";")
        values = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in params)}
        if kind.strip() == "application/json" and values.get("g") == "meta.k8s.io" and values.get("v") == "v1" \
                and values.get("as") in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return True
    return False


def partial_metadata(body: Obj) -> Obj:
    """A list or an object reduced to its metadata, as a metadata-only client asks."""
    if isinstance(body.get("items"), list):
        return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": body.get("metadata") or {},
                "items": [_row_object(item, "Metadata") for item in body["items"] if isinstance(item, dict)]}
    return {**(_row_object(body, "Metadata") or {})}


# --- ages and small formatters ---------------------------------------------------------

def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``: 45s, 3m20s, 15m, 5h12m, 2d3h, 40d, 2y30d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def since(value: Any, now: float) -> str:
    """The age of an RFC 3339 timestamp, ``<unknown>`` when missing."""
    if not isinstance(value, str) or not value:
        return "<unknown>"
    try:
        return human_duration(now - parse_timestamp(value.split(".")[0].rstrip("Z") + "Z"))
    except ValueError:
        return "<unknown>"


def age(obj: Obj, now: float) -> str:
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)


def _d(obj: Any, *path: str) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _selector(selector: Any) -> str:
    """A LabelSelector (or a map) as ``a=b,c in (d)``; ``<none>`` when empty."""
    if not isinstance(selector, dict) or not selector:
        return NONE
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{k}={v}" for k, v in selector.items())
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in _list(selector.get("matchExpressions")):
        op, key, values = expr.get("operator", ""), expr.get("key", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or NONE


def _containers(template_spec: Any) -> tuple[str, str]:
    containers = [c for c in _list(_d(template_spec, "containers")) if isinstance(c, dict)]
    return (",".join(str(c.get("name", "")) for c in containers),
            ",".join(str(c.get("image", "")) for c in containers))


# --- columns -----------------------------------------------------------------------------

Cell = Callable[[Obj, float], Any]


@dataclass(frozen=True)
class Column:
    name: str
    cell: Cell
    type: str = "string"
    priority: int = 0
    format: str = ""
    description: str = ""

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format,
                "description": self.description, "priority": self.priority}


NAME = Column("Name", lambda o, now: _d(o, "metadata", "name") or "", format="name",
              description="Name must be unique within a namespace.")
AGE = Column("Age", age, description="CreationTimestamp is a timestamp representing the server time when "
                                     "this object was created.")
CREATED_AT = Column("Created At", lambda o, now: _d(o, "metadata", "creationTimestamp") or "", format="date",
                    description="CreationTimestamp is a timestamp representing the server time when this "
                                "object was created.")


# --- pods ----------------------------------------------------------------------------------

def _terminal(pod: Obj) -> bool:
    return _d(pod, "status", "phase") in ("Succeeded", "Failed")


def pod_status(pod: Obj) -> tuple[str, int, int, int, float | None]:
    """kubectl's STATUS, (ready, total) containers, restarts and the last restart
    time (epoch seconds), after ``printPod``."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = _list(spec.get("initContainers"))
    sidecars = {c.get("name") for c in init_specs if isinstance(c, dict) and c.get("restartPolicy") == "Always"}
    total = len(_list(spec.get("containers"))) + len(sidecars)
    reason = status.get("reason") or status.get("phase") or "Pending"
    restarts, ready, last_restart = 0, 0, None

    def note_restart(cs: Obj) -> None:
        nonlocal last_restart
        finished = _d(cs, "lastState", "terminated", "finishedAt")
        if isinstance(finished, str):
            try:
                at = parse_timestamp(finished.split(".")[0].rstrip("Z") + "Z")
                last_restart = max(last_restart or at, at)
            except ValueError:
                pass

    initializing = False
    for i, cs in enumerate(_list(status.get("initContainerStatuses"))):
        restarts += int(cs.get("restartCount") or 0)
        note_restart(cs)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if cs.get("name") in sidecars and "running" in state and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in _list(status.get("conditions")))
    if not initializing or initialized:
        restarts = 0
        has_running = False
        for cs in reversed(_list(status.get("containerStatuses"))):
            restarts += int(cs.get("restartCount") or 0)
            note_restart(cs)
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = (f"Signal:{terminated['signal']}" if terminated.get("signal")
                          else f"ExitCode:{terminated.get('exitCode', 0)}")
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in _list(status.get("conditions")))
            reason = "Running" if pod_ready else "NotReady"
    deleting = bool(_d(pod, "metadata", "deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and not _terminal(pod):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def _pod_ready(pod: Obj, now: float) -> str:
    _, ready, total, _, _ = pod_status(pod)
    return f"{ready}/{total}"


def _pod_restarts(pod: Obj, now: float) -> str:
    _, _, _, restarts, last = pod_status(pod)
    return f"{restarts} ({human_duration(now - last)} ago)" if last is not None and restarts else str(restarts)


def _readiness_gates(pod: Obj, now: float) -> str:
    gates = [g.get("conditionType") for g in _list(_d(pod, "spec", "readinessGates")) if isinstance(g, dict)]
    if not gates:
        return NONE
    true = {c.get("type") for c in _list(_d(pod, "status", "conditions")) if c.get("status") == "True"}
    return f"{sum(1 for g in gates if g in true)}/{len(gates)}"


POD_COLUMNS = [
    NAME,
    Column("Ready", _pod_ready, description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", lambda o, now: pod_status(o)[0], description="The aggregate status of the containers in "
                                                                  "this pod."),
    Column("Restarts", _pod_restarts, description="The number of times the containers in this pod have been "
                                                  "restarted and when the last container in this pod has "
                                                  "restarted."),
    AGE,
    Column("IP", lambda o, now: _d(o, "status", "podIP") or NONE, priority=1,
           description="IP address allocated to the pod. Routable at least within the cluster. Empty if not "
                       "yet allocated."),
    Column("Node", lambda o, now: _d(o, "spec", "nodeName") or NONE, priority=1,
           description="NodeName is a request to schedule this pod onto a specific node."),
    Column("Nominated Node", lambda o, now: _d(o, "status", "nominatedNodeName") or NONE, priority=1,
           description="nominatedNodeName is set only when this pod preempts other pods on the node."),
    Column("Readiness Gates", _readiness_gates, priority=1,
           description="If specified, all readiness gates will be evaluated for pod readiness."),
]


# --- nodes ---------------------------------------------------------------------------------

def node_status(node: Obj) -> str:
    words = []
    for condition in _list(_d(node, "status", "conditions")):
        if condition.get("type") == "Ready":
            words = ["Ready" if condition.get("status") == "True" else "NotReady"]
    if not words:
        words = ["Unknown"]
    if _d(node, "spec", "unschedulable"):
        words.append("SchedulingDisabled")
    return ",".join(words)


def node_roles(node: Obj, now: float = 0) -> str:
    roles = set()
    for key, value in (_d(node, "metadata", "labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(r for r in roles if r)) or NONE


def _address(node: Obj, kind: str) -> str:
    for address in _list(_d(node, "status", "addresses")):
        if address.get("type") == kind:
            return str(address.get("address", ""))
    return NONE


NODE_COLUMNS = [
    NAME,
    Column("Status", lambda o, now: node_status(o), description="The status of the node"),
    Column("Roles", node_roles, description="The roles of the node"),
    AGE,
    Column("Version", lambda o, now: _d(o, "status", "nodeInfo", "kubeletVersion") or "",
           description="Kubelet Version reported by the node."),
    Column("Internal-IP", lambda o, now: _address(o, "InternalIP"), priority=1,
           description="List of internal IPs."),
    Column("External-IP", lambda o, now: _address(o, "ExternalIP"), priority=1,
           description="List of external IPs."),
    Column("OS-Image", lambda o, now: _d(o, "status", "nodeInfo", "osImage") or "<unknown>", priority=1,
           description="OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
    Column("Kernel-Version", lambda o, now: _d(o, "status", "nodeInfo", "kernelVersion") or "<unknown>",
           priority=1, description="Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    Column("Container-Runtime", lambda o, now: _d(o, "status", "nodeInfo", "containerRuntimeVersion")
           or "<unknown>", priority=1,
           description="ContainerRuntime Version reported by the node through runtime remote API "
                       "(e.g. containerd://1.4.2)."),
]


# --- workloads -----------------------------------------------------------------------------

def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _workload_wide() -> list[Column]:
    return [
        Column("Containers", lambda o, now: _containers(_d(o, "spec", "template", "spec"))[0], priority=1,
               description="Names of each container in the template."),
        Column("Images", lambda o, now: _containers(_d(o, "spec", "template", "spec"))[1], priority=1,
               description="Images referenced by each container in the template."),
        Column("Selector", lambda o, now: _selector(_d(o, "spec", "selector")), priority=1,
               description="Label selector for pods. Existing ReplicaSets whose pods are selected by this will "
                           "be the ones affected by this deployment."),
    ]


DEPLOYMENT_COLUMNS = [
    NAME,
    Column("Ready", lambda o, now: f"{_int(_d(o, 'status', 'readyReplicas'))}/{_int(_d(o, 'spec', 'replicas'))}",
           description="Number of the pod with ready state"),
    Column("Up-to-date", lambda o, now: _int(_d(o, "status", "updatedReplicas")), type="integer",
           description="Total number of non-terminated pods targeted by this deployment that have the desired "
                       "template spec."),
    Column("Available", lambda o, now: _int(_d(o, "status", "availableReplicas")), type="integer",
           description="Total number of available pods (ready for at least minReadySeconds) targeted by this "
                       "deployment."),
    AGE,
    *_workload_wide(),
]

REPLICASET_COLUMNS = [
    NAME,
    Column("Desired", lambda o, now: _int(_d(o, "spec", "replicas")), type="integer",
           description="Replicas is the number of desired replicas."),
    Column("Current", lambda o, now: _int(_d(o, "status", "replicas")), type="integer",
           description="Replicas is the most recently observed number of replicas."),
    Column("Ready", lambda o, now: _int(_d(o, "status", "readyReplicas")), type="integer",
           description="The number of ready replicas for this replica set."),
    AGE,
    *_workload_wide(),
]


def job_status(job: Obj) -> str:
    conditions = {c.get("type"): c.get("status") for c in _list(_d(job, "status", "conditions"))}
    for kind in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet"):
        if conditions.get(kind) == "True":
            return kind
    if conditions.get("Suspended") == "True":
        return "Suspended"
    if _d(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    return "Running"


def _job_completions(job: Obj, now: float) -> str:
    completions = _d(job, "spec", "completions")
    succeeded = _int(_d(job, "status", "succeeded"))
    if isinstance(completions, int):
        return f"{succeeded}/{completions}"
    parallelism = _int(_d(job, "spec", "parallelism"))
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(job: Obj, now: float) -> str:
    start = _d(job, "status", "startTime")
    if not isinstance(start, str):
        return ""
    end = _d(job, "status", "completionTime")
    try:
        finish = parse_timestamp(end) if isinstance(end, str) else now
        return human_duration(finish - parse_timestamp(start))
    except ValueError:
        return ""


JOB_COLUMNS = [
    NAME,
    Column("Status", lambda o, now: job_status(o), description="Status of the job."),
    Column("Completions", _job_completions, description="The completion status of the job"),
    Column("Duration", _job_duration, description="Time required to complete the job."),
    AGE,
    *_workload_wide(),
]


# --- services and friends ------------------------------------------------------------------

def _external_ip(svc: Obj, now: float) -> str:
    spec = svc.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    external = [str(ip) for ip in _list(spec.get("externalIPs"))]
    if kind == "ExternalName":
        return str(spec.get("externalName") or NONE)
    if kind == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in _list(_d(svc, "status", "loadBalancer", "ingress"))]
        ips = [i for i in ingress if i] + external
        return ",".join(ips) if ips else "<pending>"
    return ",".join(external) if external else NONE


def _ports(svc: Obj, now: float) -> str:
    parts = []
    for port in _list(_d(svc, "spec", "ports")):
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or NONE


SERVICE_COLUMNS = [
    NAME,
    Column("Type", lambda o, now: _d(o, "spec", "type") or "ClusterIP", description="The type of the service."),
    Column("Cluster-IP", lambda o, now: _d(o, "spec", "clusterIP") or NONE,
           description="The IP address of the service."),
    Column("External-IP", _external_ip, description="The external IP address of the service."),
    Column("Port(s)", _ports, description="The ports exposed by the service."),
    AGE,
    Column("Selector", lambda o, now: _selector(_d(o, "spec", "selector")), priority=1,
           description="Route service traffic to pods with label keys and values matching this selector."),
]


def _endpoints(ep: Obj, now: float) -> str:
    addresses = []
    for subset in _list(ep.get("subsets")):
        ports = _list(subset.get("ports")) or [{}]
        for address in _list(subset.get("addresses")):
            for port in ports:
                ip = address.get("ip", "")
                addresses.append(f"{ip}:{port['port']}" if port.get("port") else ip)
    if not addresses:
        return NONE
    shown = ",".join(addresses[:3])
    return shown + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")


ENDPOINTS_COLUMNS = [NAME, Column("Endpoints", _endpoints, description="Endpoints of the service"), AGE]


def _with_more(items: list[str], limit: int = 3) -> str:
    """kube-apiserver's listWithMoreString: the first three, "+ N more...", or <unset>."""
    text = ",".join(items[:limit])
    if len(items) > limit:
        return f"{text} + {len(items) - limit} more..."
    return text or "<unset>"


ENDPOINTSLICE_COLUMNS = [
    NAME,
    Column("AddressType", lambda o, now: o.get("addressType") or "", description="Type of address carried by this "
                                                                                 "EndpointSlice."),
    Column("Ports", lambda o, now: _with_more([str(p.get("port") or p.get("name") or "*")
                                               for p in _list(o.get("ports"))]),
           description="Ports of the EndpointSlice"),
    Column("Endpoints", lambda o, now: _with_more([str(a) for e in _list(o.get("endpoints"))
                                                   for a in _list(e.get("addresses"))]),
           description="Endpoints of the EndpointSlice"),
    AGE,
]

NAMESPACE_COLUMNS = [
    NAME,
    Column("Status", lambda o, now: _d(o, "status", "phase") or "Active",
           description="The status of the namespace"),
    AGE,
]

CONFIGMAP_COLUMNS = [
    NAME,
    Column("Data", lambda o, now: len(o.get("data") or {}) + len(o.get("binaryData") or {}), type="integer",
           description="Data contains the configuration data."),
    AGE,
]

SECRET_COLUMNS = [
    NAME,
    Column("Type", lambda o, now: o.get("type") or "Opaque", description="The type of the secret"),
    Column("Data", lambda o, now: len(o.get("data") or {}), type="integer",
           description="The number of entries in the secret"),
    AGE,
]

SERVICEACCOUNT_COLUMNS = [
    NAME,
    Column("Secrets", lambda o, now: len(_list(o.get("secrets"))), type="integer",
           description="Secrets is a list of the secrets in the same namespace that pods running using this "
                       "ServiceAccount are allowed to use."),
    AGE,
]

LEASE_COLUMNS = [
    NAME,
    Column("Holder", lambda o, now: _d(o, "spec", "holderIdentity") or "",
           description="The holder of the lease."),
    AGE,
]


# --- events --------------------------------------------------------------------------------

def _event_last_seen(ev: Obj, now: float) -> str:
    first = ev.get("firstTimestamp") or ev.get("eventTime") or _d(ev, "metadata", "creationTimestamp")
    last = _d(ev, "series", "lastObservedTime") or ev.get("lastTimestamp") or first
    count = _int(_d(ev, "series", "count")) or _int(ev.get("count"))
    seen = since(last, now)
    if count > 1:
        return f"{seen} (x{count} over {since(first, now)})"
    return seen


def _event_object(ev: Obj, now: float) -> str:
    involved = ev.get("involvedObject") or ev.get("regarding") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


EVENT_COLUMNS = [
    Column("Last Seen", _event_last_seen, description="Time when last event from the series was seen"),
    Column("Type", lambda o, now: o.get("type") or "", description="Type of this event (Normal, Warning)."),
    Column("Reason", lambda o, now: o.get("reason") or "", description="Reason is why the action was taken."),
    Column("Object", _event_object, description="The object that this event is about."),
    Column("Subobject", lambda o, now: _d(o, "involvedObject", "fieldPath") or "", priority=1,
           description="The subobject this event is about."),
    Column("Source", lambda o, now: _d(o, "source", "component") or o.get("reportingComponent") or "", priority=1,
           description="The component reporting this event."),
    Column("Message", lambda o, now: str(o.get("message") or "").strip(),
           description="A human-readable description of the status of this operation."),
    Column("First Seen", lambda o, now: since(o.get("firstTimestamp") or o.get("eventTime"), now), priority=1,
           description="The time at which the event was first recorded."),
    Column("Count", lambda o, now: _int(o.get("count")) or 1, type="integer", priority=1,
           description="The number of times this event has occurred."),
    Column("Name", lambda o, now: _d(o, "metadata", "name") or "", priority=1, format="name",
           description="Name must be unique within a namespace."),
]


# --- rbac --------------------------------------------------------------------------------

def _subjects(kind: str) -> Cell:
    def cell(binding: Obj, now: float) -> str:
        names = []
        for subject in _list(binding.get("subjects")):
            if subject.get("kind") != kind:
                continue
            name = subject.get("name", "")
            names.append(f"{subject.get('namespace', '')}/{name}" if kind == "ServiceAccount" else name)
        return ", ".join(names)
    return cell


BINDING_COLUMNS = [
    NAME,
    Column("Role", lambda o, now: f"{_d(o, 'roleRef', 'kind')}/{_d(o, 'roleRef', 'name')}",
           description="Role or ClusterRole referenced by the binding."),
    AGE,
    Column("Users", _subjects("User"), priority=1, description="Users in the binding."),
    Column("Groups", _subjects("Group"), priority=1, description="Groups in the binding."),
    Column("ServiceAccounts", _subjects("ServiceAccount"), priority=1,
           description="ServiceAccounts in the binding."),
]


BUILTIN_COLUMNS: dict[tuple[str, str], list[Column]] = {
    ("", "Pod"): POD_COLUMNS,
    ("", "Node"): NODE_COLUMNS,
    ("", "Namespace"): NAMESPACE_COLUMNS,
    ("", "Service"): SERVICE_COLUMNS,
    ("", "Endpoints"): ENDPOINTS_COLUMNS,
    ("discovery.k8s.io", "EndpointSlice"): ENDPOINTSLICE_COLUMNS,
    ("", "Event"): EVENT_COLUMNS,
    ("", "ConfigMap"): CONFIGMAP_COLUMNS,
    ("", "Secret"): SECRET_COLUMNS,
    ("", "ServiceAccount"): SERVICEACCOUNT_COLUMNS,
    ("apps", "Deployment"): DEPLOYMENT_COLUMNS,
    ("apps", "ReplicaSet"): REPLICASET_COLUMNS,
    ("batch", "Job"): JOB_COLUMNS,
    ("coordination.k8s.io", "Lease"): LEASE_COLUMNS,
    ("rbac.authorization.k8s.io", "Role"): [NAME, CREATED_AT],
    ("rbac.authorization.k8s.io", "ClusterRole"): [NAME, CREATED_AT],
    ("rbac.authorization.k8s.io", "RoleBinding"): BINDING_COLUMNS,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): BINDING_COLUMNS,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): [NAME, CREATED_AT],
}


# --- custom resources: additionalPrinterColumns ---------------------------------------------

def _printer_cell(path: str, kind: str) -> Cell:
    def cell(obj: Obj, now: float) -> Any:
        try:
            values = evaluate(obj, path)
        except JsonPathError:
            return None
        if not values:
            return None
        value = values[0]
        if kind == "date":
            return since(value, now)
        if kind in ("integer", "number", "boolean"):
            return value
        if isinstance(value, (dict, list)):
            import json

            return json.dumps(value, separators=(",", ":"))
        return str(value)
    return cell


def custom_columns(version: Obj) -> list[Column]:
    printer = [c for c in _list(version.get("additionalPrinterColumns")) if isinstance(c, dict)]
    if not printer:
        return [NAME, AGE]
    columns = [NAME]
    for spec in printer:
        kind = str(spec.get("type") or "string")
        columns.append(Column(str(spec.get("name", "")), _printer_cell(str(spec.get("jsonPath", "")), kind),
                              type=kind, priority=int(spec.get("priority") or 0),
                              format=str(spec.get("format") or ""), description=str(spec.get("description") or "")))
    return columns


def columns_for(rt: ResourceType) -> list[Column]:
    columns = BUILTIN_COLUMNS.get((rt.group, rt.kind))
    if columns is not None:
        return columns
    version = getattr(rt.strategy, "version", None)
    if isinstance(version, dict):
        return custom_columns(version)
    return [NAME, CREATED_AT]


# --- the Table -----------------------------------------------------------------------------

def include_object(query: dict[str, str]) -> str:
    value = query.get("includeObject") or "Metadata"
    if value not in ("None", "Metadata", "Object"):
        raise errors.BadRequest(f'includeObject: Unsupported value: "{value}": supported values: '
                                '"None", "Metadata", "Object"')
    return value


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}


def row(rt: ResourceType, obj: Obj, now: float, include: str, columns: list[Column] | None = None) -> Obj:
    columns = columns if columns is not None else columns_for(rt)
    cells = []
    for column in columns:
        try:
            cells.append(column.cell(obj, now))
        except Exception:  # a malformed object prints as a blank cell, never a 500
            cells.append(None)
    result: Obj = {"cells": cells, "object": _row_object(obj, include)}
    if rt.kind == "Pod" and _terminal(obj):
        result["conditions"] = [{"type": "Completed", "status": "True", "reason": "",
                                 "message": "The pod has completed successfully."}]
    return result


def table(rt: ResourceType, body: Obj, now: float, include: str, with_columns: bool = True) -> Obj:
    """A Table of a list (``kind: …List``) or of one object."""
    columns = columns_for(rt)
    items = body.get("items") if body.get("kind", "").endswith("List") and "items" in body else [body]
    metadata = body.get("metadata") or {}
    result: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}}
    if "items" in body:
        result["metadata"] = {k: v for k, v in metadata.items() if k in ("resourceVersion", "continue",
                                                                          "remainingItemCount")}
    else:
        result["metadata"] = {"resourceVersion": metadata.get("resourceVersion", "")}
    if with_columns:
        result["columnDefinitions"] = [c.definition() for c in columns]
    result["rows"] = [row(rt, item, now, include, columns) for item in items or [] if isinstance(item, dict)]
    return result
