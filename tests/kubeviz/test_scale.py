"""Many nodes: compact tiles, pods still hooked for tests, rendered without the template engine."""
from __future__ import annotations

from kubeviz.live import render
from kubeviz.live.fragments import pod_li
from kubeviz.live.model import pod_view
from kubeviz.live.state import COMPACT_AT, ClusterState

from .conftest import node, pod


def _state(nodes: int) -> ClusterState:
    state = ClusterState()
    state.load("nodes", [node(f"n-{i}") for i in range(nodes)])
    state.load("pods", [pod(f"p-{i}", f"n-{i % nodes}") for i in range(nodes * 2)] + [pod("waiting")])
    return state


def test_a_small_cluster_draws_full_cards_with_buttons():
    html = render.snapshot(_state(3), render.Extras(), can_act=True)
    assert 'class="nodes"' in html and 'data-scenario="kill-node" data-target="n-0"' in html
    assert '<span class="pod-name">p-0</span>' in html


def test_many_nodes_draw_compact_tiles_with_the_same_hooks():
    html = render.snapshot(_state(COMPACT_AT + 1), render.Extras(), can_act=True)
    assert 'class="nodes compact"' in html and 'data-scenario="kill-node" data-target=' not in html
    assert 'data-pod="default/p-0" data-pod-phase="Pending" data-pod-node="n-0"' in html
    assert '<span class="pod-name">p-0</span>' not in html  # a dot; the name is in its title
    assert '<span class="pod-name">waiting</span>' in html  # the Pending tray keeps names and reasons
    assert f"<b>{COMPACT_AT + 1}</b> nodes" in html


def test_pod_markup_is_escaped():
    bad = pod("x")
    bad["metadata"]["ownerReferences"] = [{"name": '"><script>'}]
    html = pod_li(pod_view(bad))
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_a_large_snapshot_is_sent_in_parts_under_the_message_limit(monkeypatch):
    monkeypatch.setattr(render, "MESSAGE_BUDGET", 20_000)
    state = _state(COMPACT_AT + 40)
    messages = render.snapshot_messages(state, render.Extras(), can_act=True)
    assert len(messages) > 1 and all(len(m.encode()) <= 20_000 + 10_000 for m in messages[1:])
    assert 'id="nodes"' in messages[0] and 'id="revision"' in messages[0]
    assert all(m.startswith('<div hx-swap-oob="beforeend:#nodes">') for m in messages[1:])
    drawn = "".join(messages).count("data-node=")
    assert drawn == COMPACT_AT + 40


def test_pods_of_one_owner_share_an_edge_colour_and_sit_together():
    import re

    from kubeviz.live.fragments import pods_html
    from kubeviz.live.model import pod_view

    def pod(name: str, owner: str) -> dict:
        return {"metadata": {"name": name, "namespace": "default", "ownerReferences": [{"name": owner}]},
                "spec": {"nodeName": "n"}, "status": {"phase": "Running"}}

    html = pods_html([pod_view(pod("a-1", "rs-a")), pod_view(pod("a-2", "rs-a")), pod_view(pod("b-1", "rs-b"))])
    hues = re.findall(r'--owner-hue:(\d+)', html)
    assert len(hues) == 3 and hues[0] == hues[1] != hues[2]
    assert "--owner-hue" not in pods_html([pod_view(pod("a-1", "rs-a"))], compact=True)  # tiles stay dots
