"""HTML at the edge: ``ClusterState`` and the feeds rendered as fragments with stable ids.

A snapshot replaces every live region by id; a delta is a list of
out-of-band swaps (``hx-swap-oob``) the htmx ws extension applies in order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from .fragments import pods_html
from .model import NodeView, PodView, dom_id
from .state import PENDING, ClusterState, Ops

PENDING_ID = "pending-pods"

# (scenario, label, what it does) — the buttons on every node card
NODE_ACTIONS = [
    ("kill-node", "kill", "the machine dies: kubelet and containers stop"),
    ("revive-node", "revive", "a dead machine boots again"),
    ("partition-node", "partition", "the kubelet runs on but cannot reach the API server"),
    ("heal-node", "heal", "the network partition (or slowness) ends"),
    ("slow-node", "slow", "heartbeats arrive late, but within the grace period: the node stays Ready"),
    ("cordon", "cordon", "mark unschedulable: no new pods land here"),
    ("uncordon", "uncordon", "allow new pods again"),
    ("drain", "drain", "cordon, then evict every pod through the eviction API (kubectl drain)"),
    ("remove-node", "remove", "the machine leaves the cluster: Node and Lease deleted"),
]
# the buttons on every pod (and, by name, in the bar above the map)
POD_ACTIONS = [
    ("crash-pod", "crash", "the container exits 1: a restart, then CrashLoopBackOff if it keeps crashing"),
    ("delete-pod", "delete", "delete the pod: its controller creates a replacement"),
]


# the buttons on every Deployment row of the workloads panel
WORKLOAD_ACTIONS = [
    ("scale-up", "+1", "one more replica"),
    ("scale-down", "−1", "one replica fewer"),
    ("rollout", "roll out", "a new image (the tag's next version): watch the rolling update"),
]
# namespaces Kubernetes will not delete, so no button offers to
PROTECTED_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


# the controllers whose traces the control-loop panel can be narrowed to
TRACE_CONTROLLERS = ["replicaset", "deployment", "scheduler", "nodelifecycle", "endpoints", "namespace",
                     "garbagecollector", "job", "trainingjob", "kubelet"]


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, dict):
        text = ", ".join(f"{k}={_short(v, 30)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_short(v, 20) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def trace_view(trace: Any) -> dict[str, Any]:
    """One reconcile trace as the control-loop feed draws it: observed → desired, diff, actions."""
    return {"controller": trace.controller, "key": trace.key, "result": trace.result, "error": trace.error,
            "diff": trace.diff, "actions": trace.actions, "duration_ms": trace.duration_ms,
            "observed": _short(trace.observed, 120) if trace.observed else "",
            "desired": _short(trace.desired, 80) if trace.desired else ""}


def idle(trace: Any) -> bool:
    """A pass that found nothing to do (in sync, or only "check again later")."""
    return not trace.actions and trace.result != "error"


def traces_html(traces: list[Any], controller: str, show_idle: bool) -> str:
    """The control-loop feed afresh, for a new filter (newest first)."""
    return render_to_string("_traces.html", {"traces": [trace_view(t) for t in traces], "controller": controller,
                                             "show_idle": show_idle})


def namespaces_of(rows: list[Any]) -> list[str]:
    """The namespaces holding workloads that a "delete namespace" button may offer."""
    return sorted({row.namespace for row in rows} - PROTECTED_NAMESPACES)


@dataclass
class Extras:
    """What the consumer adds beside the cluster objects: the process-local feeds."""

    traces: list[Any] = field(default_factory=list)  # newest first
    audit: list[Any] = field(default_factory=list)  # newest first
    changes: list[Any] = field(default_factory=list)  # newest first
    status: Any = None
    decisions: list[dict[str, Any]] | None = None  # None: unchanged
    has_plane: bool = False


def container_id(node: str) -> str:
    return PENDING_ID if node == PENDING else "pods-" + dom_id(node)


def _card(state: ClusterState, node: NodeView) -> dict[str, Any]:
    return {"node": node, "pods_html": pods_html(state.pods_on(node.name), compact=state.compact)}


def _base(can_act: bool, extras: Extras) -> dict[str, Any]:
    return {"can_act": can_act, "node_actions": NODE_ACTIONS, "workload_actions": WORKLOAD_ACTIONS,
            "traces": [trace_view(t) for t in extras.traces], "audit": extras.audit,
            "changes": extras.changes, "status": extras.status, "decisions": extras.decisions or [],
            "has_plane": extras.has_plane}


# daphne (autobahn) refuses to send a websocket message over 1 MiB: a large map goes in parts
MESSAGE_BUDGET = 900_000  # bytes


def snapshot(state: ClusterState, extras: Extras, can_act: bool) -> str:
    """The whole snapshot as one string (the parts of ``snapshot_messages`` joined)."""
    return "".join(snapshot_messages(state, extras, can_act))


def snapshot_messages(state: ClusterState, extras: Extras, can_act: bool) -> list[str]:
    """Every live region afresh, in messages under MESSAGE_BUDGET: the first replaces
    the regions (with the node cards that fit), the rest append the remaining cards."""
    state.snapshot()
    card = get_template("_node.html")
    base = _base(can_act, extras) | {"compact": state.compact, "oob": False}
    chunks: list[list[str]] = [[]]
    size = 0
    for node in state.node_list():
        html = card.render(base | _card(state, node))
        length = len(html.encode())
        if size + length > MESSAGE_BUDGET and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(html)
        size += length
    context = _base(can_act, extras) | {
        "revision": state.revision,
        "compact": state.compact,
        "nodes_html": mark_safe("".join(chunks[0])),
        "pending_html": pods_html(state.pending(), in_tray=True),
        "events": state.recent_events(),
        "summary": state.summary(),
        "workloads": (rows := state.workload_rows()),
        "namespaces": namespaces_of(rows),
    }
    first = render_to_string("_live_snapshot.html", context)
    return [first] + ['<div hx-swap-oob="beforeend:#nodes">' + "".join(chunk) + "</div>" for chunk in chunks[1:]]


def delta(state: ClusterState, ops: Ops, extras: Extras, can_act: bool, revision_changed: bool) -> str:
    groups: dict[str, list[PodView]] = {}
    for container, pod in ops.pods_added:
        groups.setdefault(container, []).append(pod)
    context = _base(can_act, extras) | {
        "ops": ops,
        "compact": state.compact,
        "revision": state.revision,
        "revision_changed": revision_changed,
        "nodes_added": [_card(state, node) for node in ops.nodes_added],
        "nodes_replaced": [_card(state, node) for node in ops.nodes_replaced],
        "pods_added": [(container_id(c), pods_html(pods, in_tray=c == PENDING, compact=state.compact))
                       for c, pods in groups.items()],
        "pods_changed": pods_html(ops.pods_changed, oob=True, compact=state.compact),
        "decisions_changed": extras.decisions is not None,
        "summary": state.summary() if ops.summary_changed else None,
        "workloads": (rows := state.workload_rows() if ops.workloads_changed else []),
        "namespaces": namespaces_of(rows),
    }
    return render_to_string("_live_delta.html", context)


def flash(message: str, ok: bool = False) -> str:
    return render_to_string("_flash.html", {"message": message, "ok": ok, "code": 200 if ok else 403})


def scheduler(decisions: list[dict[str, Any]], pod: str, has_plane: bool) -> str:
    """The scheduler panel afresh, for one pod's decisions or everyone's (newest first)."""
    return render_to_string("_scheduler.html", {"decisions": decisions, "pod": pod, "has_plane": has_plane,
                                                "oob": True})


def cdc(changes: list[Any], prefix: str) -> str:
    """The etcd panel's CDC list afresh, for a new prefix filter (newest first)."""
    return render_to_string("_cdc.html", {"changes": changes, "prefix": prefix})
