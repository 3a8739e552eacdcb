"""Job controller: run pods to ``completions``, ``parallelism`` at a time, within ``backoffLimit``."""
from __future__ import annotations

from typing import Any

from controllers.clock import Profile
from controllers.runtime.actions import Action, UpdateStatus
from controllers.runtime.controller import Result, owner_key
from controllers.runtime.expectations import Expectations
from controllers.runtime.informer import object_key
from controllers.runtime.objects import get_condition
from controllers.runtime.plancontroller import PlanController, split_key
from controllers.runtime.trace import Trace

from .plan import plan

Obj = dict[str, Any]


class JobController(PlanController):
    name = "job"
    component = "job-controller"

    def __init__(self, *args: Any, profile: Profile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.expectations = Expectations(self.clock)
        self.informers["Job"].add_handler(lambda old, new: self.enqueue(object_key(new or old)))
        self.informers["Pod"].add_handler(self._on_pod)

    def _on_pod(self, old: Obj | None, new: Obj | None) -> None:
        key = owner_key(new or old, "Job")  # type: ignore[arg-type]
        if key is None:
            return
        if old is None:
            self.expectations.creation_observed(key)
        elif new is None:
            self.expectations.deletion_observed(key)
        self.enqueue(key)

    def reconcile(self, key: str, trace: Trace) -> Result | None:
        job = self.informers["Job"].get(key)
        if job is None:
            self.expectations.forget(key)
            return None
        if not self.expectations.satisfied(key):
            return Result(requeue_after=1.0)
        namespace, _ = split_key(key)
        pods = self.informers["Pod"].by_index("namespace", namespace)
        actions = plan(job, pods, now=self.clock.now(), profile=self.profile)
        trace.observed = dict((job.get("status") or {}))
        trace.desired = {k: (job.get("spec") or {}).get(k) for k in ("completions", "parallelism", "backoffLimit")}
        self.expectations.expect_actions(key, actions)

        def report(action: Action, result: Obj | None) -> None:
            self.report_pod(job, action, result)
            if isinstance(action, UpdateStatus):
                for type_, reason in (("Complete", "Completed"), ("Failed", "BackoffLimitExceeded")):
                    was = get_condition(job, type_)
                    now = next((c for c in action.status.get("conditions") or [] if c.get("type") == type_), None)
                    if now and now.get("status") == "True" and not (was and was.get("status") == "True"):
                        if type_ == "Complete":
                            self.recorder.normal(job, reason, "Job completed")
                        else:
                            self.recorder.warning(job, reason, "Job has reached the specified backoff limit")

        try:
            return self.execute(actions, trace, report)
        except Exception:
            self.expectations.forget(key)
            raise
