"""The three PATCH flavours the API server accepts, applied to plain JSON values.

* ``apply_json_patch`` - RFC 6902 (``application/json-patch+json``);
* ``apply_merge_patch`` - RFC 7386 (``application/merge-patch+json``);
* ``apply_strategic_merge_patch`` - Kubernetes' strategic merge patch
  (``application/strategic-merge-patch+json``, what ``kubectl apply`` / ``kubectl patch``
  send by default), following apimachinery ``strategicpatch``: lists named in
  ``MERGE_KEYS`` merge element-wise by their ``patchMergeKey``, lists of scalars with
  ``patchStrategy:"merge"`` (``finalizers``) merge as sets, every other list is replaced.
  Directives: ``$patch: replace|delete`` (in maps and list elements), ``$retainKeys``,
  ``$setElementOrder/<list>``, ``$deleteFromPrimitiveList/<list>``; ``null`` deletes.

All three are pure: inputs are never mutated, a new document is returned, and failures
raise ``PatchError`` with a message the caller can put into a Status.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

JSON = Any


class PatchError(ValueError):
    """The patch cannot be applied to this document."""


# --- RFC 6901 JSON pointers --------------------------------------------------------------


def parse_pointer(pointer: str) -> list[str]:
    """"/a~1b/0" -> ["a/b", "0"]; "" is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer must be empty or start with a \"/\": {pointer!r}")
    # ~1 before ~0, so that "~01" decodes to "~1" and not "/".
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _array_index(token: str, length: int, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return length
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"Unable to access invalid index: {token}: invalid index referenced")
    index = int(token)
    if index > length or (index == length and not allow_end):
        raise PatchError(f"Unable to access invalid index: {index}: invalid index referenced")
    return index


def _parent(doc: JSON, tokens: list[str], op: str, path: str) -> JSON:
    """The container holding the last token, which must exist."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(token, len(node), allow_end=False)]
        else:
            raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    if not isinstance(node, (dict, list)):
        raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return node


def _get(doc: JSON, path: str, op: str) -> JSON:
    node = doc
    for token in parse_pointer(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(token, len(node), allow_end=False)]
        else:
            raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return node


def _add(doc: JSON, path: str, value: JSON, op: str = "add") -> JSON:
    tokens = parse_pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, op, path)
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    else:
        parent.insert(_array_index(tokens[-1], len(parent), allow_end=True), value)
    return doc


def _remove(doc: JSON, path: str, op: str = "remove") -> tuple[JSON, JSON]:
    """(document, removed value)."""
    tokens = parse_pointer(path)
    if not tokens:
        return None, doc
    parent = _parent(doc, tokens, op, path)
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise PatchError(f"Unable to remove nonexistent key: {tokens[-1]}: missing value")
        return doc, parent.pop(tokens[-1])
    return doc, parent.pop(_array_index(tokens[-1], len(parent), allow_end=False))


def json_equal(a: JSON, b: JSON) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 (Python's bool is an int)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _field(operation: Mapping[str, Any], name: str) -> Any:
    if name not in operation:
        raise PatchError(f"{operation.get('op', 'unknown')} operation missing \"{name}\" field")
    return operation[name]


def apply_json_patch(doc: JSON, ops: Iterable[Mapping[str, Any]]) -> JSON:
    """Apply RFC 6902 operations in order; any failure aborts the whole patch."""
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    result = copy.deepcopy(doc)
    for operation in ops:
        if not isinstance(operation, Mapping):
            raise PatchError("a JSON patch operation must be an object")
        op = operation.get("op")
        path = _field(operation, "path")
        if not isinstance(path, str):
            raise PatchError(f"{op} operation has a non-string path")
        if op == "add":
            result = _add(result, path, copy.deepcopy(_field(operation, "value")))
        elif op == "remove":
            result, _ = _remove(result, path)
        elif op == "replace":
            value = copy.deepcopy(_field(operation, "value"))
            _get(result, path, "replace")  # the target must exist
            tokens = parse_pointer(path)
            if not tokens:
                result = value
            else:
                parent = _parent(result, tokens, "replace", path)
                if isinstance(parent, dict):
                    parent[tokens[-1]] = value
                else:
                    parent[_array_index(tokens[-1], len(parent), allow_end=False)] = value
        elif op == "move":
            source = _field(operation, "from")
            if path != source and path.startswith(source + "/"):
                raise PatchError(f"move operation cannot move \"{source}\" into its own child \"{path}\"")
            _get(result, source, "move")
            result, value = _remove(result, source, "move")
            result = _add(result, path, value, "move")
        elif op == "copy":
            value = copy.deepcopy(_get(result, _field(operation, "from"), "copy"))
            result = _add(result, path, value, "copy")
        elif op == "test":
            expected = _field(operation, "value")
            try:
                actual = _get(result, path, "test")
            except PatchError:
                raise PatchError(f"testing value {path} failed: test failed") from None
            if not json_equal(actual, expected):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {op}")
    return result


# --- RFC 7386 merge patch ----------------------------------------------------------------


def apply_merge_patch(doc: JSON, patch: JSON) -> JSON:
    """RFC 7386: objects merge recursively, ``null`` removes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


