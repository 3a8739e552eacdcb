"""The API server: authenticate → authorise → admit → store, for every request.

``ApiServer.handle`` is the one entry point. The HTTP views call it for kubectl
and client libraries; the in-process client calls it for the control plane —
so every change, whoever makes it, is authorised, validated, audited and
recorded as a change-data-capture row.
"""
from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from cluster.quantity import parse_quantity
from cluster.store import Store, WatchHub, get_hub, get_store

from . import (bootstrap, decoding, discovery, errors, fieldvalidation, managedfields, openapi, patch as patching,
               protobuf, rbac, requestinfo, schema, subresources, tables)
from .audit import AuditLog, AuditRecord
from .identity import RequestAttributes, UserInfo
from .kinds import custom, endpointslices, new_registry
from .objects import Obj
from .registry import ResourceType
from .selectors import SelectorError, check_field_labels, parse_field_selector, parse_label_selector
from .storage import DeleteOptions, ListOptions, ResourceStorage, WatchStream

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 3 * 1024 * 1024
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
_RBAC_PREFIXES = (b"/registry/roles/", b"/registry/rolebindings/", b"/registry/clusterroles/",
                  b"/registry/clusterrolebindings/")
_CRD_PREFIX = b"/registry/customresourcedefinitions/"
_CACHED_KINDS = {"roles": "rbac", "rolebindings": "rbac", "clusterroles": "rbac", "clusterrolebindings": "rbac",
                 "customresourcedefinitions": "crds"}


@dataclass
class ApiRequest:
    method: str
    path: str
    user: UserInfo | None
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "application/json"
    accept: str = "application/json"
    impersonate_user: str = ""  # the Impersonate-User header
    impersonate_groups: tuple[str, ...] = ()  # Impersonate-Group headers
    warnings: list[str] = field(default_factory=list)  # collected while serving, sent as Warning headers
    user_agent: str = ""


@dataclass
class ApiResponse:
    code: int
    body: Any  # a JSON-able object, or text for logs
    content_type: str = "application/json"
    stream: WatchStream | None = None
    timeout_seconds: float | None = None
    bookmarks: bool = False
    warnings: list[str] = field(default_factory=list)
    # Applied to each watch event's object (a Table row for ``kubectl get -w``).
    event_object: Callable[[Obj, bool], Obj] | None = None
    # ``pods/log?follow=true``: re-reads the log, returning (text so far, finished).
    follow: Callable[[], tuple[str, bool]] | None = None


