"""Who is asking and what they ask for: the inputs of authorization.

``UserInfo`` is authentication's result (apiserver ``user.Info``); ``RequestAttributes``
is what the request resolved to (apiserver ``authorizer.Attributes``). Both are frozen
so they can be shared between authorizers and used as cache keys.
"""
from __future__ import annotations

from dataclasses import dataclass

# Group names the apiserver adds or recognises.
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
MASTERS = "system:masters"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"
NODE_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
ANONYMOUS = "system:anonymous"


@dataclass(frozen=True)
class UserInfo:
    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""


@dataclass(frozen=True)
class RequestAttributes:
    """One request as the authorizer sees it.

    ``api_group`` is "" for the core group; ``path`` is set for non-resource requests
    (``resource_request=False``), e.g. ``/healthz`` or ``/apis``.
    """

    verb: str
    api_group: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    resource_request: bool = True
    path: str = ""


def service_account_username(namespace: str, name: str) -> str:
    """``system:serviceaccount:<ns>:<name>``, the username a service account token carries."""
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_user(namespace: str, name: str) -> UserInfo:
    """A service account as the token authenticator presents it, with its implied groups."""
    return UserInfo(
        username=service_account_username(namespace, name),
        groups=(SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{namespace}", AUTHENTICATED),
    )


def split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) for a service account username, else None."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = username[len(SERVICE_ACCOUNT_PREFIX):].partition(":")
    if not sep or not namespace or not name or ":" in name:
        return None
    return namespace, name
