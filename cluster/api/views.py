"""HTTP face of the API server: Django request → ``ApiRequest`` → response.

Plain calls run in a worker thread (the store is synchronous); watches stream
newline-delimited JSON events from an async generator, so a thousand idle
watches cost no threads.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from . import authn, errors
from .identity import UserInfo
from .server import MAX_BODY_BYTES, ApiRequest, ApiResponse
from .service import api_server

BOOKMARK_INTERVAL = 10.0  # seconds of quiet before a watch sends a BOOKMARK


def _user(request: HttpRequest, path_token: str | None = None) -> tuple[UserInfo | None, bool]:
    """(identity, came from a session cookie)."""
    token = authn.bearer_token(request.headers.get("Authorization", "")) or path_token
    if token is not None:
        return authn.authenticate_token(token), False
    user = getattr(request, "user", None)
    return authn.user_from_django(user), True


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """A browser session writing through the API needs the CSRF token, like any form."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    check.process_request(request)
    failure = check.process_view(request, lambda r: HttpResponse(), (), {})
    if failure is None:
        return None
    error = errors.Forbidden("CSRF verification failed: a session-authenticated write needs the CSRF token")
    return _json(error.code, error.status())


def _warning(text: str) -> str:
    """One RFC 7234 warning value: ``299 - "text"``, quotes escaped, ASCII only."""
    text = text.encode("ascii", "backslashreplace").decode()
    text = "".join(c for c in text if c.isprintable())
    return '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _json(code: int, body: Any, warnings: list[str] | None = None,
          content_type: str = "application/json") -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=code, content_type=content_type)
    if warnings:
        response.headers["Warning"] = ", ".join(_warning(w) for w in warnings)
    return response


def api_path(request: HttpRequest, path_token: str | None) -> str:
    """The API path, without a ``/token/<token>`` prefix."""
    if path_token is None:
        return request.path
    return request.path[len(f"/token/{path_token}"):] or "/"


def _body(request: HttpRequest) -> bytes:
    """The request body, up to kube-apiserver's limit: a longer one is 413 (Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MiB, would refuse a valid 3 MiB body as 400)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return b""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        raise errors.RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")
    try:
        return request.body
    except RequestDataTooBig:  # nothing read yet: read it past Django's lower limit
        body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise errors.RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")
    return body


def _build(request: HttpRequest, user: UserInfo | None, path_token: str | None = None) -> ApiRequest:
    return ApiRequest(
        method=request.method or "GET",
        path=api_path(request, path_token),
        user=user,
        query={k: v for k, v in request.GET.items()},
        body=_body(request),
        content_type=request.content_type or request.headers.get("Content-Type", ""),
        accept=request.headers.get("Accept", "application/json"),
        user_agent=request.headers.get("User-Agent", ""),
        impersonate_user=request.headers.get("Impersonate-User", ""),
        impersonate_groups=tuple(g.strip() for g in request.headers.get("Impersonate-Group", "").split(",")
                                 if g.strip()),
    )


def health(request: HttpRequest, check: str) -> HttpResponse:
    """``/healthz``, ``/livez``, ``/readyz`` as kube-apiserver answers them: ``ok``, or
    with ``?verbose`` one line per check and "<check> check passed"; 500 when the
    store's database does not answer."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        etcd = "[+]etcd ok"
    except Exception:
        etcd = "[-]etcd failed: reason withheld"
    failed = etcd.startswith("[-]")
    if "verbose" not in request.GET and not failed:
        return HttpResponse("ok", content_type="text/plain")
    lines = ["[+]ping ok", "[+]log ok", etcd,
             f"{check} check failed" if failed else f"{check} check passed"]
    return HttpResponse("\n".join(lines) + "\n", status=500 if failed else 200, content_type="text/plain")


@csrf_exempt
async def api(request: HttpRequest, token: str | None = None, **_: Any) -> HttpResponse:
    user, from_session = await sync_to_async(_user, thread_sensitive=False)(request, token)
    if from_session and user is not None:
        failure = _csrf_failure(request)
        if failure is not None:
            return failure
    try:
        api_request = _build(request, user, token)
    except errors.RequestEntityTooLarge as error:
        return _json(error.code, error.status())
    except Exception:  # an unreadable body: Django raised while reading it
        error = errors.BadRequest("the request body could not be read")
        return _json(error.code, error.status())
    server = api_server()
    response: ApiResponse = await sync_to_async(server.handle, thread_sensitive=False)(api_request)
    if response.stream is not None:
        return StreamingHttpResponse(_stream(response), content_type="application/json")
    if response.follow is not None:
        return StreamingHttpResponse(_follow(response), content_type=response.content_type)
    if isinstance(response.body, (str, bytes)):
        return HttpResponse(response.body, status=response.code, content_type=response.content_type)
    return _json(response.code, response.body, response.warnings, response.content_type)


FOLLOW_INTERVAL = 0.5  # seconds between reads of a followed container log


async def _follow(response: ApiResponse) -> AsyncIterator[bytes]:
    """``kubectl logs -f``: what the log holds now, then each new line as it is written."""
    assert response.follow is not None
    sent: str = response.body
    yield sent.encode()
    try:
        while True:
            await asyncio.sleep(FOLLOW_INTERVAL)
            text, finished = await sync_to_async(response.follow, thread_sensitive=False)()
            # A restarted container starts a new log: send it whole.
            new = text[len(sent):] if text.startswith(sent) else text
            if new:
                yield new.encode()
            sent = text
            if finished:
                return
    except asyncio.CancelledError:  # the client went away
        return


async def _stream(response: ApiResponse) -> AsyncIterator[bytes]:
    stream = response.stream
    assert stream is not None
    deadline = time.monotonic() + response.timeout_seconds if response.timeout_seconds else None
    quiet_since = time.monotonic()
    first = True
    # An empty first chunk makes the server send the status line and headers now,
    # as kube-apiserver flushes them: a client watching a quiet resource must not
    # wait for the first event to learn that its watch was accepted.
    yield b""
    try:
        while True:
            wait = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if wait <= 0:
                return
            events = await stream.async_poll(wait)
            if events:
                quiet_since = time.monotonic()
            elif response.bookmarks and time.monotonic() - quiet_since >= BOOKMARK_INTERVAL:
                events = [stream.bookmark()]
                quiet_since = time.monotonic()
            for event in events:
                obj = event.object
                if response.event_object is not None and event.type in ("ADDED", "MODIFIED", "DELETED"):
                    obj = response.event_object(obj, first)
                    first = False
                yield (json.dumps({"type": event.type, "object": obj}) + "\n").encode()
                if event.type == "ERROR":
                    return
    except asyncio.CancelledError:  # the client went away
        return