class ApiServer:
    def __init__(
        self,
        store: Store | None = None,
        hub: Callable[[], WatchHub] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store or get_store()
        self.registry = new_registry()
        self.storage = ResourceStorage(self.store, hub or get_hub, now)
        self.audit = AuditLog()
        self.now = now
        self._policy_lock = threading.Lock()
        self._policy: rbac.RbacPolicy | None = None
        self._seen: dict[str, int] = {}  # cache name → store revision it reflects
        self._written: dict[str, int] = {}  # cache name → revision of this server's last write to its kinds
        # The kubelet supplies container logs; until one is attached, logs are empty.
        self.log_source: Callable[[Obj, str], str] = lambda pod, container: ""

    # --- the pipeline -----------------------------------------------------------

    def handle(self, request: ApiRequest) -> ApiResponse:
        started = time.perf_counter()
        info: requestinfo.RequestInfo | None = None
        decision = ""
        try:
            info = requestinfo.parse(request.method, request.path, request.query.get("watch") in ("true", "1"))
            if request.user is None:
                if request.path.rstrip("/") == "/version":
                    return ApiResponse(200, discovery.document(self.registry, "/version"))
                raise errors.Unauthorized()
            if request.impersonate_user or request.impersonate_groups:
                request.user = self._impersonate(request.user, request)
            if not info.is_resource_request:
                response = self._non_resource(request, info)
            else:
                rt = self._resolve(info)
                decision = self._authorize(request.user, info, rt)
                response = self._dispatch(request, info, rt)
                self._note_cache_write(info)
                if not info.subresource and tables.wants_table(request.accept):
                    response = self._as_table(request, info, rt, response)
                elif not info.subresource and tables.wants_partial_metadata(request.accept):
                    response = self._as_partial_metadata(info, response)
                response.warnings = [*request.warnings, *response.warnings]
        except errors.ApiError as error:
            response = ApiResponse(error.code, error.status())
            if isinstance(error, errors.Forbidden) and not decision:
                decision = error.message
        except Exception:  # never a traceback to the client: a Status, and the log has it
            logger.exception("internal error serving %s %s", request.method, request.path)
            error = errors.InternalError("an error on the server has prevented the request from succeeding")
            response = ApiResponse(500, error.status())
        self._audit(request, info, response, decision, started)
        return response

    def _audit(self, request: ApiRequest, info: requestinfo.RequestInfo | None, response: ApiResponse,
               decision: str, started: float) -> None:
        resource = request.path
        if info is not None and info.is_resource_request:
            resource = info.resource + (f"/{info.subresource}" if info.subresource else "")
        self.audit.record(AuditRecord(
            timestamp=time.time(),
            user=request.user.username if request.user else "system:anonymous",
            verb=info.verb if info else request.method.lower(),
            resource=resource,
            namespace=info.namespace if info else "",
            name=info.name if info else "",
            code=response.code,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            decision=decision,
        ))

    def _resolve(self, info: requestinfo.RequestInfo) -> ResourceType:
        self._refresh_custom_types()
        rt = self.registry.get(info.group, info.version, info.resource)
        if rt is None:
            raise errors.NotFound("the server could not find the requested resource")
        if info.subresource and info.subresource not in rt.subresources:
            raise errors.NotFound("the server could not find the requested resource")
        if info.namespace and not rt.namespaced:
            raise errors.NotFound("the server could not find the requested resource")
        return rt

    def _refresh_custom_types(self) -> None:
        """Serve the custom resources of every stored CRD (re-read when CRDs change)."""
        if self._unchanged("crds", (_CRD_PREFIX,)):
            return
        listed = self.store.range(_CRD_PREFIX, _prefix_end(_CRD_PREFIX))
        signature = tuple((kv.key, kv.mod_revision) for kv in listed.kvs)
        if signature != self.registry.custom_signature:
            types: list[ResourceType] = []
            for kv in listed.kvs:
                crd = json.loads(kv.value)
                if not crd.get("metadata", {}).get("deletionTimestamp"):
                    types.extend(custom.resource_types(crd))
            self.registry.replace_custom(types, signature)
        self._seen["crds"] = listed.revision

    def _unchanged(self, cache: str, prefixes: tuple[bytes, ...]) -> bool:
        """True when the watch hub shows no change under ``prefixes`` since the
        cache was filled — the common case, answered without a database read."""
        seen = self._seen.get(cache)
        if seen is None:
            return False
        hub = self.storage._hub()
        if getattr(hub, "tailing", False):
            # The tailer follows the log by itself; pull now only when this server wrote
            # one of the cache's kinds the hub has not read yet (read-your-writes), not
            # after every write (bench cluster: 15 % of a Lease update was this pull).
            current = max(hub.committed, hub.revision)
            if hub.revision < self._written.get(cache, 0):
                hub.pull()
        else:
            current = self.store.revision()
            if hub.revision < current:
                hub.pull()  # read-your-writes: a binding created a moment ago applies now
        if hub.changed_since(seen, prefixes) is False:
            self._seen[cache] = max(seen, current)
            return True
        return False

    def _note_cache_write(self, info: requestinfo.RequestInfo) -> None:
        """Remember the revision of a write to RBAC or CRDs, for ``_unchanged``."""
        if info.verb in ("get", "list", "watch") or info.resource not in _CACHED_KINDS:
            return
        hub = self.storage._hub()
        cache = _CACHED_KINDS[info.resource]
        self._written[cache] = max(self._written.get(cache, 0), getattr(hub, "committed", 0))

    # --- authorisation ------------------------------------------------------------

    def policy(self) -> rbac.RbacPolicy:
        """The RBAC objects, like kube-apiserver's RBAC informer cache: re-read
        only when one of them changed."""
        with self._policy_lock:
            if self._policy is not None and self._unchanged("rbac", _RBAC_PREFIXES):
                return self._policy
        revision = self.store.revision()
        objects = [json.loads(kv.value) for p in _RBAC_PREFIXES
                   for kv in self.store.range(p, _prefix_end(p), revision=revision).kvs]
        policy = rbac.RbacPolicy.from_objects(objects)
        with self._policy_lock:
            self._policy = policy
            self._seen["rbac"] = revision
        return policy

    def authorize(self, user: UserInfo, attrs: RequestAttributes) -> rbac.Decision:
        node_decision = rbac.node_authorizer(user, attrs, self._get_for_authz)
        if node_decision is not None:
            return node_decision
        return rbac.authorize(user, attrs, self.policy())

    def _get_for_authz(self, resource: str, namespace: str, name: str) -> Obj | None:
        rt = self.registry.get("", "v1", resource) or self.registry.get("coordination.k8s.io", "v1", resource)
        if rt is None:
            return None
        try:
            return self.storage.get(rt, namespace, name)
        except errors.NotFound:
            return None

    def _authorize(self, user: UserInfo, info: requestinfo.RequestInfo, rt: ResourceType) -> str:
        attrs = RequestAttributes(info.verb, rt.group, rt.plural, info.subresource, info.namespace, info.name)
        decision = self.authorize(user, attrs)
        if not decision.allowed:
            raise errors.Forbidden(
                rbac.forbidden_message(user, attrs),
                details={"name": info.name, "group": rt.group, "kind": rt.plural} if info.name
                else {"group": rt.group, "kind": rt.plural},
            )
        return decision.reason

    def _as_table(self, request: ApiRequest, info: requestinfo.RequestInfo, rt: ResourceType,
                  response: ApiResponse) -> ApiResponse:
        """Print the response as kube-apiserver's table convertor would (``kubectl get``)."""
        include = tables.include_object(request.query)
        if info.verb == "watch" and response.stream is not None:
            def event_object(obj: Obj, first: bool) -> Obj:
                return tables.table(rt, obj, self.now(), include, with_columns=first)

            response.event_object = event_object
        elif info.verb in ("get", "list") and response.code == 200 and isinstance(response.body, dict):
            response.body = tables.table(rt, response.body, self.now(), include)
        return response

    def _impersonate(self, user: UserInfo, request: ApiRequest) -> UserInfo:
        """Act as another user (``kubectl --as``, ``--as-group``) when RBAC grants
        ``impersonate`` on that user and each group, as kube-apiserver's filter does."""
        if not request.impersonate_user:
            raise errors.BadRequest("requested impersonation of groups without impersonating a user")
        # system:serviceaccount:<ns>:<name> is impersonated as that ServiceAccount: RBAC
        # checks "impersonate serviceaccounts" in its namespace, and its groups come with it.
        sa_namespace, _, sa_name = request.impersonate_user.removeprefix(SERVICE_ACCOUNT_PREFIX).partition(":")
        is_service_account = (request.impersonate_user.startswith(SERVICE_ACCOUNT_PREFIX) and sa_namespace
                              and sa_name and ":" not in sa_name)
        user_attrs = RequestAttributes("impersonate", "", "serviceaccounts", namespace=sa_namespace, name=sa_name) \
            if is_service_account else RequestAttributes("impersonate", "", "users", name=request.impersonate_user)
        wanted = [user_attrs] + [RequestAttributes("impersonate", "", "groups", name=g)
                                 for g in request.impersonate_groups]
        for attrs in wanted:
            if not self.authorize(user, attrs).allowed:
                raise errors.Forbidden(rbac.forbidden_message(user, attrs),
                                       details={"name": attrs.name, "kind": attrs.resource})
        groups = [*request.impersonate_groups]
        if is_service_account and not groups:
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa_namespace}"]
        if request.impersonate_user != "system:anonymous":
            groups.append("system:authenticated")
        return UserInfo(request.impersonate_user, tuple(dict.fromkeys(groups)))

    def _as_partial_metadata(self, info: requestinfo.RequestInfo, response: ApiResponse) -> ApiResponse:
        if info.verb == "watch" and response.stream is not None:
            response.event_object = lambda obj, first: tables.partial_metadata(obj)
        elif info.verb in ("get", "list") and response.code == 200 and isinstance(response.body, dict):
            response.body = tables.partial_metadata(response.body)
        return response

    # --- non-resource endpoints ---------------------------------------------------

    def _non_resource(self, request: ApiRequest, info: requestinfo.RequestInfo) -> ApiResponse:
        attrs = RequestAttributes(info.verb, "", "", resource_request=False, path=request.path)
        decision = self.authorize(request.user, attrs)  # type: ignore[arg-type]
        if not decision.allowed:
            raise errors.Forbidden(f'forbidden: User "{request.user.username}" cannot '  # type: ignore[union-attr]
                                   f'{info.verb} path "{request.path}"')
        if request.path.startswith("/kubeviz/etcd/"):  # snapshot, restore, compaction
            from . import etcdadmin
            return etcdadmin.handle(self, request)
        self._refresh_custom_types()
        path = request.path.rstrip("/")
        if path in ("/api", "/apis") and discovery.wants_aggregated(request.accept):
            return ApiResponse(200, discovery.aggregated(self.registry, legacy=path == "/api"),
                               content_type=discovery.AGGREGATED_MEDIA)
        if path == "/openapi" or path.startswith("/openapi/"):
            return openapi.serve(self, request)
        body = discovery.document(self.registry, request.path)
        if body is None:
            raise errors.NotFound("the server could not find the requested resource")
        return ApiResponse(200, body)

    # --- resource requests --------------------------------------------------------

    def _dispatch(self, request: ApiRequest, info: requestinfo.RequestInfo, rt: ResourceType) -> ApiResponse:
        query = request.query
        dry_run = query.get("dryRun") == "All"
        ns, name, sub = info.namespace, info.name, info.subresource
        if rt.namespaced and not ns and info.verb not in ("list", "watch"):
            raise errors.NotFound("the server could not find the requested resource")
        if (info.verb in ("update", "patch") and not name) or (info.verb == "create" and name and not sub):
            raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")
        if sub:
            return subresources.handle(self, request, info, rt)
        if getattr(rt.strategy, "derived_from_endpoints", False):
            return self._endpoint_slices(query, info, rt)
        if info.verb == "get":
            return ApiResponse(200, self.storage.get(rt, ns, name))
        if info.verb == "list":
            return ApiResponse(200, self.storage.list(rt, ns, list_options(query, rt)))
        if info.verb == "watch":
            options = list_options(query, rt)
            if name:
                options.field_selector = parse_field_selector(f"metadata.name={name}")
            timeout = _int(query.get("timeoutSeconds"), "timeoutSeconds")
            initial_events = query.get("sendInitialEvents") in ("true", "1")
            if initial_events:
                # A streaming list (client-go's WatchList): the current state as ADDED
                # events, then a BOOKMARK marked initial-events-end.
                options.resource_version = ""
            stream = self.storage.watch(rt, ns, options)
            if initial_events:
                end = stream.bookmark()
                end.object["metadata"]["annotations"] = {"k8s.io/initial-events-end": "true"}
                stream.pending.append(end)
            return ApiResponse(200, None, stream=stream, timeout_seconds=float(timeout) if timeout else None,
                               bookmarks=query.get("allowWatchBookmarks") in ("true", "1"))
        if info.verb == "create" and getattr(rt.strategy, "virtual", False):
            review = self.body_object(request, rt)
            return ApiResponse(201, rt.strategy.review(self, request.user, review))  # type: ignore[attr-defined]
        if info.verb not in rt.verbs:
            raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")
        if info.verb == "create":
            obj = self.body_object(request, rt)
            refusal = rbac.node_restriction(request.user, rt.plural, ns, obj)  # type: ignore[arg-type]
            if refusal:
                raise errors.Forbidden(f'{rt.plural} "{obj.get("metadata", {}).get("name", "")}" is forbidden: '
                                       f"{refusal}")
            request.warnings += fieldvalidation.check(query, obj, rt, decoding=True)
            manager = self._field_manager(request)
            if manager:
                managedfields.record_update(None, obj, rt, manager, self.now())
            return ApiResponse(201, self._create(rt, ns, obj, dry_run))
        if info.verb == "update":
            obj = self.body_object(request, rt)
            request.warnings += fieldvalidation.check(query, obj, rt, decoding=True)
            manager = self._field_manager(request)
            if manager and isinstance(obj.get("metadata"), dict):
                old = self.storage.get(rt, ns, name) if self._still_exists(rt, ns, name) else None
                managedfields.record_update(old, obj, rt, manager, self.now())
            return ApiResponse(200, self.storage.update(rt, ns, name, obj, dry_run=dry_run))
        if info.verb == "patch":
            return ApiResponse(200, self.patch(request, rt, ns, name, ""))
        if info.verb == "delete":
            options = delete_options(query, self.body_json(request, optional=True))
            if rt.group == custom.CRD_GROUP and rt.plural == "customresourcedefinitions" and not options.dry_run:
                self._delete_custom_resources(self.storage.get(rt, ns, name))
            deleted = self.storage.delete(rt, ns, name, options)
            if rt.strategy.return_deleted_object or (
                    deleted.get("metadata", {}).get("deletionTimestamp") and self._still_exists(rt, ns, name)):
                return ApiResponse(200, deleted)  # the object itself, or marked and not yet removed
            return ApiResponse(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                     "details": {"name": name, "group": rt.group, "kind": rt.plural,
                                                 "uid": deleted.get("metadata", {}).get("uid", "")}})
        if info.verb == "deletecollection":
            options = delete_options(query, self.body_json(request, optional=True))
            return ApiResponse(200, self.storage.delete_collection(rt, ns, list_options(query, rt), options))
        raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")

    def _endpoint_slices(self, query: dict[str, str], info: requestinfo.RequestInfo,
                         rt: ResourceType) -> ApiResponse:
        """EndpointSlices, read from the Endpoints they are derived from (never stored)."""
        if info.verb not in ("get", "list"):
            raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")
        options = list_options(query, rt)
        endpoints_rt = self.registry.get("", "v1", "endpoints")
        assert endpoints_rt is not None
        listed = self.storage.list(endpoints_rt, info.namespace, ListOptions())
        slices = [s for ep in listed["items"] for s in endpointslices.from_endpoints(ep)]
        if info.verb == "get":
            for item in slices:
                if item["metadata"]["name"] == info.name:
                    return ApiResponse(200, item)
            raise errors.NotFound.object(rt.plural, rt.group, info.name)
        items = [s for s in slices
                 if (options.label_selector is None or options.label_selector.matches(s["metadata"]["labels"]))
                 and (options.field_selector is None or options.field_selector.matches(
                     {"metadata.name": s["metadata"]["name"], "metadata.namespace": s["metadata"]["namespace"]}))]
        return ApiResponse(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                 "metadata": {"resourceVersion": listed["metadata"]["resourceVersion"]},
                                 "items": items})

    def _delete_custom_resources(self, crd: Obj) -> None:
        """A deleted CRD takes its custom resources with it (apiextensions-apiserver's
        customresourcecleanup finalizer, done before the CRD goes rather than after)."""
        for custom_rt in custom.resource_types(crd)[:1]:  # every version shares one storage prefix
            self.storage.delete_collection(custom_rt, "", ListOptions(), DeleteOptions())

    def _create(self, rt: ResourceType, ns: str, obj: Obj, dry_run: bool) -> Obj:
        """Store a new object; a new namespace then gets its ``default`` ServiceAccount."""
        try:
            created = self.storage.create(rt, ns, obj, dry_run)
        except errors.Forbidden as error:
            if error.details != {"name": ns, "kind": "namespaces"}:
                raise
            # NamespaceLifecycle refuses in the object's name, as kube-apiserver's admission words it.
            name = str((obj.get("metadata") or {}).get("name") or "")
            raise errors.Forbidden(f'{errors.qualified(rt.plural, rt.group)} "{name}" is forbidden: {error.message}',
                                   details={"name": name, "group": rt.group, "kind": rt.plural} if rt.group
                                   else {"name": name, "kind": rt.plural}) from None
        if rt.plural == "namespaces" and not rt.group and not dry_run:
            bootstrap.ensure_default_service_account(self, created["metadata"]["name"])
        return created

    def _still_exists(self, rt: ResourceType, ns: str, name: str) -> bool:
        try:
            self.storage.get(rt, ns, name)
            return True
        except errors.NotFound:
            return False

    def patch(self, request: ApiRequest, rt: ResourceType, ns: str, name: str, subresource: str) -> Obj:
        patch_type = PATCH_TYPES.get(request.content_type.split(";")[0].strip())
        if patch_type is None:
            raise errors.UnsupportedMediaType(
                f"the body of the request was in an unknown format - accepted media types include: "
                f"{', '.join(PATCH_TYPES)}")
        if patch_type == "apply":
            return self._apply(request, rt, ns, name, subresource)
        document = self.body_json(request)
        if patch_type != "json" and not subresource:
            request.warnings += fieldvalidation.check(request.query, document, rt, decoding=False)
        dry_run = request.query.get("dryRun") == "All"

        def mutate(obj: Obj) -> Obj:
            try:
                if patch_type == "json":
                    if not isinstance(document, list):
                        raise errors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
                    return patching.apply_json_patch(obj, document)
                if not isinstance(document, dict):
                    raise errors.BadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
                if patch_type == "merge":
                    return patching.apply_merge_patch(obj, document)
                return patching.apply_strategic_merge_patch(obj, document, rt.kind)
            except patching.PatchError as error:
                raise errors.Invalid(str(error)) if patch_type == "json" else errors.BadRequest(str(error)) from None

        manager = self._field_manager(request)

        def mutate_and_record(obj: Obj) -> Obj:
            before = copy.deepcopy(obj)
            after = mutate(obj)
            _check_precondition(before, after, rt, name)
            if manager and isinstance(after, dict) and isinstance(after.get("metadata"), dict):
                managedfields.record_update(before, after, rt, manager, self.now(), subresource)
            return after

        return self.storage.guaranteed_update(rt, ns, name, _checked(rt, mutate_and_record), subresource, dry_run)

    def _field_manager(self, request: ApiRequest) -> str:
        """Who owns the fields a write sets: ``fieldManager``, else the client's
        User-Agent product (``kubectl``, ``OpenAPI-Generator``). In-process control
        plane calls (no User-Agent) are not tracked."""
        manager = request.query.get("fieldManager", "")
        if len(manager) > 128:
            raise errors.BadRequest(f"fieldManager: Too long: may not be more than 128 bytes")
        return manager or request.user_agent.split("/")[0].strip()[:128]

    def _apply(self, request: ApiRequest, rt: ResourceType, ns: str, name: str, subresource: str) -> Obj:
        """Server-side apply, simplified: create when missing, else merge the applied
        configuration into the live object (strategic merge for built-in kinds)."""
        obj = self.body_object(request, rt)
        request.warnings += fieldvalidation.check(request.query, obj, rt, decoding=False)
        dry_run = request.query.get("dryRun") == "All"
        manager = request.query.get("fieldManager", "")
        if not manager:
            raise errors.BadRequest("PATCH, application/apply-patch+yaml requires fieldManager parameter")
        force = request.query.get("force") in ("true", "1")
        if not self._still_exists(rt, ns, name):
            obj.setdefault("metadata", {})["name"] = name
            if not subresource:
                obj["metadata"].pop("managedFields", None)
                obj = managedfields.apply({"metadata": {}}, obj, rt, manager, force, self.now(),
                                          lambda live, applied: copy.deepcopy(applied))
            return self._create(rt, ns, obj, dry_run)

        def merge(live: Obj, applied: Obj) -> Obj:
            return patching.apply_strategic_merge_patch(live, applied, rt.kind)

        def mutate(live: Obj) -> Obj:
            _check_precondition(live, obj, rt, name)
            if subresource:
                return merge(live, obj)
            return managedfields.apply(live, obj, rt, manager, force, self.now(), merge)

        return self.storage.guaranteed_update(rt, ns, name, _checked(rt, mutate), subresource, dry_run)

    # --- bodies -------------------------------------------------------------------

    def body_json(self, request: ApiRequest, optional: bool = False) -> Any:
        if len(request.body) > MAX_BODY_BYTES:
            raise errors.RequestEntityTooLarge("Request entity too large: limit is 3145728")
        if not request.body.strip():
            if optional:
                return None
            raise errors.BadRequest("the body of the request was empty")
        media = request.content_type.split(";")[0].strip()
        try:
            if media == protobuf.MEDIA_TYPE:
                return protobuf.decode(request.body)
            if media.endswith("yaml"):
                return _without_lone_surrogates(_load_yaml(request.body), request.body)
            if media.endswith("json") or media == "":
                return _without_lone_surrogates(json.loads(request.body), request.body)
        except protobuf.ProtobufError as error:
            raise errors.BadRequest(f"the body of the request could not be decoded as protobuf: {error}") from None
        except (ValueError, yaml.YAMLError) as error:
            raise errors.BadRequest(f"the body of the request was in an unknown format: {_first_line(error)}") from None
        raise errors.UnsupportedMediaType(
            f'the body of the request was in an unknown format - accepted media types include: '
            f'application/json, application/yaml, application/vnd.kubernetes.protobuf')

    def body_object(self, request: ApiRequest, rt: ResourceType) -> Obj:
        obj = self.body_json(request)
        if not isinstance(obj, dict):
            raise errors.BadRequest("the body of the request must be a JSON object")
        _check_kind(obj, rt)
        _check_shape(obj, rt)
        return obj


