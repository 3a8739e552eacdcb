"""Generic REST storage: every kind's objects in the store, one code path.

After kube-apiserver's ``registry/generic/registry.Store``: create, get, list,
update (with resourceVersion preconditions), delete (finalizers, grace periods,
propagation policy) and watch, for any ResourceType, consulting its Strategy.
This module and ``cluster.store`` are the only code that touches stored state.
"""
from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from cluster.store import Compare, DeleteOp, PutOp, Store, WatchHub, errors as store_errors
from cluster.store.keys import prefix_end

from . import errors
from .objects import Obj, decode, encode, generate_name, meta, new_uid, timestamp
from .registry import ResourceType
from .strategy import spec_of

MAX_CONFLICT_RETRIES = 10


class Selector(Protocol):
    def matches(self, values: dict[str, str]) -> bool: ...


@dataclass
class ListOptions:
    label_selector: Selector | None = None
    field_selector: Selector | None = None
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""


@dataclass
class DeleteOptions:
    propagation_policy: str = ""
    grace_period_seconds: int | None = None
    preconditions: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False


@dataclass
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    object: Obj


class ResourceStorage:
    def __init__(self, store: Store, hub: Callable[[], WatchHub], now: Callable[[], float] = time.time) -> None:
        self.store = store
        self._hub = hub
        self.now = now

    # --- reads --------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        kv = self.store.get(rt.key(namespace, name))
        if kv is None:
            raise errors.NotFound.object(rt.plural, rt.group, name)
        return decode(kv.value, kv.mod_revision)

    def list(self, rt: ResourceType, namespace: str, options: ListOptions) -> Obj:
        prefix = rt.key_prefix(namespace)
        start, revision = prefix, 0
        if options.continue_token:
            start, revision = _parse_continue(options.continue_token, prefix)
        elif options.resource_version and options.resource_version_match == "Exact":
            revision = _parse_rv(options.resource_version)
        items: list[Obj] = []
        result_revision = revision
        more_key: bytes | None = None
        in_range: int | None = None  # keys from the page's start to the prefix's end
        try:
            # Page through the store until `limit` matching items are found, all
            # at one revision, so every page of a list is one consistent snapshot.
            while True:
                batch = max(options.limit, 500) if options.limit else 0
                result = self.store.range(start, prefix_end(prefix), revision=revision, limit=batch)
                result_revision = revision = revision or result.revision
                in_range = result.count if in_range is None else in_range
                for kv in result.kvs:
                    obj = decode(kv.value, kv.mod_revision)
                    if self._matches(rt, obj, options):
                        if options.limit and len(items) == options.limit:
                            more_key = kv.key
                            break
                        items.append(obj)
                if more_key is not None or not result.more:
                    break
                start = result.kvs[-1].key + b"\0"
        except store_errors.Compacted:
            if options.continue_token:
                raise errors.Gone(
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter."
                ) from None
            raise errors.Gone(f"too old resource version: {revision}") from None
        except store_errors.FutureRevision:
            raise errors.Gone(f"too large resource version: {revision}", code=504, reason="Timeout") from None
        list_meta: dict[str, Any] = {"resourceVersion": str(result_revision)}
        if more_key is not None:
            list_meta["continue"] = _continue_token(more_key, result_revision)
            if options.label_selector is None and options.field_selector is None and in_range is not None:
                # Exact only without selectors, so kube-apiserver gives it only then.
                list_meta["remainingItemCount"] = in_range - len(items)
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": list_meta, "items": items}

    @staticmethod
    def _matches(rt: ResourceType, obj: Obj, options: ListOptions) -> bool:
        if options.label_selector is not None:
            if not options.label_selector.matches(obj.get("metadata", {}).get("labels") or {}):
                return False
        if options.field_selector is not None:
            if not options.field_selector.matches(rt.strategy.fields(obj)):
                return False
        return True

    # --- create -------------------------------------------------------------------

    def create(self, rt: ResourceType, namespace: str, obj: Obj, dry_run: bool = False) -> Obj:
        metadata = meta(obj)
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = generate_name(metadata["generateName"])
        name = metadata.get("name") or ""
        if not name:
            raise errors.Invalid.object(
                rt.kind, rt.group, "", [("metadata.name", "name or generateName is required", "FieldValueRequired")]
            )
        if rt.namespaced:
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        for server_set in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            metadata.pop(server_set, None)
        metadata["uid"] = new_uid()
        metadata["creationTimestamp"] = timestamp(self.now())
        if rt.strategy.has_generation:
            metadata["generation"] = 1
        else:
            metadata.pop("generation", None)
        with _decoding(rt):
            rt.strategy.prepare_for_create(obj)
            rt.strategy.default(obj)
            causes = rt.strategy.validate(obj)
        self._validate(rt, obj, causes)
        if rt.namespaced:
            self._check_namespace(namespace)
        key = rt.key(namespace, name)
        if dry_run:
            if self.store.get(key) is not None:
                raise errors.AlreadyExists.object(rt.plural, rt.group, name)
            return obj
        result = self.store.txn([Compare("create", key, "=", 0)], [PutOp(key, encode(obj))], [])
        if not result.succeeded:
            raise errors.AlreadyExists.object(rt.plural, rt.group, name)
        metadata["resourceVersion"] = str(result.revision)
        return obj

    def _check_namespace(self, namespace: str) -> None:
        """NamespaceLifecycle admission: no new objects in a missing or terminating namespace."""
        kv = self.store.get(f"/registry/namespaces/{namespace}".encode())
        if kv is None:
            raise errors.NotFound(f'namespaces "{namespace}" not found',
                                  details={"name": namespace, "kind": "namespaces"})
        ns = json.loads(kv.value)
        if ns.get("status", {}).get("phase") == "Terminating" or ns.get("metadata", {}).get("deletionTimestamp"):
            raise errors.Forbidden(
                f"unable to create new content in namespace {namespace} because it is being terminated",
                details={"name": namespace, "kind": "namespaces"},
            )

    @staticmethod
    def _validate(rt: ResourceType, obj: Obj, causes: list[tuple[str, str, str]]) -> None:
        if causes:
            raise errors.Invalid.object(rt.kind, rt.group, meta(obj).get("name", ""), causes)

    # --- update -------------------------------------------------------------------

    def update(
        self, rt: ResourceType, namespace: str, name: str, obj: Obj, subresource: str = "", dry_run: bool = False
    ) -> Obj:
        """PUT: replace the object; a stale ``metadata.resourceVersion`` is a 409 Conflict."""
        metadata = meta(obj)
        if metadata.get("name") and metadata["name"] != name:
            raise errors.BadRequest(
                f"the name of the object ({metadata['name']}) does not match the name on the URL ({name})"
            )
        precondition = metadata.get("resourceVersion") or ""
        key = rt.key(namespace, name)
        kv = self.store.get(key)
        if kv is None:
            raise errors.NotFound.object(rt.plural, rt.group, name)
        if precondition and _parse_rv(precondition) != kv.mod_revision:
            raise errors.Conflict.modified(rt.plural, rt.group, name)
        old = decode(kv.value, kv.mod_revision)
        return self._write_update(rt, key, old, kv.mod_revision, obj, subresource, dry_run)

    def guaranteed_update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        mutate: Callable[[Obj], Obj],
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """Read, ``mutate`` a copy, write with the read revision as precondition;
        retried on conflict (patch, binding, scale, finalize all use this)."""
        key = rt.key(namespace, name)
        for _ in range(MAX_CONFLICT_RETRIES):
            kv = self.store.get(key)
            if kv is None:
                raise errors.NotFound.object(rt.plural, rt.group, name)
            old = decode(kv.value, kv.mod_revision)
            new = mutate(decode(kv.value, kv.mod_revision))  # a copy, resourceVersion set as clients see it
            meta(new).pop("resourceVersion", None)
            try:
                return self._write_update(rt, key, old, kv.mod_revision, new, subresource, dry_run)
            except _Stale:
                continue
        raise errors.Conflict.modified(rt.plural, rt.group, name)

    def _write_update(
        self, rt: ResourceType, key: bytes, old: Obj, revision: int, obj: Obj, subresource: str, dry_run: bool
    ) -> Obj:
        with _decoding(rt):
            new = self._merge_update(rt, old, obj, subresource)
            causes = rt.strategy.validate_update(new, old) if subresource != "status" else []
        self._validate(rt, new, causes)
        if old.get("metadata", {}).get("deletionTimestamp") and self._ready_to_remove(rt, new):
            return self._remove(rt, key, new, revision, dry_run)
        data = encode(new)
        if data == encode(old) or dry_run:
            if data == encode(old):
                return old  # no-op updates write nothing
            meta(new)["resourceVersion"] = str(revision)  # a dry run changes no version
            return new
        result = self.store.txn([Compare("mod", key, "=", revision)], [PutOp(key, data)], [])
        if not result.succeeded:
            raise _Stale()
        meta(new)["resourceVersion"] = str(result.revision)
        return new

    def _merge_update(self, rt: ResourceType, old: Obj, obj: Obj, subresource: str) -> Obj:
        """What the update may change: status alone through /status, everything
        else through the main resource; server-owned metadata always kept."""
        strategy = rt.strategy
        if subresource == "status":
            new = json.loads(encode(old))
            new["status"] = obj.get("status", {})
        else:
            new = json.loads(encode(obj))
            new["apiVersion"], new["kind"] = rt.api_version, rt.kind
            # binding sets spec.nodeName and the PodScheduled condition in one write.
            if strategy.status_subresource and subresource not in ("finalize", "binding"):
                if "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
            strategy.default(new)
        old_meta, new_meta = old.get("metadata", {}), meta(new)
        for server_owned in ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "generation"):
            if server_owned in old_meta:
                new_meta[server_owned] = old_meta[server_owned]
            else:
                new_meta.pop(server_owned, None)
        new_meta.pop("resourceVersion", None)
        if old_meta.get("deletionTimestamp"):
            # A terminating object may lose finalizers but not gain new ones.
            allowed = set(old_meta.get("finalizers") or [])
            kept = [f for f in new_meta.get("finalizers") or [] if f in allowed]
            if kept:
                new_meta["finalizers"] = kept
            else:
                new_meta.pop("finalizers", None)
        if strategy.has_generation and spec_of(new) != spec_of(old):
            new_meta["generation"] = int(old_meta.get("generation", 1)) + 1
        return new

    # --- delete -------------------------------------------------------------------

    def delete(self, rt: ResourceType, namespace: str, name: str, options: DeleteOptions) -> Obj:
        """Remove the object, or mark it (deletionTimestamp) while finalizers or a
        pod's grace period hold it; returns the object as last stored."""
        key = rt.key(namespace, name)
        for _ in range(MAX_CONFLICT_RETRIES):
            kv = self.store.get(key)
            if kv is None:
                raise errors.NotFound.object(rt.plural, rt.group, name)
            obj = decode(kv.value, kv.mod_revision)
            self._check_preconditions(rt, obj, options)
            marked = self._mark_for_deletion(rt, obj, options)
            try:
                if self._ready_to_remove(rt, marked):
                    return self._remove(rt, key, marked, kv.mod_revision, options.dry_run)
                return self._write_marked(key, obj, marked, kv.mod_revision, options.dry_run)
            except _Stale:
                continue
        raise errors.Conflict.modified(rt.plural, rt.group, name)

    @staticmethod
    def _check_preconditions(rt: ResourceType, obj: Obj, options: DeleteOptions) -> None:
        metadata = obj["metadata"]
        uid = options.preconditions.get("uid")
        if uid and uid != metadata.get("uid"):
            raise errors.Conflict(
                f'Precondition failed: UID in precondition: {uid}, UID in object meta: {metadata.get("uid")}',
                details={"name": metadata.get("name"), "kind": rt.plural},
            )
        rv = options.preconditions.get("resourceVersion")
        if rv and rv != metadata.get("resourceVersion"):
            raise errors.Conflict(
                "Precondition failed: ResourceVersion in precondition: "
                f'{rv}, ResourceVersion in object meta: {metadata.get("resourceVersion")}',
                details={"name": metadata.get("name"), "kind": rt.plural},
            )

    def _mark_for_deletion(self, rt: ResourceType, obj: Obj, options: DeleteOptions) -> Obj:
        marked = json.loads(encode(obj))
        metadata = meta(marked)
        finalizers = list(metadata.get("finalizers") or [])
        policy = options.propagation_policy or rt.strategy.default_propagation
        if not metadata.get("deletionTimestamp"):
            if policy == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            elif policy == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
        if finalizers:
            metadata["finalizers"] = finalizers
        grace = rt.strategy.grace_period(marked, options.grace_period_seconds)
        if metadata.get("deletionTimestamp"):
            if grace is not None and grace < int(metadata.get("deletionGracePeriodSeconds", 0)):
                metadata["deletionGracePeriodSeconds"] = grace  # a shorter grace period wins
        elif finalizers or grace or rt.strategy.finalize_on_delete(marked):
            metadata["deletionTimestamp"] = timestamp(self.now() + (grace or 0))
            metadata["deletionGracePeriodSeconds"] = grace or 0
            rt.strategy.on_delete(marked)
        return marked

    @staticmethod
    def _ready_to_remove(rt: ResourceType, obj: Obj) -> bool:
        metadata = obj.get("metadata", {})
        if metadata.get("finalizers"):
            return False
        if rt.strategy.finalize_on_delete(obj):
            return False
        return not metadata.get("deletionGracePeriodSeconds")

    def _write_marked(self, key: bytes, old: Obj, marked: Obj, revision: int, dry_run: bool) -> Obj:
        if dry_run or encode(marked) == encode(old):
            return marked if dry_run else old
        result = self.store.txn([Compare("mod", key, "=", revision)], [PutOp(key, encode(marked))], [])
        if not result.succeeded:
            raise _Stale()
        meta(marked)["resourceVersion"] = str(result.revision)
        return marked

    def _remove(self, rt: ResourceType, key: bytes, obj: Obj, revision: int, dry_run: bool) -> Obj:
        if dry_run:
            return obj
        result = self.store.txn([Compare("mod", key, "=", revision)], [DeleteOp(key)], [])
        if not result.succeeded:
            raise _Stale()
        meta(obj)["resourceVersion"] = str(result.revision)
        return obj

    def delete_collection(
        self, rt: ResourceType, namespace: str, list_options: ListOptions, options: DeleteOptions
    ) -> Obj:
        listed = self.list(rt, namespace, list_options)
        deleted = []
        for item in listed["items"]:
            item_meta = item["metadata"]
            try:
                deleted.append(self.delete(rt, item_meta.get("namespace", ""), item_meta["name"], options))
            except errors.NotFound:
                continue
        return {"kind": rt.list_kind, "apiVersion": rt.api_version,
                "metadata": {"resourceVersion": listed["metadata"]["resourceVersion"]}, "items": deleted}

    # --- watch --------------------------------------------------------------------

    def watch(self, rt: ResourceType, namespace: str, options: ListOptions, bookmarks: bool = False) -> "WatchStream":
        return WatchStream(self, rt, namespace, options, bookmarks)


