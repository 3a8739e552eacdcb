"""The simulated container runtime: what a container does, as a function of simulated time.

No I/O. A ``PodRuntime`` holds one pod's containers; ``advance(now)`` applies
every transition due by ``now`` (image pulled, started, ready, exited,
restarted after back-off) and returns the Events they produce;
``next_transition()`` says when to look again. ``status(pod, now)`` renders
the pod's ``status`` as a kubelet would report it.

A container's command is read the way a learner would expect: ``sleep N``
runs N seconds and exits 0, ``exit N`` / ``false`` exit non-zero, ``true``
exits 0, anything else (or no command) runs until stopped. The annotation
``kubeviz.io/crash-after-seconds`` makes every run crash (exit 1) after that
long; ``kubeviz.io/ready-after-seconds`` delays readiness.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from controllers.clock import Profile, backoff_delay, to_rfc3339

Obj = dict[str, Any]
CRASH_AFTER = "kubeviz.io/crash-after-seconds"
READY_AFTER = "kubeviz.io/ready-after-seconds"
CRASH_NOW = "kubeviz.io/crash"  # set by the crash-pod scenario: a new value crashes the pod once


def parse_command(container: Obj) -> tuple[float, int] | None:
    """(seconds until exit, exit code), or None for a container that runs until stopped."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    if not words:
        return None
    if "-c" in words[:3]:  # sh -c "sleep 5; exit 1"
        script = " ".join(words[words.index("-c") + 1:])
    else:
        script = " ".join(shlex.quote(w) for w in words)
    elapsed = 0.0
    for part in script.replace("&&", ";").split(";"):
        try:
            tokens = shlex.split(part)
        except ValueError:
            return None
        if not tokens:
            continue
        cmd = tokens[0].rsplit("/", 1)[-1]
        if cmd == "sleep":
            try:
                elapsed += float(tokens[1]) if len(tokens) > 1 else 0.0
            except ValueError:
                return None
        elif cmd == "exit":
            try:
                return elapsed, int(tokens[1]) if len(tokens) > 1 else 0
            except ValueError:
                return elapsed, 2
        elif cmd == "false":
            return elapsed, 1
        elif cmd in ("true", "echo", ":", "date"):
            continue
        else:
            return None  # a server: runs until stopped
    return elapsed, 0


def _float_annotation(pod: Obj, name: str) -> float | None:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class ContainerRuntime:
    name: str
    image: str
    exit_plan: tuple[float, int] | None
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    created_at: float = 0.0
    start_at: float = 0.0  # when the next start happens (after pull, or after back-off)
    started_at: float | None = None
    exit_at: float | None = None
    exit_code: int | None = None
    finished_at: float | None = None
    restarts: int = 0
    last_terminated: Obj | None = None
    ready_delay: float = 0.0
    runs: int = 0
    pulled: bool = False

    def ready(self, now: float) -> bool:
        return self.state == "running" and self.started_at is not None and self.started_at + self.ready_delay <= now


