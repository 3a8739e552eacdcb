"""What an HTTP request asks for, parsed from its path and method as the
API server's ``RequestInfoFactory`` does."""
from __future__ import annotations

from dataclasses import dataclass

from . import errors


@dataclass(frozen=True)
class RequestInfo:
    verb: str
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    is_resource_request: bool = True
    path: str = ""


_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "GET": "get", "HEAD": "get",
                 "DELETE": "delete"}


def parse(method: str, path: str, watch: bool) -> RequestInfo:
    """``/api/v1/namespaces/default/pods/web-1/status`` → update pods/status web-1 in default."""
    verb = _METHOD_VERBS.get(method)
    if verb is None:
        raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")
    parts = [p for p in path.strip("/").split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return RequestInfo(verb=method.lower(), is_resource_request=False, path=path)
    if not rest:
        return RequestInfo(verb=method.lower(), is_resource_request=False, path=path)
    namespace = ""
    # /namespaces/{ns}/{resource}… addresses a namespaced resource; /namespaces/{name}
    # and /namespaces/{name}/status|finalize address the Namespace itself.
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 else ""
    if len(rest) > 3:
        raise errors.NotFound("the server could not find the requested resource")
    if not name:
        if verb == "get":
            verb = "watch" if watch else "list"
        elif verb == "delete":
            verb = "deletecollection"
    elif verb == "get" and watch:
        verb = "watch"
    return RequestInfo(verb, group, version, resource, subresource, namespace, name, True, path)
