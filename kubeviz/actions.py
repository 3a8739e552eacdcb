"""The dashboard's buttons: scenario actions and clock controls.

Every scenario goes through the API server as the logged-in user, so RBAC
decides and a forbidden click answers with the API server's 403 message.
The answer is a small fragment for the page's flash area.

The same endpoint serves scripts: ``POST /dashboard/scenario/<name>`` with
``Authorization: Bearer <token>`` (a ``manage.py kubeconfig`` token) and a
form or JSON body (``target``, ``value``) acts as that token's user — RBAC
as for any API request — and answers JSON.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cluster.client import ApiClient, StatusError

from .live import sources
from .live.consumers import client_for


class BadTarget(Exception):
    pass


def _namespaced(target: str) -> tuple[str, str]:
    namespace, sep, name = target.partition("/")
    if not sep or not namespace or not name:
        raise BadTarget(f'"{target}" is not NAMESPACE/NAME')
    return namespace, name


def _node(name: str) -> Callable[[ApiClient, str, str], Any]:
    def run(client: ApiClient, target: str, value: str) -> Any:
        from controllers import scenarios

        if not target:
            raise BadTarget("which node? give its name")
        return getattr(scenarios, name)(client, target)
    return run


def _pod(name: str) -> Callable[[ApiClient, str, str], Any]:
    def run(client: ApiClient, target: str, value: str) -> Any:
        from controllers import scenarios

        return getattr(scenarios, name)(client, *_namespaced(target))
    return run


def _add_node(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    return scenarios.add_node(client, target)


def _scale(default: str) -> Callable[[ApiClient, str, str], Any]:
    def run(client: ApiClient, target: str, value: str) -> Any:
        from controllers import scenarios

        return scenarios.scale(client, *_namespaced(target), value or default)
    return run


def _rollout(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    return scenarios.rollout(client, *_namespaced(target), value)


def _delete_namespace(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    if not target:
        raise BadTarget("which namespace? give its name")
    return scenarios.delete_namespace(client, target)


def _etcd_snapshot(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    taken = scenarios.etcd_snapshot(client)
    return f"{taken['name']}: revision {taken['revision']}, {taken['totalKey']} keys, {taken['totalSize']} bytes"


def _etcd_restore(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    restored = scenarios.etcd_restore(client, target)
    return (f"{restored['name']} (revision {restored['revision']}) restored; the store is at revision "
            f"{restored['restoredRevision']}, compacted there, so every watch relists")


def _etcd_compact(client: ApiClient, target: str, value: str) -> Any:
    from controllers import scenarios

    text = (value or target).strip()
    if text and not text.isdigit():
        raise BadTarget(f'"{text}" is not a revision number')
    compacted = scenarios.etcd_compact(client, int(text or 0))
    return f"compacted at revision {compacted['compactRevision']}"


# data-scenario name -> what the button does; every one calls controllers.scenarios
SCENARIOS: dict[str, Callable[[ApiClient, str, str], Any]] = {
    "kill-node": _node("kill_node"),
    "revive-node": _node("revive_node"),
    "partition-node": _node("partition_node"),
    "heal-node": _node("heal_node"),
    "slow-node": _node("slow_node"),
    "remove-node": _node("remove_node"),
    "add-node": _add_node,
    "cordon": _node("cordon_node"),
    "uncordon": _node("uncordon_node"),
    "drain": _node("drain_node"),
    "crash-pod": _pod("crash_pod"),
    "delete-pod": _pod("delete_pod"),
    "scale": _scale(""),
    "scale-up": _scale("+1"),
    "scale-down": _scale("-1"),
    "rollout": _rollout,
    "delete-namespace": _delete_namespace,
    "etcd-snapshot": _etcd_snapshot,
    "etcd-restore": _etcd_restore,  # target: a snapshot's name (empty: the newest)
    "etcd-compact": _etcd_compact,  # value (or target): the revision (empty: the current one)
}
# the same actions under the names ``manage.py scenario`` and kubectl use
SCENARIOS |= {"cordon-node": SCENARIOS["cordon"], "uncordon-node": SCENARIOS["uncordon"],
              "drain-node": SCENARIOS["drain"]}


def _flash(request: HttpRequest, message: str, status: int = 200) -> HttpResponse:
    return render(request, "_flash.html", {"message": message, "ok": status < 400, "code": status}, status=status)


def _token_client(request: HttpRequest) -> ApiClient | None | HttpResponse:
    """A bearer token's client, None without one, or the 401 for a token nobody issued."""
    from cluster.api.authn import authenticate_token, bearer_token
    from cluster.api.service import api_server
    from cluster.client.local import LocalTransport

    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        return None
    user = authenticate_token(token)
    if user is None:
        return JsonResponse({"code": 401, "reason": "Unauthorized", "message": "Unauthorized"}, status=401)
    return ApiClient(LocalTransport(api_server(), user))