def _without_lone_surrogates(value: Any, raw: bytes) -> Any:
    """A ``\\ud800`` escape with no partner decodes to U+FFFD, as Go's encoding/json
    does: a lone surrogate cannot be stored as UTF-8 (it made a key unencodable)."""
    if b"\\u" not in raw.lower():
        return value

    def fix(item: Any) -> Any:
        if isinstance(item, str):
            return item.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        if isinstance(item, dict):
            return {fix(k): fix(v) for k, v in item.items()}
        if isinstance(item, list):
            return [fix(v) for v in item]
        return item

    return fix(value)


def _check_precondition(live: Obj, patched: Obj, rt: ResourceType, name: str) -> None:
    """A resourceVersion a patch (or applied configuration) carries is a precondition:
    409 Conflict when the live object has moved on, as kube-apiserver answers."""
    requested = (patched.get("metadata") or {}).get("resourceVersion") if isinstance(patched, dict) else None
    current = (live.get("metadata") or {}).get("resourceVersion")
    if requested and current and str(requested) != str(current):
        raise errors.Conflict.modified(rt.plural, rt.group, name)


def _checked(rt: ResourceType, mutate: Callable[[Obj], Obj]) -> Callable[[Obj], Obj]:
    def run(obj: Obj) -> Obj:
        result = mutate(obj)
        if not isinstance(result, dict) or not isinstance(result.get("metadata", {}), dict):
            raise errors.BadRequest("the patch did not produce an object")
        root = schema.root_for(rt.group, rt.version, rt.kind)
        if root:
            try:
                decoding.check(result, root)
            except decoding.TypeMismatch as error:
                # kube-apiserver's patcher: the patched object does not decode → 422 on "patch".
                value = json.dumps(json.dumps(result, separators=(",", ":")))
                raise errors.Invalid(f' "" is invalid: patch: Invalid value: {value}: {error}', details={
                    "causes": [{"reason": "FieldValueInvalid", "message": f"Invalid value: {value}: {error}",
                                "field": "patch"}]}) from None
        return result
    return run