# --- strategic merge patch: which lists merge, and by what key ---------------------------

# A merge key of "" marks a list of scalars merged as a set (patchStrategy:"merge" with no
# patchMergeKey). Lists absent from a kind's table are atomic: the patch replaces them.
# Taints and tolerations are atomic in core/v1 (no patch tags), so they are absent.
_OBJECT_META = {"finalizers": "", "ownerReferences": "uid"}
_CONTAINER = {"ports": "containerPort", "env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath"}
_POD_SPEC = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
}


def _prefixed(prefix: str, table: Mapping[str, str]) -> dict[str, str]:
    return {f"{prefix}.{path}": key for path, key in table.items()}


def _pod_spec(prefix: str) -> dict[str, str]:
    keys = _prefixed(prefix, _POD_SPEC)
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        keys.update(_prefixed(f"{prefix}.{containers}", _CONTAINER))
    return keys


def _pod_template(prefix: str) -> dict[str, str]:
    return {**_prefixed(f"{prefix}.metadata", _OBJECT_META), **_pod_spec(f"{prefix}.spec")}


_META = _prefixed("metadata", _OBJECT_META)
_CONDITIONS = {"status.conditions": "type"}
_WORKLOAD = {**_META, **_pod_template("spec.template"), **_CONDITIONS}

MERGE_KEYS: dict[str, dict[str, str]] = {
    "Pod": {**_META, **_pod_spec("spec"), **_CONDITIONS, "status.podIPs": "ip", "status.hostIPs": "ip"},
    "PodTemplate": {**_META, **_pod_template("template")},
    "Deployment": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "StatefulSet": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "ReplicationController": _WORKLOAD,
    "Job": _WORKLOAD,
    "CronJob": {
        **_META,
        **_prefixed("spec.jobTemplate.metadata", _OBJECT_META),
        **_pod_template("spec.jobTemplate.spec.template"),
    },
    "Node": {**_META, "spec.podCIDRs": "", **_CONDITIONS, "status.addresses": "type"},
    "Service": {**_META, "spec.ports": "port", **_CONDITIONS},
    "Namespace": {**_META, **_CONDITIONS},
    "ServiceAccount": {**_META, "secrets": "name"},
    # KubeViz's own kind: status conditions keyed by type, like every built-in.
    "TrainingJob": {**_META, **_pod_template("spec.template"), **_CONDITIONS},
}
_DEFAULT_MERGE_KEYS: dict[str, str] = dict(_META)

_RESOURCE_TO_KIND = {
    "pods": "Pod", "podtemplates": "PodTemplate", "deployments": "Deployment",
    "replicasets": "ReplicaSet", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet",
    "replicationcontrollers": "ReplicationController", "jobs": "Job", "cronjobs": "CronJob",
    "nodes": "Node", "services": "Service", "namespaces": "Namespace",
    "serviceaccounts": "ServiceAccount", "trainingjobs": "TrainingJob",
}


def merge_keys_for(kind_path: str) -> dict[str, str]:
    """The merge-key table for a kind: accepts "Deployment", "apps/v1/Deployment", "deployments".

    Kinds without merging lists (ConfigMap, Secret, Lease, RBAC objects...) get the
    ObjectMeta rules only, which is exactly what their Go types declare.
    """
    name = kind_path.rsplit("/", 1)[-1]
    if name in MERGE_KEYS:
        return MERGE_KEYS[name]
    kind = _RESOURCE_TO_KIND.get(name.lower()) or next((k for k in MERGE_KEYS if k.lower() == name.lower()), None)
    return MERGE_KEYS[kind] if kind else _DEFAULT_MERGE_KEYS


