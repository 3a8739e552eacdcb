from django.urls import re_path

from . import metrics, views

# ``/token/<token>/…``: the same API with the bearer token in the path, for kubectl
# over plain HTTP (client-go sends no credentials to an http:// server).
urlpatterns = [
    re_path(r"^metrics$", metrics.metrics),
    re_path(r"^(?P<path>api|apis|version|openapi|kubeviz/etcd)(?:/.*)?$", views.api),
    re_path(r"^token/(?P<token>[^/]+)/(?P<path>api|apis|version|openapi|kubeviz/etcd)(?:/.*)?$", views.api),
    # kubectl get --raw /healthz through a token-in-path kubeconfig (the bare paths are the dashboard's).
    re_path(r"^token/[^/]+/(?P<check>healthz|livez|readyz)/?$", views.health),
]
