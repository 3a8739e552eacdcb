"""The simulated container runtime, on plain data (no API)."""
from controllers.clock import DEMO
from controllers.kubelet.runtime import PodRuntime, parse_command

T0 = 1735689600.0


def _pod(command=None, restart="Always", annotations=None):
    c = {"name": "main", "image": "busybox"}
    if command:
        c["command"] = command
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u1", "annotations": annotations or {}},
            "spec": {"containers": [c], "restartPolicy": restart}, "status": {"phase": "Pending"}}


def _run(rt: PodRuntime, until: float) -> list[str]:
    reasons = []
    now = T0
    while True:
        reasons += [reason for _, reason, _ in rt.advance(now, DEMO)]
        nxt = rt.next_transition(now)
        if nxt is None or nxt > until:
            return reasons
        now = nxt


def test_commands_read_like_a_shell():
    assert parse_command({"command": ["sleep", "5"]}) == (5.0, 0)
    assert parse_command({"command": ["sh", "-c", "sleep 2; exit 3"]}) == (2.0, 3)
    assert parse_command({"command": ["false"]}) == (0.0, 1)
    assert parse_command({"command": ["nginx", "-g", "daemon off;"]}) is None
    assert parse_command({}) is None


def test_sleep_runs_to_completion():
    rt = PodRuntime.create(_pod(["sleep", "5"], restart="Never"), "node-1", "10.244.1.2", T0, DEMO)
    assert rt.phase() == "Pending"
    reasons = _run(rt, T0 + 100)
    assert reasons == ["Pulled", "Created", "Started"]
    assert rt.phase() == "Succeeded"


def test_crash_loop_backs_off_and_doubles():
    rt = PodRuntime.create(_pod(["sh", "-c", "exit 1"]), "node-1", "10.244.1.2", T0, DEMO)
    _run(rt, T0 + 30)
    c = rt.containers[0]
    assert c.restarts >= 3
    assert rt.phase() == "Running"  # restarting pods stay Running, as kubectl shows them
    status = rt.status(_pod(), T0 + 30, "192.168.0.11")
    state = status["containerStatuses"][0]
    assert state["restartCount"] == c.restarts
    assert status["podIP"] == "10.244.1.2"


def test_ready_after_annotation_delays_readiness():
    rt = PodRuntime.create(_pod(annotations={"kubeviz.io/ready-after-seconds": "10"}), "n", "10.0.0.2", T0, DEMO)
    _run(rt, T0 + 5)
    assert rt.phase() == "Running"
    assert not rt.containers[0].ready(T0 + 5)
    assert rt.containers[0].ready(T0 + 20)
