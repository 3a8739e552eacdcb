"""Authentication: bearer tokens (users, service accounts, nodes) and the
dashboard's logged-in Django user, each turned into a ``UserInfo``."""
from __future__ import annotations

import hashlib
import secrets
import time
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


# Like kube-apiserver's token cache: a known token is trusted for a few seconds
# without a database read; an unknown one is always looked up again.
_TOKEN_CACHE_SECONDS = 10.0
_token_cache: dict[str, tuple[float, UserInfo]] = {}


def authenticate_token(token: str) -> UserInfo | None:
    digest = _digest(token)
    cached = _token_cache.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    row = ApiToken.objects.filter(token_sha256=digest).values_list("username", "groups").first()
    if row is None:
        return None
    username, groups = row
    user = UserInfo(username, tuple(dict.fromkeys([*groups, AUTHENTICATED])))
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[digest] = (time.monotonic() + _TOKEN_CACHE_SECONDS, user)
    return user


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
