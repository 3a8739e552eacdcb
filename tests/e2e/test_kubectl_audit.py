"""The real kubectl on paths an acceptance audit found short: exec refused in words,
a token for a new namespace's default ServiceAccount, client-side then server-side
apply of one manifest, a CRD's schema enforced. Work happens in ``kubectl-audit``."""
from __future__ import annotations

import base64
import json

import pytest

from tests.e2e.test_kubectl import admin_kubectl

pytestmark = pytest.mark.e2e
NS = "kubectl-audit"


@pytest.fixture(scope="module")
def kubectl(live_cluster, tmp_path_factory):
    return admin_kubectl(live_cluster, tmp_path_factory, "kube-auditor", NS)


def test_exec_attach_and_port_forward_are_refused_in_words(kubectl):
    kubectl("run", "shell", "--image=busybox", "-n", NS)
    kubectl("wait", "--for=condition=Ready", "pod/shell", "-n", NS, "--timeout=60s")  # kubectl checks the phase
    for args in (["exec", "shell", "--", "ls"], ["attach", "shell"], ["port-forward", "pod/shell", "0:80"]):
        result = kubectl("-n", NS, *args, ok=False, timeout=30)
        assert result.returncode == 1
        assert "unable to upgrade connection:" in result.stderr
        assert "is not supported by KubeViz: the containers of pod shell are simulated" in result.stderr


def test_create_token_for_a_new_namespaces_default_service_account(kubectl):
    kubectl("create", "namespace", "kubectl-audit-tokens")
    assert kubectl.out("get", "serviceaccount", "default", "-n", "kubectl-audit-tokens", "-o", "name") == \
        "serviceaccount/default\n"
    token = kubectl.out("create", "token", "default", "-n", "kubectl-audit-tokens", "--duration=15m").strip()
    claims = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["sub"] == "system:serviceaccount:kubectl-audit-tokens:default"
    assert claims["exp"] - claims["iat"] == 15 * 60
    short = kubectl("create", "token", "default", "-n", "kubectl-audit-tokens", "--duration=1m", ok=False)
    assert short.returncode == 1 and short.stderr == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "default" is invalid: '
        "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes\n")


MANIFEST = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: both-applies
  namespace: {NS}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: both-applies}}
  template:
    metadata:
      labels: {{app: both-applies}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: both-applies
  namespace: {NS}
stringData:
  password: hunter2
"""


def test_client_side_then_server_side_apply_of_the_same_manifest_has_no_conflicts(kubectl):
    path = kubectl.write("both-applies.yaml", MANIFEST)
    kubectl("apply", "-f", path)
    result = kubectl("apply", "--server-side", "-f", path, ok=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["deployment.apps/both-applies serverside-applied",
                                          "secret/both-applies serverside-applied"]
    deployment = json.loads(kubectl.out("get", "deploy", "both-applies", "-n", NS, "-o", "json",
                                        "--show-managed-fields"))
    assert "kubectl" in [entry["manager"] for entry in deployment["metadata"]["managedFields"]]


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.audit.example.com
spec:
  group: audit.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [act]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: {type: string}
              replicas: {type: integer, minimum: 1, maximum: 10}
"""


def _crontab(replicas: int) -> str:
    return (f"apiVersion: audit.example.com/v1\nkind: CronTab\nmetadata:\n  name: tab\n  namespace: {NS}\n"
            f"spec:\n  cronSpec: '* * * * */5'\n  replicas: {replicas}\n")


def test_a_custom_resource_outside_its_schema_is_refused_and_the_crd_takes_its_objects_along(kubectl):
    kubectl("apply", "-f", kubectl.write("crontab-crd.yaml", CRD))
    kubectl("wait", "--for=condition=Established", "crd/crontabs.audit.example.com", "--timeout=30s")
    refused = kubectl("apply", "-f", kubectl.write("tab-20.yaml", _crontab(20)), ok=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == ('The CronTab "tab" is invalid: spec.replicas: Invalid value: 20: '
                                      'spec.replicas in body should be less than or equal to 10')
    assert kubectl("get", "act", "tab", "-n", NS, ok=False).returncode == 1  # nothing written
    assert kubectl.out("apply", "-f", kubectl.write("tab-2.yaml", _crontab(2))) == \
        "crontab.audit.example.com/tab created\n"
    kubectl("delete", "crd", "crontabs.audit.example.com")
    kubectl("apply", "-f", kubectl.write("crontab-crd.yaml", CRD))
    kubectl("wait", "--for=condition=Established", "crd/crontabs.audit.example.com", "--timeout=30s")
    assert kubectl.out("get", "act", "-n", NS, "-o", "name") == ""


def test_applying_a_kind_the_server_does_not_serve_says_so_like_a_real_cluster(kubectl):
    path = kubectl.write("widget.yaml", f"apiVersion: audit.example.com/v1\nkind: Widget\nmetadata:\n"
                                        f"  name: w\n  namespace: {NS}\n")
    result = kubectl("apply", "-f", path, ok=False)
    assert result.returncode == 1
    assert result.stderr == (f'error: resource mapping not found for name: "w" namespace: "{NS}" from "{path}": '
                             'no matches for kind "Widget" in version "audit.example.com/v1"\n'
                             "ensure CRDs are installed first\n")


def test_describe_service_lists_its_endpoints_from_endpoint_slices(kubectl):
    import re

    kubectl("create", "deployment", "sliced", "--image=nginx:1.27", "--replicas=2", "--port=80", "-n", NS)
    kubectl("expose", "deployment", "sliced", "--port=80", "-n", NS)
    kubectl("wait", "--for=condition=Available", "deploy/sliced", "-n", NS, "--timeout=60s")
    kubectl.wait_for(lambda: len(re.findall(r"\d+\.\d+\.\d+\.\d+:80", kubectl.out(
        "describe", "service", "sliced", "-n", NS))) == 2)
    listed = kubectl.out("get", "endpointslices", "-n", NS, "-l", "kubernetes.io/service-name=sliced")
    assert listed.splitlines()[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert re.search(r"^sliced-\w{5}\s+IPv4\s+80\s+\d+\.\d+\.\d+\.\d+,\d+\.\d+\.\d+\.\d+\s", listed, re.M)


def test_explain_marks_required_fields(kubectl):
    explained = kubectl.out("explain", "pod.spec.containers")
    assert "  name\t<string> -required-\n" in explained
    assert "  image\t<string>\n" in explained
