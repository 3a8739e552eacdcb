"""ASGI entry point: HTTP (dashboard, API) and websockets on one origin."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kubeviz.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from kubeviz.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    # The embedded default has no separate web server: daphne serves /static/ too
    # (the dashboard's CSS, its little JS and the vendored htmx).
    "http": ASGIStaticFilesHandler(django_asgi_app),
    # The session cookie logs the socket in; a page from another origin may not open it.
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