# --- strategic merge patch: the merge --------------------------------------------------

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"

_ATOMIC = None  # a list with no merge strategy


def _go_repr(value: JSON) -> str:
    """Roughly how Go's %v prints decoded JSON in strategicpatch errors."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_repr(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_repr(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _StrategicMerge:
    def __init__(self, merge_keys: Mapping[str, str]):
        self.merge_keys = merge_keys

    def strategy(self, path: tuple[str, ...]) -> str | None:
        return self.merge_keys.get(".".join(path), _ATOMIC)

    # maps

    def merge_map(self, original: dict | None, patch: dict, path: tuple[str, ...]) -> dict:
        patch = dict(patch)
        if DIRECTIVE in patch:
            directive = patch.pop(DIRECTIVE)
            if directive == "replace":
                return self.merge_map({}, patch, path)
            if directive == "delete":
                return {}
            if directive != "merge":  # "merge" is the default; accepted and ignored
                raise PatchError(f"unknown patch type: {directive} in map: {_go_repr(patch)}")
        result = dict(original or {})
        if RETAIN_KEYS in patch:
            self._retain_keys(result, patch)
        for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
            self._set_element_order(result, patch, key, path)
        for key in [k for k in patch if k.startswith(DELETE_FROM_PRIMITIVE_LIST)]:
            field = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            doomed = patch.pop(key)
            if not isinstance(doomed, list):
                raise PatchError("invalid patch format of primitive list")
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if not any(json_equal(v, d) for d in doomed)]
        for key, value in patch.items():
            if value is None:
                result.pop(key, None)
                continue
            child = path + (key,)
            current = result.get(key)
            if key not in result or not _same_shape(current, value):
                cleaned = self.fresh(value, child)
                if cleaned is not _ABSENT:
                    result[key] = cleaned
                else:
                    result.pop(key, None)
            elif isinstance(value, dict):
                result[key] = self.merge_map(current, value, child)
            elif isinstance(value, list):
                result[key] = self.merge_list(current, value, child)
            else:
                result[key] = copy.deepcopy(value)
        return result

    def fresh(self, value: JSON, path: tuple[str, ...]) -> JSON:
        """A patch value with nothing under it: strip directives and nulls."""
        if isinstance(value, dict):
            if value.get(DIRECTIVE) == "delete":
                return _ABSENT
            return self.merge_map({}, value, path)
        if isinstance(value, list):
            return self.merge_list([], value, path)
        return copy.deepcopy(value)

    def _retain_keys(self, result: dict, patch: dict) -> None:
        retain = patch.pop(RETAIN_KEYS)
        if not isinstance(retain, list):
            raise PatchError("invalid patch format of retainKeys")
        for key, value in patch.items():
            if value is None or key.startswith((SET_ELEMENT_ORDER, DELETE_FROM_PRIMITIVE_LIST)):
                continue
            if key not in retain:
                raise PatchError("invalid patch format of retainKeys")
        for key in list(result):
            if key not in retain:
                del result[key]

    def _set_element_order(self, result: dict, patch: dict, key: str, path: tuple[str, ...]) -> None:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise PatchError("invalid patch format of setElementOrder list")
        field = key[len(SET_ELEMENT_ORDER):]
        child = path + (field,)
        merge_key = self.strategy(child)
        original = result.get(field)
        patch_list = patch.pop(field, _ABSENT)
        if original is not None and not isinstance(original, list):
            original = None
        if patch_list is _ABSENT and original is None:
            return
        if patch_list is None:  # "field: null" next to its order list: deletion wins
            result.pop(field, None)
            return
        if patch_list is not _ABSENT and not isinstance(patch_list, list):
            raise PatchError("invalid patch format of setElementOrder list")
        if patch_list is _ABSENT:
            merged = list(original or [])
        else:
            merged = self.merge_list(original or [], patch_list, child)
        if merge_key is _ATOMIC:
            result[field] = merged
            return
        in_order = [item for item in merged if _index(order, item, merge_key) >= 0]
        server_only = [item for item in merged if _index(order, item, merge_key) < 0]
        result[field] = _normalize_order(in_order, server_only, order, original or [], merge_key)

    # lists

    def merge_list(self, original: list, patch: list, path: tuple[str, ...]) -> list:
        merge_key = self.strategy(path)
        if merge_key is _ATOMIC:
            return [self.fresh(v, path) if isinstance(v, dict) else copy.deepcopy(v) for v in patch]
        if not original and not patch:
            return list(original)
        if merge_key == "":
            merged: list = []
            for value in list(original) + list(patch):
                if not any(json_equal(value, seen) for seen in merged):
                    merged.append(copy.deepcopy(value))
            in_patch = [v for v in merged if _index(patch, v, "") >= 0]
            server_only = [v for v in merged if _index(patch, v, "") < 0]
            return _normalize_order(in_patch, server_only, patch, original, "")

        current = [copy.deepcopy(v) for v in original]
        plain: list[dict] = []
        replace = False
        for element in patch:
            if not isinstance(element, dict):
                raise PatchError(f"expected a list of objects merged by {merge_key!r} at {'.'.join(path)}")
            directive = element.get(DIRECTIVE)
            if directive is None:
                plain.append(element)
            elif directive == "delete":
                if merge_key not in element:
                    raise PatchError(_no_merge_key(element, merge_key))
                current = [v for v in current if not _key_matches(v, merge_key, element[merge_key])]
            elif directive == "replace":
                replace = True
            elif directive != "merge":
                raise PatchError(f"unknown patch type: {directive} in map: {_go_repr(element)}")
        if replace:
            return [self.merge_map({}, e, path) for e in plain]
        for element in plain:
            if merge_key not in element:
                raise PatchError(_no_merge_key(element, merge_key))
            position = next((i for i, v in enumerate(current) if _key_matches(v, merge_key, element[merge_key])), None)
            if position is None:
                current.append(self.merge_map({}, element, path))
            else:
                current[position] = self.merge_map(current[position], element, path)
        in_patch = [v for v in current if _index(plain, v, merge_key) >= 0]
        server_only = [v for v in current if _index(plain, v, merge_key) < 0]
        return _normalize_order(in_patch, server_only, plain, original, merge_key)


_ABSENT: Any = object()


def _same_shape(a: JSON, b: JSON) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list)
    return True


def _no_merge_key(element: Mapping[str, Any], merge_key: str) -> str:
    return f"map: {_go_repr(dict(element))} does not contain declared merge key: {merge_key}"


def _key_matches(item: JSON, merge_key: str, value: JSON) -> bool:
    return isinstance(item, dict) and merge_key in item and json_equal(item[merge_key], value)


def _index(items: list, item: JSON, merge_key: str) -> int:
    """Position of ``item`` in ``items``: by merge key for objects, by value for scalars."""
    for i, candidate in enumerate(items):
        if merge_key:
            if isinstance(item, dict) and merge_key in item and _key_matches(candidate, merge_key, item[merge_key]):
                return i
        elif json_equal(candidate, item):
            return i
    return -1


def _normalize_order(patch_items: list, server_only: list, patch_order: list, server_order: list, merge_key: str) -> list:
    """apimachinery's ordering: patch items in patch (or $setElementOrder) order, server-only
    items in live order, interleaved by live order where both are known; where an item is
    new to the server the patch item goes first."""

    def by(order: list):
        return lambda item: (i if (i := _index(order, item, merge_key)) >= 0 else len(order))

    left = sorted(server_only, key=by(server_order))
    right = sorted(patch_items, key=by(patch_order))
    def before(server_item: JSON, patch_item: JSON) -> bool:
        li, ri = _index(server_order, server_item, merge_key), _index(server_order, patch_item, merge_key)
        return li >= 0 and ri >= 0 and li < ri

    merged: list = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i < len(left) and (j >= len(right) or before(left[i], right[j])):
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged


def apply_strategic_merge_patch(doc: Mapping[str, Any], patch: Mapping[str, Any], kind_path: str) -> dict:
    """Apply a strategic merge patch to an object of the given kind ("Deployment", "pods"...)."""
    if not isinstance(patch, Mapping):
        raise PatchError("a strategic merge patch must be a JSON object")
    merger = _StrategicMerge(merge_keys_for(kind_path))
    return merger.merge_map(copy.deepcopy(dict(doc)), copy.deepcopy(dict(patch)), ())


def loads_patch(body: bytes | str) -> JSON:
    """Decode a PATCH body, turning a JSON syntax error into a PatchError."""
    try:
        return json.loads(body)
    except (ValueError, TypeError) as err:
        raise PatchError(f"invalid JSON in patch: {err}") from None