@contextmanager
def _decoding(rt: ResourceType) -> Iterator[None]:
    """A strategy tripping over a value of the wrong type means the object could not
    have decoded into the kind's struct: 400, as the real API server answers."""
    try:
        yield
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        raise errors.BadRequest(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {error}') from None


class _Stale(Exception):
    """The object changed between read and write: re-read and try again."""


class WatchStream:
    """One Kubernetes watch: the object changes under a resource (and namespace),
    as ADDED / MODIFIED / DELETED, filtered by selectors the way the API server
    filters them (an object leaving the selection is a DELETED)."""

    def __init__(
        self, storage: ResourceStorage, rt: ResourceType, namespace: str, options: ListOptions, bookmarks: bool
    ) -> None:
        self.storage = storage
        self.rt = rt
        self.options = options
        self.bookmarks = bookmarks
        self.pending: list[WatchEvent] = []
        self.revision = 0
        prefix = rt.key_prefix(namespace)
        rv = options.resource_version
        if rv in ("", "0"):
            # "Any" or "most recent": start with a synthetic ADDED for what exists now.
            listed = storage.list(rt, namespace, ListOptions(options.label_selector, options.field_selector))
            self.pending = [WatchEvent("ADDED", item) for item in listed["items"]]
            self.revision = int(listed["metadata"]["resourceVersion"])
        else:
            self.revision = _parse_rv(rv)
        try:
            self.watcher = storage._hub().watch(prefix, prefix_end(prefix), self.revision + 1, prev_kv=True)
            self.watcher.hub.read(self.revision + 1, prefix, prefix_end(prefix))  # fail now if compacted
        except store_errors.Compacted:
            raise errors.Gone(f"too old resource version: {self.revision} ({self.watcher_compact()})") from None

    def watcher_compact(self) -> int:
        return self.storage._hub().compact_revision

    def _translate(self, events: list[Any]) -> list[WatchEvent]:
        out: list[WatchEvent] = []
        rt, options = self.rt, self.options
        if options.label_selector is None and options.field_selector is None:
            return self._translate_unfiltered(events)
        for event in events:
            new = decode(event.kv.value, event.revision) if event.type == "PUT" else None
            old = decode(event.prev_kv.value, event.revision) if event.prev_kv is not None else None
            new_in = new is not None and self.storage._matches(rt, new, options)
            old_in = old is not None and self.storage._matches(rt, old, options)
            if new_in and old_in:
                out.append(WatchEvent("MODIFIED", new))  # type: ignore[arg-type]
            elif new_in:
                out.append(WatchEvent("ADDED", new))  # type: ignore[arg-type]
            elif old_in:
                out.append(WatchEvent("DELETED", old if new is None else new))  # type: ignore[arg-type]
            self.revision = event.revision
        return out

    def _translate_unfiltered(self, events: list[Any]) -> list[WatchEvent]:
        """Without selectors the previous object is needed only to report a deletion:
        every informer's watch skips decoding it on each update."""
        out: list[WatchEvent] = []
        for event in events:
            if event.type == "PUT":
                kind = "MODIFIED" if event.prev_kv is not None else "ADDED"
                out.append(WatchEvent(kind, decode(event.kv.value, event.revision)))
            elif event.prev_kv is not None:
                out.append(WatchEvent("DELETED", decode(event.prev_kv.value, event.revision)))
            self.revision = event.revision
        return out

    def _expired(self) -> WatchEvent:
        status = errors.Gone(f"too old resource version: {self.revision} ({self.watcher_compact()})").status()
        return WatchEvent("ERROR", status)

    def bookmark(self) -> WatchEvent:
        self.revision = max(self.revision, self.watcher.next_revision - 1)
        return WatchEvent(
            "BOOKMARK",
            {"kind": self.rt.kind, "apiVersion": self.rt.api_version,
             "metadata": {"resourceVersion": str(self.revision)}},
        )

    def poll(self, timeout: float) -> list[WatchEvent]:
        """The next events; [] when ``timeout`` passes quietly."""
        if self.pending:
            events, self.pending = self.pending, []
            return events
        try:
            return self._translate(self.watcher.poll(timeout))
        except store_errors.Compacted:
            return [self._expired()]

    async def async_poll(self, timeout: float) -> list[WatchEvent]:
        if self.pending:
            events, self.pending = self.pending, []
            return events
        try:
            return self._translate(await self.watcher.async_poll(timeout))
        except store_errors.Compacted:
            return [self._expired()]

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            yield from self.poll(1.0)


def _parse_rv(value: str) -> int:
    try:
        revision = int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest(f'invalid resource version "{value}"') from None
    if revision < 0:
        raise errors.BadRequest(f'invalid resource version "{value}"')
    return revision


def _continue_token(next_key: bytes, revision: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": base64.b64encode(next_key).decode()})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse_continue(token: str, prefix: bytes) -> tuple[bytes, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        start = base64.b64decode(data["start"])
        revision = int(data["rv"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.BadRequest("continue key is not valid: illegal base64 data") from None
    if not start.startswith(prefix) or revision <= 0:
        raise errors.BadRequest("continue key is not valid: key is outside the requested range")
    return start, revision
