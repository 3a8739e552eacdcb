"""Time travel: the cluster map as it was at an earlier revision, rebuilt from the CDC rows.

The store keeps every change since its compact revision; ``telemetry.objects_at``
reads the nodes and pods as they stood at revision R. The answer replaces the
``#travel`` region; while it holds a map the live one is hidden (the live
stream keeps running underneath, so "back to live" is instant).
"""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cluster.client import StatusError
from cluster.client import resources as r

from .live.consumers import client_for
from .live.state import ClusterState

PREFIXES = ("/registry/nodes/", "/registry/pods/")


def _kind(prefix: str) -> str:
    return "pods" if prefix == "/registry/pods/" else "nodes"


def state_at(revision: int) -> ClusterState:
    """A ClusterState loaded with the nodes and pods at ``revision`` (raises telemetry's errors)."""
    from cluster.api import telemetry

    state = ClusterState()
    for prefix, objects in telemetry.objects_at(revision, PREFIXES).items():
        state.load(_kind(prefix), objects)
    state.revision = revision
    return state


def _answer(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render(request, "_travel.html", context, status=status)


@login_required
def travel(request: HttpRequest) -> HttpResponse:
    """``?revision=R``: the map at R; no revision: back to live (an empty region)."""
    from cluster.api import telemetry

    raw = request.GET.get("revision", "").strip()
    if not raw:
        return _answer(request, {})
    try:
        revision = int(raw)
        if revision < 1:
            raise ValueError
    except ValueError:
        return _answer(request, {"error": f'"{raw}" is not a revision (a positive whole number)'}, 400)
    client = client_for(request.user)
    try:  # the map shows nodes and pods: the user must be allowed to list them now
        client.list(r.NODES, limit=1)
        client.list(r.PODS, limit=1)
    except StatusError as error:
        return _answer(request, {"error": f"{error.code} {error.reason}: {error}"}, error.code)
    try:
        state = state_at(revision)
    except telemetry.RevisionCompacted as error:
        return _answer(request, {"error": f"Revision {revision} was compacted: etcd keeps history only from "
                                          f"revision {error.compact_revision} on. Pick a later one."}, 410)
    except telemetry.RevisionInFuture:
        current = telemetry.store_status().revision
        return _answer(request, {"error": f"Revision {revision} has not happened yet (the store is at {current})."},
                       400)
    nodes = [{"node": node, "pods": state.pods_on(node.name)} for node in state.node_list()]
    return _answer(request, {"revision": revision, "nodes": nodes, "pending": state.pending(),
                             "pod_count": len(state.pods)})
