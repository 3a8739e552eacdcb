"""The demo login ``make run`` needs: a dashboard superuser on first start."""
from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model


def ensure_demo_login() -> tuple[str, str] | None:
    """Create user ``admin`` with a random password when no user exists yet;
    returns (username, password) once, so ``runcluster`` can print it."""
    users = get_user_model()
    if users.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", "", password)
    return "admin", password
