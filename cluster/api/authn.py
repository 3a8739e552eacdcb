"""Authentication: bearer tokens (users, service accounts, nodes) and the
dashboard's logged-in Django user, each turned into a ``UserInfo``."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

from cluster.models import ApiToken

from .identity import AUTHENTICATED, MASTERS, UserInfo, service_account_user, service_account_username


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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_input: str) -> str:
    from django.conf import settings

    key = hashlib.sha256(f"kubeviz-serviceaccount-token:{settings.SECRET_KEY}".encode()).digest()
    return _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def issue_service_account_token(namespace: str, name: str, uid: str, seconds: int,
                                audiences: list[str] | None = None) -> tuple[str, float]:
    """A bound service-account token as TokenRequest returns it: a JWT with the
    claims kube-apiserver puts in one (``sub``, ``exp``, ``kubernetes.io``), signed
    with HS256 from the server's secret rather than RS256. Checked without a
    database read, and refused once expired. Returns (token, expiry)."""
    now = int(time.time())
    expires = now + seconds
    issuer = "https://kubernetes.default.svc.cluster.local"
    header = {"alg": "HS256", "kid": "kubeviz", "typ": "JWT"}
    claims = {"aud": audiences or [issuer], "exp": expires, "iat": now, "iss": issuer, "jti": str(uuid.uuid4()),
              "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
              "nbf": now, "sub": service_account_username(namespace, name)}
    signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{signing_input}.{_sign(signing_input)}", float(expires)


def _authenticate_jwt(token: str) -> UserInfo | None:
    signing_input, _, signature = token.rpartition(".")
    if signing_input.count(".") != 1 or not hmac.compare_digest(signature, _sign(signing_input)):
        return None
    try:
        claims = json.loads(_unb64(signing_input.split(".")[1]))
        account = claims["kubernetes.io"]
        namespace, name = str(account["namespace"]), str(account["serviceaccount"]["name"])
        if not time.time() < float(claims["exp"]):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return service_account_user(namespace, name)


def authenticate_token(token: str) -> UserInfo | None:
    if token.count(".") == 2:
        return _authenticate_jwt(token)
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
