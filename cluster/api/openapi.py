"""placeholder"""
from __future__ import annotations

from . import errors


def serve(server, request):  # type: ignore[no-untyped-def]
    raise errors.NotFound("the server could not find the requested resource")
