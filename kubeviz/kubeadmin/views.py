"""List and edit the cluster's objects as the logged-in user (RBAC decides)."""
from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cluster.client import StatusError

from ..live.consumers import client_for
from . import fields
from .forms import ObjectForm, to_yaml
from .kinds import CLUSTER_SCOPED, KINDS, Kind


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404(f"no resource {slug}")
    return kind


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "kubeadmin/index.html", {"kinds": KINDS.values()})


@login_required
def object_list(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(slug)
    error, items = "", []
    try:
        items = client_for(request.user).list(kind.resource).get("items") or []
    except StatusError as failure:
        error = f"{failure.code} {failure.reason}: {failure}"
    rows = [{"name": o["metadata"]["name"], "namespace": o["metadata"].get("namespace") or "",
             "ns_segment": o["metadata"].get("namespace") or CLUSTER_SCOPED,
             "summary": ", ".join(f"{n}: {fields.read(o, n)}" for n in kind.fields if n in ("replicas", "image"))}
            for o in items]
    rows.sort(key=lambda row: (row["namespace"], row["name"]))
    return render(request, "kubeadmin/list.html", {"kind": kind, "rows": rows, "error": error},
                  status=403 if error.startswith("403") else 200)


def _initial(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
    initial = {name: fields.read(obj, name) for name in kind.fields}
    initial["yaml"] = to_yaml(_editable(obj))
    return initial


def _editable(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without what the server owns and would only clutter the editor."""
    shown = copy.deepcopy(obj)
    shown.get("metadata", {}).pop("managedFields", None)
    return shown


@login_required
def edit(request: HttpRequest, slug: str, namespace: str, name: str) -> HttpResponse:
    kind = _kind(slug)
    namespace = "" if namespace == CLUSTER_SCOPED else namespace
    client = client_for(request.user)
    try:
        current = client.get(kind.resource, name, namespace)
    except StatusError as failure:
        return render(request, "kubeadmin/edit.html", {"kind": kind, "name": name, "namespace": namespace,
                                                       "error": f"{failure.code} {failure.reason}: {failure}"},
                      status=failure.code)
    initial = _initial(current, kind)
    status = 200
    if request.method == "POST":
        form = ObjectForm(request.POST, initial=initial, field_names=kind.fields)
        if form.is_valid():
            obj = form.cleaned_data["yaml"]
            for field_name in form.changed_data:
                if field_name != "yaml":
                    fields.write(obj, field_name, form.cleaned_data[field_name])
            try:
                client.update(kind.resource, obj)
            except StatusError as failure:
                status = _show(form, failure, set(kind.fields))
            else:
                url = reverse("kube-admin-edit", args=[slug, namespace or CLUSTER_SCOPED, name])
                return redirect(url + "?saved=1")
        else:
            status = 422
    else:
        form = ObjectForm(initial=initial, field_names=kind.fields)
    context = {"kind": kind, "name": name, "namespace": namespace, "form": form, "saved": "saved" in request.GET,
               "revision": current["metadata"].get("resourceVersion", "")}
    return render(request, "kubeadmin/edit.html", context, status=status)


def _show(form: ObjectForm, failure: StatusError, available: set[str]) -> int:
    """Put the API server's refusal next to the field it concerns; nothing was saved."""
    causes = (failure.status.get("details") or {}).get("causes") or []
    if failure.code == 422 and causes:
        for cause in causes:
            path = cause.get("field", "")
            message = cause.get("message") or cause.get("reason") or str(failure)
            form.add_error(fields.field_for(path, available), f"{path}: {message}" if path else message)
    else:
        form.add_error(None, f"{failure.code} {failure.reason}: {failure}")
    return failure.code


TEMPLATES: dict[str, str] = {
    "deployments": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\n  namespace: default\nspec:\n"
                   "  replicas: 2\n  selector:\n    matchLabels: {app: hello}\n  template:\n    metadata:\n"
                   "      labels: {app: hello}\n    spec:\n      containers:\n      - name: web\n"
                   "        image: nginx:1.27\n        resources:\n          requests: {cpu: 100m, memory: 64Mi}\n",
    "namespaces": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n",
}


@login_required
def create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new object from YAML, created through the API server as the user."""
    kind = _kind(slug)
    status = 200
    if request.method == "POST":
        form = ObjectForm(request.POST)
        if form.is_valid():
            obj = form.cleaned_data["yaml"]
            try:
                created = client_for(request.user).create(kind.resource, obj)
            except StatusError as failure:
                status = _show(form, failure, set())
            else:
                meta = created["metadata"]
                url = reverse("kube-admin-edit", args=[slug, meta.get("namespace") or CLUSTER_SCOPED, meta["name"]])
                return redirect(url + "?saved=1")
        else:
            status = 422
    else:
        form = ObjectForm(initial={"yaml": TEMPLATES.get(slug, f"apiVersion: {kind.resource.group + '/' if kind.resource.group else ''}{kind.resource.version}\nmetadata:\n  name: \n")})
    return render(request, "kubeadmin/edit.html", {"kind": kind, "name": "new", "namespace": "", "form": form,
                                                   "creating": True}, status=status)