@dataclass
class PodRuntime:
    key: str
    uid: str
    node: str
    ip: str
    accepted_at: float
    restart_policy: str
    containers: list[ContainerRuntime] = field(default_factory=list)
    crash_token: str = ""
    stopping_at: float | None = None  # graceful termination: containers stop at this time
    log: list[tuple[float, str, str]] = field(default_factory=list)  # (time, container, line)

    @classmethod
    def create(cls, pod: Obj, node: str, ip: str, now: float, profile: Profile, restarts: int = 0) -> "PodRuntime":
        meta, spec = pod["metadata"], pod.get("spec") or {}
        crash_after = _float_annotation(pod, CRASH_AFTER)
        ready_after = _float_annotation(pod, READY_AFTER)
        rt = cls(f"{meta.get('namespace', 'default')}/{meta['name']}", meta.get("uid", ""), node, ip, now,
                 spec.get("restartPolicy") or "Always",
                 crash_token=(meta.get("annotations") or {}).get(CRASH_NOW, ""))
        for c in spec.get("containers") or []:
            exit_plan = (crash_after, 1) if crash_after is not None else parse_command(c)
            rt.containers.append(ContainerRuntime(
                c.get("name", ""), c.get("image", ""), exit_plan, created_at=now,
                start_at=now + profile.image_pull_seconds + profile.container_start_seconds,
                ready_delay=ready_after if ready_after is not None else profile.pod_ready_delay,
                restarts=restarts))
        return rt

    # -- time passes -----------------------------------------------------------------
    def next_transition(self, now: float) -> float | None:
        times: list[float] = []
        for c in self.containers:
            if c.state == "waiting":
                times.append(c.start_at)
                if c.reason == "ContainerCreating" and c.runs == 0:
                    times.append(c.created_at + (c.start_at - c.created_at) * 0.7)  # "Pulled"
            elif c.state == "running":
                if c.exit_at is not None:
                    times.append(c.exit_at)
                if c.started_at is not None and c.started_at + c.ready_delay > now:
                    times.append(c.started_at + c.ready_delay)
        if self.stopping_at is not None:
            times.append(self.stopping_at)
        future = [t for t in times if t > now]
        return min(future) if future else None

    def advance(self, now: float, profile: Profile) -> list[tuple[str, str, str]]:
        """Apply what is due by ``now``; returns Events as (type, reason, message)."""
        events: list[tuple[str, str, str]] = []
        if self.stopping_at is not None and now >= self.stopping_at:
            for c in self.containers:
                if c.state == "running":
                    self._terminate(c, self.stopping_at, 0, "Completed")
                elif c.state == "waiting":
                    c.state, c.reason = "terminated", "ContainerStatusUnknown"
            return events
        for c in self.containers:
            for _ in range(64):  # a container can go through several transitions in one big step
                if c.state == "waiting" and c.runs == 0 and c.reason == "ContainerCreating" \
                        and not c.pulled and now >= c.created_at + (c.start_at - c.created_at) * 0.7:
                    c.pulled = True
                    events.append(("Normal", "Pulled", f'Successfully pulled image "{c.image}" in '
                                   f"{profile.image_pull_seconds:g}s"))
                    continue
                if c.state == "waiting" and now >= c.start_at and self.stopping_at is None:
                    self._start(c, c.start_at)
                    events.append(("Normal", "Created", f"Created container {c.name}"))
                    events.append(("Normal", "Started", f"Started container {c.name}"))
                    continue
                if c.state == "running" and c.exit_at is not None and now >= c.exit_at:
                    code = c.exit_code if c.exit_code is not None else 0
                    self._terminate(c, c.exit_at, code, "Completed" if code == 0 else "Error")
                    if self._restarts(code):
                        c.restarts += 1
                        delay = backoff_delay(profile.crashloop_backoff_initial, profile.crashloop_backoff_max,
                                              c.restarts)
                        c.state, c.reason = "waiting", "CrashLoopBackOff"
                        c.message = (f"back-off {delay:g}s restarting failed container={c.name} "
                                     f"pod={self.key.split('/')[1]}_{self.key.split('/')[0]}({self.uid})")
                        c.start_at = c.finished_at + delay  # type: ignore[operator]
                        events.append(("Warning", "BackOff", f"Back-off restarting failed container {c.name} "
                                       f"in pod {self.key.split('/')[1]}_{self.key.split('/')[0]}({self.uid})"))
                    continue
                break
        return events

    def _restarts(self, code: int) -> bool:
        return self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and code != 0)

    def _start(self, c: ContainerRuntime, at: float) -> None:
        c.state, c.reason, c.message = "running", "", ""
        c.started_at, c.runs = at, c.runs + 1
        if c.exit_plan is not None:
            c.exit_at, c.exit_code = at + c.exit_plan[0], c.exit_plan[1]
        else:
            c.exit_at, c.exit_code = None, None
        self.log.append((at, c.name, f"starting {c.image or c.name}"))
        del self.log[:-200]

    def _terminate(self, c: ContainerRuntime, at: float, code: int, reason: str) -> None:
        terminated = {"exitCode": code, "reason": reason, "startedAt": to_rfc3339(c.started_at or at),
                      "finishedAt": to_rfc3339(at), "containerID": self._container_id(c)}
        c.last_terminated = terminated
        c.state, c.reason, c.exit_code, c.finished_at, c.exit_at = "terminated", reason, code, at, None
        self.log.append((at, c.name, f"exiting with code {code}"))

    def crash(self, now: float) -> bool:
        """The crash-pod scenario: the first running container dies now with exit code 1."""
        for c in self.containers:
            if c.state == "running":
                c.exit_at, c.exit_code = now, 1
                return True
        return False

    def stop(self, now: float, grace: float) -> None:
        if self.stopping_at is None:
            self.stopping_at = now + grace

    @property
    def stopped(self) -> bool:
        return all(c.state == "terminated" for c in self.containers) and self.stopping_at is not None

    # -- status ----------------------------------------------------------------------
    def _container_id(self, c: ContainerRuntime) -> str:
        return f"kubeviz://{self.uid[:8]}-{c.name}-{c.runs}"

    def phase(self) -> str:
        if any(c.state == "running" for c in self.containers):
            return "Running"
        if all(c.state == "terminated" for c in self.containers) and self.containers:
            codes = [(c.last_terminated or {}).get("exitCode", 0) for c in self.containers]
            return "Succeeded" if all(code == 0 for code in codes) else "Failed"
        if any(c.runs > 0 for c in self.containers):
            return "Running"  # restarting
        return "Pending"

    def status(self, pod: Obj, now: float, host_ip: str) -> Obj:
        current = pod.get("status") or {}
        previous = {c.get("type"): c for c in current.get("conditions") or []}
        phase = self.phase()
        all_ready = bool(self.containers) and all(c.ready(now) for c in self.containers)

        def condition(type_: str, ok: bool) -> Obj:
            status = "True" if ok else "False"
            old = previous.get(type_)
            since = old.get("lastTransitionTime") if old and old.get("status") == status else to_rfc3339(now)
            out = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
            if not ok and type_ in ("Ready", "ContainersReady"):
                out["reason"] = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
            return out

        conditions = [
            condition("PodReadyToStartContainers", phase not in ("Succeeded", "Failed")),
            condition("Initialized", True),
            condition("Ready", all_ready and phase == "Running"),
            condition("ContainersReady", all_ready and phase == "Running"),
        ]
        if "PodScheduled" in previous:
            conditions.append(previous["PodScheduled"])
        statuses = []
        for c in self.containers:
            entry: Obj = {"name": c.name, "image": c.image, "imageID": f"docker.io/{c.image}" if c.image else "",
                          "containerID": self._container_id(c) if c.runs else "", "ready": c.ready(now),
                          "restartCount": c.restarts, "started": c.state == "running"}
            if c.state == "running":
                entry["state"] = {"running": {"startedAt": to_rfc3339(c.started_at or now)}}
            elif c.state == "terminated":
                entry["state"] = {"terminated": dict(c.last_terminated or {"exitCode": 0, "reason": c.reason})}
            else:
                waiting = {"reason": c.reason}
                if c.message:
                    waiting["message"] = c.message
                entry["state"] = {"waiting": waiting}
            if c.last_terminated and c.state != "terminated":
                entry["lastState"] = {"terminated": dict(c.last_terminated)}
            else:
                entry["lastState"] = {}
            statuses.append(entry)
        status: Obj = {"phase": phase, "conditions": conditions, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
                       "podIP": self.ip, "podIPs": [{"ip": self.ip}],
                       "startTime": current.get("startTime") or to_rfc3339(self.accepted_at),
                       "containerStatuses": statuses}
        if current.get("qosClass"):
            status["qosClass"] = current["qosClass"]
        return status

    def logs(self, container: str, now: float) -> str:
        """Log lines so far: the runtime's own lines plus a heartbeat every 5 s while running."""
        lines = [(t, text) for t, name, text in self.log if name == container and t <= now]
        c = next((c for c in self.containers if c.name == container), None)
        if c is not None and c.state == "running" and c.started_at is not None:
            t = c.started_at + 5.0
            beats = []
            while t <= now and len(beats) < 500:
                beats.append((t, f'10.244.0.1 - - "GET / HTTP/1.1" 200 615 ({self.key.split("/")[1]})'))
                t += 5.0
            lines += beats[-100:]
        lines.sort(key=lambda item: item[0])
        return "".join(f"{to_rfc3339(t)} {text}\n" for t, text in lines)
