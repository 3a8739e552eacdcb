"""Job plan: completions, parallelism, backoffLimit with back-off, deadline, conditions."""
from __future__ import annotations

from controllers.clock import DEMO, to_rfc3339
from controllers.job.plan import plan
from controllers.runtime.actions import CreateObject, DeleteObject, RequeueAfter, without_requeue
from controllers.runtime.objects import get_condition
from tests.controllers.world import World

T0 = 1735689600.0


def job(**spec):
    return {"metadata": {"name": "pi", "namespace": "default", "uid": "job-uid"},
            "spec": {"template": {"metadata": {"labels": {"job-name": "pi"}},
                                  "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}},
                     **spec}}


def finish(pod, phase, now):
    pod["spec"]["nodeName"] = "node-1"
    pod["status"] = {"phase": phase, "containerStatuses": [{"state": {"terminated": {"finishedAt": to_rfc3339(now)}}}]}


def step(w):
    actions = plan(w.get("Job", "pi"), w.list("Pod"), now=w.now, profile=DEMO)
    w.apply(actions)
    return actions


def pending(w):
    return [p for p in w.list("Pod") if "status" not in p]


def test_completions_with_parallelism_then_idle():
    w = World(T0)
    w.put("Job", job(completions=5, parallelism=2))
    creates = [a for a in step(w) if isinstance(a, CreateObject)]
    assert len(creates) == 2
    assert creates[0].body["metadata"]["ownerReferences"][0]["kind"] == "Job"
    for _ in range(10):
        for p in pending(w):
            finish(p, "Succeeded", w.now)
        if not without_requeue(step(w)):
            break
    j = w.get("Job", "pi")
    assert j["status"]["succeeded"] == 5 and j["status"]["active"] == 0
    assert get_condition(j, "Complete")["reason"] == "CompletionsReached"
    assert "completionTime" in j["status"]
    assert plan(j, w.list("Pod"), now=w.now + 100, profile=DEMO) == []


def test_work_queue_mode_without_completions():
    w = World(T0)
    w.put("Job", job(parallelism=3))
    step(w)
    assert len(w.list("Pod")) == 3
    finish(w.list("Pod")[0], "Succeeded", w.now)
    for p in w.list("Pod")[1:]:
        finish(p, "Succeeded", w.now)
    step(w)
    assert get_condition(w.get("Job", "pi"), "Complete") is not None


def test_failures_back_off_then_backoff_limit_fails_the_job():
    w = World(T0)
    w.put("Job", job(completions=1, backoffLimit=2))
    step(w)
    delays = []
    for _ in range(3):
        finish(pending(w)[0], "Failed", w.now)
        actions = step(w)
        if get_condition(w.get("Job", "pi"), "Failed"):
            break
        wait = next(a for a in actions if isinstance(a, RequeueAfter))
        delays.append(wait.seconds)
        w.now += wait.seconds
        assert any(isinstance(a, CreateObject) for a in step(w))
    assert delays == [2.0, 4.0]  # DEMO: 2 s doubling
    failed = get_condition(w.get("Job", "pi"), "Failed")
    assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert w.get("Job", "pi")["status"]["failed"] == 3
    assert without_requeue(plan(w.get("Job", "pi"), w.list("Pod"), now=w.now, profile=DEMO)) == []


def test_active_deadline_deletes_running_pods():
    w = World(T0)
    w.put("Job", job(completions=1, activeDeadlineSeconds=30))
    actions = step(w)
    assert RequeueAfter(30.0, why="activeDeadlineSeconds") in actions
    w.now += 30
    actions = step(w)
    assert any(isinstance(a, DeleteObject) for a in actions)
    assert get_condition(w.get("Job", "pi"), "Failed")["reason"] == "DeadlineExceeded"
    assert plan(w.get("Job", "pi"), w.list("Pod"), now=w.now, profile=DEMO) == []


def test_lowering_parallelism_deletes_extra_pods():
    w = World(T0)
    w.put("Job", job(completions=10, parallelism=4))
    step(w)
    w.get("Job", "pi")["spec"]["parallelism"] = 1
    deletes = [a for a in step(w) if isinstance(a, DeleteObject)]
    assert len(deletes) == 3
    step(w)  # the status catches up with the deletions it observed
    assert w.get("Job", "pi")["status"]["active"] == 1
    assert without_requeue(step(w)) == []
