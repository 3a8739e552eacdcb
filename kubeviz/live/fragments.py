"""The one fragment drawn thousands of times, a pod, built without the template engine.

At 10,000 pods a Django ``{% include %}`` per pod costs seconds; this builds
the same markup as a string (every value escaped), in microseconds.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable
from functools import cache
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .model import PodView


@cache
def _scenario_url(name: str) -> str:
    from django.urls import reverse

    return reverse("scenario", args=[name])


def pod_buttons(pod: PodView) -> str:
    """crash (when it runs on a node) and delete, as on a node card: a POST as the logged-in user.
    Kept small (drawn on every pod change): dashboard.js sends ``data-target`` as the target."""
    key = escape(pod.key)
    buttons = [f'<button class="pod-act" data-scenario="{name}" data-target="{key}" hx-post="{_scenario_url(name)}"'
               f' hx-target="#flash">{label}</button>'
               for name, label in (("crash-pod", "crash"), ("delete-pod", "✕"))
               if name != "crash-pod" or (pod.node and pod.phase != "Terminating")]
    return '<span class="pod-actions" title="crash: the container exits 1 and restarts · ✕: delete the pod">' \
        + "".join(buttons) + "</span>"


def pod_li(pod: PodView, oob: bool = False, in_tray: bool = False, compact: bool = False) -> str:
    """``compact``: a dot on a tile (the name only in the title)."""
    e = escape
    title = f"{pod.key} · {pod.phase}"
    if pod.owner:
        title += f" · owner {pod.owner}"
    if pod.restarts:
        title += f" · {pod.restarts} restarts"
    # pods of one owner sit together (sorted by owner) and share an edge colour: grouped by owner
    owner = f' style="--owner-hue:{zlib.crc32(pod.owner.encode()) % 360}"' if pod.owner and not compact else ""
    parts = [f'<li id="{e(pod.id)}" class="pod phase-{e(pod.phase)}"{owner}', ' hx-swap-oob="true"' if oob else "",
             f' data-pod="{e(pod.key)}" data-pod-phase="{e(pod.phase)}" data-pod-node="{e(pod.node)}"',
             f' title="{e(title)}">' if compact and pod.node else f' title="{e(title)}"><span class="pod-name">{e(pod.name)}</span>']
    if pod.restarts and not (compact and pod.node):
        parts.append(f' <span class="restarts" title="restarts">↻{pod.restarts}</span>')
    if not (compact and pod.node) and pod.phase != "Terminating":
        parts.append(pod_buttons(pod))
    if not pod.node:
        parts.append(f'<span class="reason">{e(pod.reason or "waiting for the scheduler")}</span>')
    elif in_tray:
        parts.append(f'<span class="reason">bound to {e(pod.node)}, which the map does not show</span>')
    parts.append("</li>")
    return "".join(parts)


def pods_html(pods: Iterable[PodView], oob: bool = False, in_tray: bool = False, compact: bool = False) -> SafeString:
    return mark_safe("".join(pod_li(pod, oob, in_tray, compact) for pod in pods))
