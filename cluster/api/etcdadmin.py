"""``/kubeviz/etcd/…``: etcd maintenance — snapshot, restore, compaction — through the API server.

Design rule 1 says only the API server touches the store, so the dashboard's
etcd buttons and ``manage.py scenario etcd-*`` come here, as non-resource URLs
authorised by RBAC like ``/metrics`` (only ``cluster-admin`` holds
``nonResourceURLs: ["*"]``; anyone else gets kube-apiserver's
``forbidden: User "x" cannot post path "/kubeviz/etcd/snapshot"``, checked in
``ApiServer._non_resource`` before this module is called):

* ``POST /kubeviz/etcd/snapshot`` — ``etcdctl snapshot save`` into the snapshot
  directory (``settings.KUBEVIZ_SNAPSHOT_DIR``, default ``var/snapshots/``),
  one file per snapshot named by time and revision; answers what ``etcdctl
  snapshot status -w json`` shows (hash, revision, totalKey, totalSize) with the
  file's name, path and sha256.
* ``GET /kubeviz/etcd/snapshots`` — the snapshots there, newest first.
* ``POST /kubeviz/etcd/restore`` ``{"name": "…"}`` — restore the named snapshot,
  or the newest. Restored as ``etcdutl snapshot restore --bump-revision
  --mark-compacted`` would: the revision moves forward and is compacted, so every
  watch ends with 410 Gone and every informer relists the restored state.
* ``POST /kubeviz/etcd/compact`` ``{"revision": N}`` — ``etcdctl compaction N``
  (N = 0 or absent: the current revision); etcd's words for a revision already
  compacted or in the future, with the 400 etcd's JSON gateway gives them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cluster.store import errors as store_errors
from cluster.store import snapshot

from . import errors

if TYPE_CHECKING:
    from .server import ApiRequest, ApiResponse, ApiServer

PREFIX = "/kubeviz/etcd/"
SUFFIX = ".db"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def snapshot_dir() -> Path:
    from django.conf import settings

    configured = getattr(settings, "KUBEVIZ_SNAPSHOT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "snapshots"


def handle(server: "ApiServer", request: "ApiRequest") -> "ApiResponse":
    """Serve one request under ``/kubeviz/etcd/`` (already authorised)."""
    from .server import ApiResponse

    operation = request.path[len(PREFIX):].strip("/") if request.path.startswith(PREFIX) else ""
    if operation not in _OPERATIONS:
        raise errors.NotFound("the server could not find the requested resource")
    method, serve = _OPERATIONS[operation]
    if request.method != method:
        raise errors.MethodNotAllowed("the server does not allow this method on the requested resource")
    return ApiResponse(200, serve(server, _body(request)))


def _body(request: "ApiRequest") -> dict[str, Any]:
    """The JSON object the request carries; none at all reads as ``{}``."""
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except ValueError as error:
        raise errors.BadRequest(f"the request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise errors.BadRequest(f"the request body must be a JSON object, not {type(body).__name__}")
    return body


# --- snapshot -----------------------------------------------------------------------


def take_snapshot(server: "ApiServer", body: dict[str, Any]) -> dict[str, Any]:
    directory = snapshot_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise errors.InternalError(f"could not create the snapshot directory {directory}: {error.strerror}") from None
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    saving = directory / f".{stamp}.saving"
    try:
        info = snapshot.save(server.store, saving)
    except store_errors.SnapshotError as error:
        raise errors.InternalError(str(error)) from None
    path = _free_name(directory, f"snapshot-{stamp}-rev{info.revision}")
    os.replace(saving, path)
    return _describe(path, info)


def _free_name(directory: Path, stem: str) -> Path:
    path, n = directory / (stem + SUFFIX), 1
    while path.exists():  # two snapshots in one millisecond at one revision
        n += 1
        path = directory / f"{stem}-{n}{SUFFIX}"
    return path


def _describe(path: Path, info: snapshot.SnapshotInfo) -> dict[str, Any]:
    """``etcdctl snapshot status -w json``'s fields, with the file's name, path and sha256."""
    return {"name": path.name, "path": str(path), "hash": info.hash, "revision": info.revision,
            "totalKey": info.total_keys, "totalSize": info.total_size, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshots() -> list[Path]:
    """The snapshot files, newest first (names sort by time)."""
    directory = snapshot_dir()
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.name.endswith(SUFFIX) and _NAME.match(p.name) and p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def list_snapshots(server: "ApiServer", body: dict[str, Any]) -> dict[str, Any]:
    items = []
    for path in snapshots():
        stat = path.stat()
        items.append({"name": path.name, "path": str(path), "totalSize": stat.st_size,
                      "modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stat.st_mtime))})
    return {"items": items}


# --- restore ------------------------------------------------------------------------


def restore(server: "ApiServer", body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("name", "")
    if not isinstance(name, str):
        raise errors.BadRequest(f'name must be a string, not {json.dumps(name)}')
    if name:
        if not _NAME.match(name):
            raise errors.BadRequest(f'invalid snapshot name "{name}": a file name in {snapshot_dir()}, no path')
        path = snapshot_dir() / name
        if not path.is_file():
            raise errors.NotFound(f"stat {path}: no such file or directory")
    else:
        found = snapshots()
        if not found:
            raise errors.NotFound(f"no snapshot in {snapshot_dir()}: take one first (POST {PREFIX}snapshot)")
        path = found[0]
    try:
        info = snapshot.restore(server.store, path, mark_compacted=True)
    except store_errors.SnapshotError as error:
        raise errors.BadRequest(str(error)) from None  # a bad file changed nothing
    status = server.store.status()
    _catch_up(server)
    return {**_describe(path, info), "restoredRevision": status.revision,
            "compactRevision": status.compact_revision, "keys": status.key_count}


def _catch_up(server: "ApiServer") -> None:
    """Let this process's watch hub read the new revision now, so this server's watches
    end (410) and its RBAC and CRD caches re-read before the response goes out; a hub
    that never started has no watchers and no window to drop."""
    hub = server.storage._hub()
    if getattr(hub, "tailing", False):
        hub.pull()


# --- compaction -----------------------------------------------------------------------


def compact(server: "ApiServer", body: dict[str, Any]) -> dict[str, Any]:
    revision = body.get("revision", 0)
    if isinstance(revision, str) and revision.strip().isdigit():
        revision = int(revision)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise errors.BadRequest(f"revision must be a revision number (0: the current one), not {json.dumps(revision)}")
    target = revision or server.store.revision()
    try:
        current = server.store.compact(target)
    except (store_errors.Compacted, store_errors.FutureRevision) as error:
        # etcd answers both with gRPC OutOfRange, which its JSON gateway sends as 400.
        raise errors.BadRequest(str(error)) from None
    _catch_up(server)
    return {"revision": current, "compactRevision": target}


_OPERATIONS = {
    "snapshot": ("POST", take_snapshot),
    "snapshots": ("GET", list_snapshots),
    "restore": ("POST", restore),
    "compact": ("POST", compact),
}
