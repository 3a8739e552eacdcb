"""The scheduler panel's "why the chosen node won": one sentence from a decision's verdicts and scores."""
from __future__ import annotations

from controllers.scheduler.decisions import DecisionLog, why
from controllers.scheduler.schedule import schedule

from .test_scheduler import UNREACHABLE, infos, node, on, pod


def test_the_winner_is_explained_by_its_score_and_the_deciding_plugin():
    # n1 already runs two pods: the new pod goes to the emptier n2 or n3
    nodes = infos(node("n1"), node("n2", cpu="8", memory="16Gi"), node("n3", taints=[UNREACHABLE]),
                  bound=[on(pod("a", cpu="2"), "n1"), on(pod("b", cpu="1"), "n1")])
    d = schedule(pod("p", cpu="1"), nodes)
    assert d.node == "n2"
    log = DecisionLog()
    log.append(d, 0.0)
    text = log[-1]["why"]
    assert text.startswith("1 rejected by the filters, n2 scored highest: ")
    assert "against n1's" in text and "mostly on NodeResources" in text


def test_the_only_feasible_node_and_no_node_at_all():
    d = schedule(pod("p", cpu="1"), infos(node("n1"), node("n2", taints=[UNREACHABLE])))
    assert why(d.to_dict()) == "1 rejected by the filters, n1 was the only node to pass every filter"
    d = schedule(pod("p", cpu="1"), infos(node("n1", cpu="500m"), node("n2", taints=[UNREACHABLE])))
    text = why(d.to_dict())
    assert text.startswith("no node passed every filter (2 of 2 rejected: ")
    assert "Insufficient cpu" in text and "node.kubernetes.io/unreachable" in text
