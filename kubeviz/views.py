"""The dashboard's pages."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .live import sources

SPEEDS = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The page shell; the websocket fills every live region with a snapshot."""
    from .live.render import NODE_ACTIONS, POD_ACTIONS, TRACE_CONTROLLERS

    return render(request, "index.html", {"clock": sources.clock(), "speeds": SPEEDS, "node_actions": NODE_ACTIONS,
                                          "pod_actions": POD_ACTIONS, "trace_controllers": TRACE_CONTROLLERS})
