"""Authentication: bearer tokens (users, service accounts, nodes) and the
dashboard's logged-in Django user, each turned into a ``UserInfo``."""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from cluster.models import ApiToken

from .identity import AUTHENTICATED, MASTERS, UserInfo


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(username: str, groups: list[str] | tuple[str, ...] = ()) -> str:
    """A new token for ``username``; the plaintext is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(token_sha256=_digest(token), username=username, groups=list(groups))
    return token


def authenticate_token(token: str) -> UserInfo | None:
    row = ApiToken.objects.filter(token_sha256=_digest(token)).values_list("username", "groups").first()
    if row is None:
        return None
    username, groups = row
    return UserInfo(username, tuple(dict.fromkeys([*groups, AUTHENTICATED])))


def user_from_django(user: Any) -> UserInfo | None:
    """The dashboard's identity: a superuser is in ``system:masters``; other users
    act under their own name (and their Django groups), bound by RBAC."""
    if user is None or not user.is_authenticated:
        return None
    groups = [g.name for g in user.groups.all()]
    if user.is_superuser:
        groups.append(MASTERS)
    return UserInfo(user.get_username(), tuple(dict.fromkeys([*groups, AUTHENTICATED])))


def bearer_token(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