@csrf_exempt  # a token request carries no cookie to forge; a session request is checked below
@require_POST
def scenario(request: HttpRequest, name: str) -> HttpResponse:
    client = _token_client(request)
    if isinstance(client, HttpResponse):
        return client
    scripted = client is not None
    if not scripted:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        refused = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
        if refused is not None:
            return refused
        client = client_for(request.user)
    params: Any = request.POST
    if scripted and request.content_type == "application/json":
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            params = {}
    target, value = str(params.get("target", "")), str(params.get("value", ""))

    def answer(message: str, status: int = 200) -> HttpResponse:
        if scripted:
            return JsonResponse({"scenario": name, "target": target, "code": status, "message": message}, status=status)
        return _flash(request, message, status)

    action = SCENARIOS.get(name)
    if action is None:
        return answer(f'no scenario "{name}"', 404)
    try:
        result = action(client, target, value)
    except StatusError as error:
        return answer(f"{error.code} {error.reason}: {error}", error.code)
    except (BadTarget, ValueError) as error:
        return answer(str(error), 400)
    except Exception as error:  # ScenarioError and friends: the scenario refused
        if type(error).__name__ != "ScenarioError":
            raise
        return answer(str(error), 409)
    done = f"{name} {target}".strip() + ": done"
    if isinstance(result, list):
        done += f" ({len(result)} pod{'' if len(result) == 1 else 's'} evicted)"
    elif isinstance(result, (str, int)) and str(result) and str(result) != target:
        done += f" ({result})"
    return answer(done)


@login_required
@require_POST
def clock(request: HttpRequest, action: str) -> HttpResponse:
    """Pause, resume, step or change the speed of the simulated clock (editors and admins)."""
    if not (request.user.is_staff or request.user.is_superuser):
        return _flash(request, "403 Forbidden: only editors and admins may change the clock", 403)
    sim = sources.clock()
    flash = f"clock: {action}"
    if sim is None:
        return _flash(request, "the control plane is not running in this process", 409)
    try:
        if action == "pause":
            sim.pause()
        elif action == "resume":
            sim.resume()
        elif action == "step":
            flash = _step(sim, request.POST.get("value", ""))
        elif action == "speed":
            sim.speed = float(request.POST.get("value", "1"))
        else:
            return _flash(request, f'no clock action "{action}"', 404)
    except ValueError as error:
        return _flash(request, str(error), 400)
    from .views import SPEEDS

    return render(request, "_clock.html", {"clock": sim, "speeds": SPEEDS, "flash": flash})


def _step(sim: Any, value: str) -> str:
    """Step ``value`` simulated seconds, or — with no value — to the next timer: the next
    scheduled reconcile (a requeue_after, a grace period running out, a lease renewal)."""
    if value:
        ran = sim.advance(float(value))
        return f"stepped {float(value):g} s ({ran} timer{'' if ran == 1 else 's'} ran)"
    deadline = sim.next_deadline()
    seconds = max(0.0, deadline - sim.now()) if deadline is not None else 1.0
    ran = sim.advance(seconds)
    return f"stepped {seconds:.2f} s to the next scheduled pass ({ran} ran)"