def _check_kind(obj: Obj, rt: ResourceType) -> None:
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if api_version is not None and api_version != rt.api_version:
        raise errors.BadRequest(f"the API version in the data ({api_version}) does not match the expected "
                                f"API version ({rt.api_version})")
    if kind is not None and kind != rt.kind:
        raise errors.BadRequest(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")


_GO_TYPES = {dict: "object", list: "array", str: "string", bool: "bool", int: "number", float: "number",
             type(None): "null"}


def _cannot_handle(rt: ResourceType, value: object, field: str, want: str) -> errors.BadRequest:
    """The API server's decoding error for a field of the wrong JSON type."""
    return errors.BadRequest(
        f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: json: cannot unmarshal '
        f"{_GO_TYPES.get(type(value), 'value')} into Go struct field {rt.kind}.{field} of type {want}")


def _check_shape(obj: Obj, rt: ResourceType) -> None:
    """Reject what could not decode into the kind's Go struct: a spec that is not
    an object, labels that are not a map of strings, and so on."""
    for field in ("metadata", "spec", "status"):
        if field in obj and obj[field] is not None and not isinstance(obj[field], dict):
            raise _cannot_handle(rt, obj[field], field, "object")
    metadata = obj.get("metadata") or {}
    for field in ("name", "generateName", "namespace", "resourceVersion", "uid"):
        if field in metadata and not isinstance(metadata[field], str):
            raise _cannot_handle(rt, metadata[field], f"metadata.{field}", "string")
    for field in ("labels", "annotations"):
        value = metadata.get(field)
        if value is not None and (not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())):
            raise _cannot_handle(rt, value, f"metadata.{field}", "map[string]string")
    for field in ("finalizers", "ownerReferences"):
        value = metadata.get(field)
        if value is not None and not isinstance(value, list):
            raise _cannot_handle(rt, value, f"metadata.{field}", "[]string" if field == "finalizers" else "array")
    if not all(isinstance(f, str) for f in metadata.get("finalizers") or []):
        raise _cannot_handle(rt, metadata["finalizers"], "metadata.finalizers", "[]string")
    if rt.kind in _POD_SPEC_PATHS and rt.group in ("", "apps", "batch"):
        _check_quantities(obj, rt)
    root = schema.root_for(rt.group, rt.version, rt.kind)
    if root:
        try:
            decoding.check(obj, root)
        except decoding.TypeMismatch as error:
            raise errors.BadRequest(
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {error}') from None


# Where a kind's pod spec sits: resource quantities there decode into resource.Quantity.
_POD_SPEC_PATHS = {"Pod": ("spec",), "Deployment": ("spec", "template", "spec"),
                   "ReplicaSet": ("spec", "template", "spec"), "Job": ("spec", "template", "spec")}


def _check_quantities(obj: Obj, rt: ResourceType) -> None:
    """A request or limit that is not a quantity ("1.5.5", "lots") cannot decode: 400
    with resource.Quantity's error, as kube-apiserver answers (a negative one is 422)."""
    spec: Any = obj
    for step in _POD_SPEC_PATHS[rt.kind]:
        spec = spec.get(step) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            resources = container.get("resources") if isinstance(container, dict) else None
            for section in ("requests", "limits"):
                values = resources.get(section) if isinstance(resources, dict) else None
                for value in (values or {}).values() if isinstance(values, dict) else ():
                    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                        continue  # the wrong JSON type: validation words it
                    try:
                        parse_quantity(value.strip() if isinstance(value, str) else value)
                    except (ValueError, TypeError):
                        raise errors.BadRequest(
                            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                            f"quantities must match the regular expression "
                            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'") from None


def _load_yaml(body: bytes) -> Any:
    """Most YAML bodies are JSON (kubectl and the kubelets send JSON as
    apply-patch+yaml), and JSON is YAML: ``json`` reads them about fifty times
    faster than PyYAML's parser (which was half the server's CPU while 5,000
    kubelets registered). Anything else is parsed as YAML."""
    try:
        return json.loads(body)
    except ValueError:
        return yaml.safe_load(body)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError:
        raise errors.BadRequest(f'invalid value for {name}: "{value}"') from None


def list_options(query: dict[str, str], rt: ResourceType) -> ListOptions:
    try:
        labels = parse_label_selector(query["labelSelector"]) if query.get("labelSelector") else None
        fields = parse_field_selector(query["fieldSelector"]) if query.get("fieldSelector") else None
        if fields is not None:
            check_field_labels(fields, ("metadata.name", "metadata.namespace", *rt.strategy.field_selectors))
    except SelectorError as error:
        raise errors.BadRequest(str(error)) from None
    limit = _int(query.get("limit"), "limit") or 0
    return ListOptions(labels, fields, max(0, limit), query.get("continue", ""),
                       query.get("resourceVersion", ""), query.get("resourceVersionMatch", ""))


def delete_options(query: dict[str, str], body: Any) -> DeleteOptions:
    body = body if isinstance(body, dict) else {}
    policy = query.get("propagationPolicy") or body.get("propagationPolicy") or ""
    orphan = query.get("orphanDependents", body.get("orphanDependents"))
    if not policy and orphan in (True, "true"):
        policy = "Orphan"
    if policy and policy not in ("Background", "Foreground", "Orphan"):
        raise errors.BadRequest(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                '"Foreground", "Background", "Orphan"')
    grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
    grace_seconds = _int(str(grace), "gracePeriodSeconds") if grace is not None else None
    dry_run = query.get("dryRun") == "All" or body.get("dryRun") == ["All"]
    return DeleteOptions(policy, grace_seconds, dict(body.get("preconditions") or {}), dry_run)


def _prefix_end(prefix: bytes) -> bytes:
    from cluster.store.keys import prefix_end

    return prefix_end(prefix)
