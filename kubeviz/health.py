"""Health endpoints, open without credentials as on a real API server."""
from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """``ok`` when the store's database answers, as kube-apiserver's /healthz says it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("[-]etcd failed: reason withheld\nhealthz check failed", status=500,
                            content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
