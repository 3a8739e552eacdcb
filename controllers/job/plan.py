"""Job controller plan: run pods until ``completions`` succeed, give up after ``backoffLimit`` failures.

``plan(job, pods, now=…, profile=…)``:

* counts the Job's pods: active (not finished, not terminating), succeeded, failed;
* wants ``min(parallelism, completions − succeeded)`` active pods (no
  ``completions``: parallel pods until one succeeds); creates the missing ones
  from the template, but after a failure waits ``job_backoff_initial × 2^(failures−1)``
  (capped) before creating again — a RequeueAfter meanwhile;
* too many active pods (parallelism lowered) → deletes the newest;
* ``failed > backoffLimit`` (default 6) → condition Failed, BackoffLimitExceeded;
  ``activeDeadlineSeconds`` passed → Failed, DeadlineExceeded; active pods are deleted;
* enough successes → condition Complete and ``completionTime``;
* status: active, ready, succeeded, failed, startTime — written when changed.

Counts come from the pods present (the real controller keeps them with a
tracking finalizer, so deleted pods still count; our simulated pods stay).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from controllers.clock import Profile, backoff_delay, from_rfc3339, to_rfc3339
from controllers.replicaset.plan import pod_from_template
from controllers.runtime.actions import Action, RequeueAfter, UpdateStatus, create_pod, delete_pod
from controllers.runtime.objects import get_condition, is_controlled_by, is_pod_active, is_pod_ready, is_terminating, meta, pod_phase


def _finished(job: Mapping) -> bool:
    return any(
        (c.get("type") in ("Complete", "Failed")) and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or ()
    )


def _condition(type_: str, reason: str, message: str, stamp: str) -> dict:
    return {"type": type_, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": stamp, "lastTransitionTime": stamp}


def plan(job: Mapping, pods: Sequence[Mapping], *, now: float, profile: Profile) -> list[Action]:
    spec = job.get("spec") or {}
    ns = meta(job).get("namespace", "default")
    name = meta(job)["name"]
    current = job.get("status") or {}
    stamp = to_rfc3339(now)
    owned = [p for p in pods if is_controlled_by(p, job)]
    active = [p for p in owned if is_pod_active(p)]
    succeeded = sum(1 for p in owned if pod_phase(p) == "Succeeded")
    failed_pods = [p for p in owned if pod_phase(p) == "Failed"]
    failed = len(failed_pods)
    completions = spec.get("completions")
    parallelism = spec.get("parallelism", 1)
    backoff_limit = spec.get("backoffLimit", 6)
    actions: list[Action] = []

    status = {k: v for k, v in current.items()}
    status.setdefault("startTime", stamp)
    conditions = list(current.get("conditions") or [])

    if not _finished(job) and not is_terminating(job):
        start = from_rfc3339(status["startTime"]) or now
        deadline = spec.get("activeDeadlineSeconds")
        done = succeeded >= completions if completions is not None else (succeeded > 0 and not active)
        failure: tuple[str, str] | None = None
        if failed > backoff_limit:
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
        elif deadline is not None and now - start >= deadline:
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
        if failure is not None:
            for p in active:
                actions.append(delete_pod(p, reason=failure[0]))
            conditions.append(_condition("Failed", failure[0], failure[1], stamp))
            active = []
        elif done:
            conditions.append(_condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", stamp))
            status["completionTime"] = stamp
        else:
            if completions is None:
                wanted = 0 if succeeded > 0 else parallelism
            else:
                wanted = min(parallelism, completions - succeeded)
            missing = wanted - len(active)
            if missing > 0:
                last_failure = max((from_rfc3339(_finished_at(p)) or 0.0 for p in failed_pods), default=None)
                wait = 0.0
                if failed and last_failure:
                    wait = last_failure + backoff_delay(profile.job_backoff_initial, profile.job_backoff_max, failed) - now
                if wait > 0:
                    actions.append(RequeueAfter(wait, why="pod failure back-off"))
                else:
                    template = spec.get("template") or {}
                    for _ in range(missing):
                        actions.append(create_pod(ns, pod_from_template(job, template, "batch/v1", "Job")))
            elif missing < 0:
                newest = sorted(active, key=lambda p: from_rfc3339(meta(p).get("creationTimestamp")) or 0.0, reverse=True)
                for p in newest[: -missing]:
                    actions.append(delete_pod(p, reason="parallelism lowered"))
            if deadline is not None:
                actions.append(RequeueAfter(max(0.0, start + deadline - now), why="activeDeadlineSeconds"))

    status.update(active=len(active), ready=sum(1 for p in active if is_pod_ready(p)), succeeded=succeeded, failed=failed)
    if conditions:
        status["conditions"] = conditions
    if status != current:
        actions.append(UpdateStatus("Job", ns, name, status))
    return actions


def _finished_at(pod: Mapping) -> str | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        finished = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if finished:
            return finished
    ready = get_condition(pod, "Ready")
    return ready.get("lastTransitionTime") if ready else None
