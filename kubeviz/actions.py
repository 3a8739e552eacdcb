"""The dashboard's buttons: scenario actions and clock controls.

Every scenario goes through the API server as the logged-in user, so RBAC
decides and a forbidden click answers with the API server's 403 message.
The answer is a small fragment for the page's flash area.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from cluster.client import ApiClient, StatusError
from cluster.client import resources as r

from .live import sources
from .live.consumers import client_for


class BadTarget(Exception):
    pass


def _namespaced(target: str) -> tuple[str, str]:
    namespace, sep, name = target.partition("/")
    if not sep or not namespace or not name:
        raise BadTarget(f'"{target}" is not NAMESPACE/NAME')
    return namespace, name


def _cordon(unschedulable: bool) -> Callable[[ApiClient, str, str], Any]:
    def run(client: ApiClient, target: str, value: str) -> Any:
        return client.patch(r.NODES, target, {"spec": {"unschedulable": unschedulable or None}})
    return run


def _scenario(name: str) -> Callable[[ApiClient, str, str], Any]:
    def run(client: ApiClient, target: str, value: str) -> Any:
        from controllers import scenarios

        return getattr(scenarios, name)(client, target)
    return run


def _add_node(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    return scenarios.add_node(client, target)


def _crash_pod(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    return scenarios.crash_pod(client, *_namespaced(target))


def _delete_pod(client: ApiClient, target: str, value: str) -> Any:
    namespace, name = _namespaced(target)
    return client.delete(r.PODS, name, namespace)


def _scale(client: ApiClient, target: str, value: str) -> Any:
    namespace, name = _namespaced(target)
    deployment = client.get(r.DEPLOYMENTS, name, namespace)
    current = int((deployment.get("spec") or {}).get("replicas", 1))
    replicas = current + int(value) if value.startswith(("+", "-")) else int(value)
    return client.patch(r.DEPLOYMENTS, name, {"spec": {"replicas": max(0, replicas)}}, namespace)


SCENARIOS: dict[str, Callable[[ApiClient, str, str], Any]] = {
    "kill-node": _scenario("kill_node"),
    "revive-node": _scenario("revive_node"),
    "partition-node": _scenario("partition_node"),
    "heal-node": _scenario("heal_node"),
    "slow-node": _scenario("slow_node"),
    "remove-node": _scenario("remove_node"),
    "add-node": _add_node,
    "cordon": _cordon(True),
    "uncordon": _cordon(False),
    "crash-pod": _crash_pod,
    "delete-pod": _delete_pod,
    "scale": _scale,
}


def _flash(request: HttpRequest, message: str, status: int = 200) -> HttpResponse:
    return render(request, "_flash.html", {"message": message, "ok": status < 400, "code": status}, status=status)


@login_required
@require_POST
def scenario(request: HttpRequest, name: str) -> HttpResponse:
    action = SCENARIOS.get(name)
    if action is None:
        return _flash(request, f'no scenario "{name}"', 404)
    target, value = request.POST.get("target", ""), request.POST.get("value", "")
    try:
        action(client_for(request.user), target, value)
    except StatusError as error:
        return _flash(request, f"{error.code} {error.reason}: {error}", error.code)
    except (BadTarget, ValueError) as error:
        return _flash(request, str(error), 400)
    except Exception as error:  # ScenarioError and friends: the scenario refused
        if type(error).__name__ != "ScenarioError":
            raise
        return _flash(request, str(error), 409)
    return _flash(request, f"{name} {target}".strip() + ": done")


@login_required
@require_POST
def clock(request: HttpRequest, action: str) -> HttpResponse:
    """Pause, resume, step or change the speed of the simulated clock (editors and admins)."""
    if not (request.user.is_staff or request.user.is_superuser):
        return _flash(request, "403 Forbidden: only editors and admins may change the clock", 403)
    sim = sources.clock()
    if sim is None:
        return _flash(request, "the control plane is not running in this process", 409)
    try:
        if action == "pause":
            sim.pause()
        elif action == "resume":
            sim.resume()
        elif action == "step":
            sim.advance(float(request.POST.get("value") or 1.0))
        elif action == "speed":
            sim.speed = float(request.POST.get("value", "1"))
        else:
            return _flash(request, f'no clock action "{action}"', 404)
    except ValueError as error:
        return _flash(request, str(error), 400)
    from .views import SPEEDS

    return render(request, "_clock.html", {"clock": sim, "speeds": SPEEDS, "flash": f"clock: {action}"})
