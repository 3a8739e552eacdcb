"""``GET /metrics``: a few running totals in the Prometheus text format.

Read-only, like kube-apiserver's ``/metrics``: a bearer token whose user may
``get`` the non-resource path ``/metrics`` (``system:masters`` may). The
benchmark reads it between phases to turn totals into rates.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from cluster.store import get_store

from . import authn
from .identity import RequestAttributes
from .service import api_server


@dataclass(frozen=True)
class Counters:
    """Running totals: API requests served, CDC rows written, the store's revisions and size."""

    api_requests: int
    changes_written: int
    revision: int
    compact_revision: int
    db_size: int


def counters() -> Counters:
    store = get_store()
    status = store.status()
    return Counters(api_server().audit.total, store.changes_written, status.revision,
                    status.compact_revision, status.db_size)


def metrics(request: HttpRequest) -> HttpResponse:
    token = authn.bearer_token(request.headers.get("Authorization", ""))
    user = authn.authenticate_token(token) if token else None
    if user is None:
        return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    attrs = RequestAttributes("get", "", "", resource_request=False, path="/metrics")
    if not api_server().authorize(user, attrs).allowed:
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    c = counters()
    lines = [
        f"apiserver_request_total {c.api_requests}",
        f"kubeviz_store_changes_written_total {c.changes_written}",
        f"kubeviz_store_revision {c.revision}",
        f"kubeviz_store_compact_revision {c.compact_revision}",
        f"etcd_db_total_size_in_bytes {c.db_size}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")
