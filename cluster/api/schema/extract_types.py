"""Regenerate ``types.json``, the Kubernetes type table, from the pinned kubectl.

kubectl is a Go program, and a Go binary keeps its types' run-time descriptions:
every struct field's Go name and tag (``json:"replicas,omitempty"
protobuf:"varint,1,opt,name=replicas" patchStrategy:"merge"``) and its type.
Those tags are the API's wire contract — JSON names, protobuf field numbers,
strategic-merge patch keys — so this tool walks the API structs KubeViz serves
(from their root kinds) and writes them out as data:

    python -m cluster.api.schema.extract_types .venv/bin/kubectl > cluster/api/schema/types.json

It reads an ELF64 little-endian binary built by Go ≥ 1.21 (``abi.Type`` layout).
"""
from __future__ import annotations

import json
import re
import struct
import sys
from typing import Any

# The kinds KubeViz serves (and the option types kubectl sends), by Go package.
ROOTS: list[tuple[str, str, str, str]] = [  # (package, type, group, version)
    ("k8s.io/api/core/v1", t, "", "v1") for t in (
        "Namespace", "Node", "Pod", "Service", "Endpoints", "Event", "ConfigMap", "Secret", "ServiceAccount",
        "Binding")
] + [
    ("k8s.io/api/apps/v1", "Deployment", "apps", "v1"),
    ("k8s.io/api/apps/v1", "ReplicaSet", "apps", "v1"),
    ("k8s.io/api/batch/v1", "Job", "batch", "v1"),
    ("k8s.io/api/coordination/v1", "Lease", "coordination.k8s.io", "v1"),
    *[("k8s.io/api/rbac/v1", t, "rbac.authorization.k8s.io", "v1")
      for t in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")],
    ("k8s.io/api/authorization/v1", "SelfSubjectAccessReview", "authorization.k8s.io", "v1"),
    ("k8s.io/api/authorization/v1", "SelfSubjectRulesReview", "authorization.k8s.io", "v1"),
    ("k8s.io/api/authentication/v1", "TokenRequest", "authentication.k8s.io", "v1"),
    ("k8s.io/api/authentication/v1", "SelfSubjectReview", "authentication.k8s.io", "v1"),
    ("k8s.io/api/policy/v1", "Eviction", "policy", "v1"),
    ("k8s.io/api/autoscaling/v1", "Scale", "autoscaling", "v1"),
    ("k8s.io/apimachinery/pkg/apis/meta/v1", "DeleteOptions", "", "v1"),
]
# Types with their own (non-struct) wire and JSON forms.
SPECIAL = {
    "k8s.io/apimachinery/pkg/apis/meta/v1.Time": "time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": "time",
    "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": "duration",
    "k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1": "raw",
    "k8s.io/apimachinery/pkg/runtime.RawExtension": "raw",
    "k8s.io/apimachinery/pkg/api/resource.Quantity": "quantity",
    "k8s.io/apimachinery/pkg/util/intstr.IntOrString": "intorstring",
}
_SCALARS = {1: "bool", 2: "int64", 3: "int32", 4: "int32", 5: "int32", 6: "int64", 7: "uint64", 8: "uint32",
            9: "uint32", 10: "uint32", 11: "uint64", 13: "float", 14: "double", 24: "string"}
STRUCT, PTR, SLICE, MAP, ARRAY, INTERFACE = 25, 22, 23, 21, 17, 20


class GoBinary:
    def __init__(self, data: bytes) -> None:
        self.data = data
        shoff, = struct.unpack_from("<Q", data, 0x28)
        entsize, count, strndx = struct.unpack_from("<HHH", data, 0x3A)
        raw = [struct.unpack_from("<IIQQQQ", data, shoff + i * entsize) for i in range(count)]
        names_at = raw[strndx][4]
        self.sections = {data[names_at + r[0]:].split(b"\0", 1)[0].decode(): r for r in raw}
        _, _, _, self.types_base, self.rodata_off, self.rodata_size = self.sections[".rodata"]
        self._mapped = [(r[3], r[4], r[5]) for r in raw if r[3] and r[1] != 8]

    def off(self, va: int) -> int:
        for addr, offset, size in self._mapped:
            if addr <= va < addr + size:
                return offset + va - addr
        raise ValueError(f"address {va:#x} is not mapped")

    def u64(self, va: int) -> int:
        return struct.unpack_from("<Q", self.data, self.off(va))[0]

    def i32(self, va: int) -> int:
        return struct.unpack_from("<i", self.data, self.off(va))[0]

    def u8(self, va: int) -> int:
        return self.data[self.off(va)]

    def _varint(self, off: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = self.data[off]
            off += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, off

    def name(self, va: int) -> tuple[str, str, int]:
        """(name, tag, flags) of an ``abi.Name``."""
        off = self.off(va)
        flags = self.data[off]
        length, off = self._varint(off + 1)
        text = self.data[off:off + length].decode(errors="replace")
        tag = ""
        if flags & 2:
            tag_length, off = self._varint(off + length)
            tag = self.data[off:off + tag_length].decode(errors="replace")
        return text, tag, flags

    def kind(self, t: int) -> int:
        return self.u8(t + 23) & 0x1F

    def type_name(self, t: int) -> str:
        text, _, _ = self.name(self.types_base + self.i32(t + 40))
        return text[1:] if self.u8(t + 20) & 2 else text

    def pkg_path(self, t: int) -> str:
        if not self.u8(t + 20) & 1:  # no uncommon type: unnamed
            return ""
        uncommon = {STRUCT: 80, PTR: 56, SLICE: 56, MAP: 88}.get(self.kind(t), 48)
        offset = self.i32(t + uncommon)
        return self.name(self.types_base + offset)[0] if offset else ""

    def qualified(self, t: int) -> str:
        return f"{self.pkg_path(t)}.{self.type_name(t).split('.', 1)[-1]}"

    def fields(self, t: int) -> list[tuple[str, str, int, bool]]:
        pointer, count = self.u64(t + 56), self.u64(t + 64)
        result = []
        for i in range(count):
            name_va, field_type, _ = struct.unpack_from("<QQQ", self.data, self.off(pointer + 24 * i))
            name, tag, flags = self.name(name_va)
            result.append((name, tag, field_type, bool(flags & 8)))
        return result

    def find_struct(self, package: str, name: str) -> int:
        want = f"*{package.rsplit('/', 1)[-1]}.{name}".encode()
        rodata = self.data[self.rodata_off:self.rodata_off + self.rodata_size]
        for match in re.finditer(re.escape(bytes([len(want)]) + want), rodata):
            name_off = match.start() - 1
            for ref in re.finditer(re.escape(struct.pack("<i", name_off)), rodata):
                if (ref.start() - 40) % 8:
                    continue
                t = self.types_base + ref.start() - 40
                try:
                    if self.kind(t) == STRUCT and self.pkg_path(t) == package:
                        return t
                except (ValueError, struct.error, IndexError):
                    continue
        raise LookupError(f"{package}.{name} not found")


def openapi_name(qualified: str) -> str:
    """``k8s.io/api/apps/v1.Deployment`` → ``io.k8s.api.apps.v1.Deployment``."""
    package, name = qualified.rsplit(".", 1)
    host, _, path = package.partition("/")
    return ".".join([*reversed(host.split(".")), *path.split("/"), name])


def _tag(tag: str, key: str) -> str:
    match = re.search(rf'(?:^|\s){key}:"([^"]*)"', tag)
    return match.group(1) if match else ""


class Extractor:
    def __init__(self, binary: GoBinary) -> None:
        self.binary = binary
        self.types: dict[str, dict[str, Any]] = {}

    def describe(self, t: int) -> Any:
        b = self.binary
        kind = b.kind(t)
        if kind == PTR:
            return self.describe(b.u64(t + 48))
        if kind == SLICE:
            elem = b.u64(t + 48)
            if b.kind(elem) == 8:  # []byte
                return "bytes"
            return {"list": self.describe(elem)}
        if kind == MAP:
            return {"map": self.describe(b.u64(t + 56))}
        if kind == STRUCT:
            qualified = b.qualified(t)
            if qualified in SPECIAL:
                return SPECIAL[qualified]
            self.walk(t)
            return {"ref": openapi_name(qualified)}
        if kind == INTERFACE:
            return "object"
        return _SCALARS.get(kind, "object")

    def walk(self, t: int) -> str:
        b = self.binary
        name = openapi_name(b.qualified(t))
        if name in self.types:
            return name
        entry: dict[str, Any] = {"fields": []}
        self.types[name] = entry
        for go_name, tag, field_type, embedded in b.fields(t):
            json_tag = _tag(tag, "json") if 'json:"' in tag else go_name
            json_name, *options = json_tag.split(",")
            if json_name == "-":
                continue
            if embedded and not json_name:
                inner = b.u64(field_type + 48) if b.kind(field_type) == PTR else field_type
                if b.qualified(inner).endswith("meta/v1.TypeMeta"):
                    entry["typeMeta"] = True
                    continue
                protobuf = _tag(tag, "protobuf").split(",")
                number = int(protobuf[1]) if len(protobuf) > 1 and protobuf[1].isdigit() else 0
                entry.setdefault("inline", []).append({"type": self.walk(inner), "pb": number})
                continue
            protobuf = _tag(tag, "protobuf").split(",")
            number = int(protobuf[1]) if len(protobuf) > 1 and protobuf[1].isdigit() else 0
            field: dict[str, Any] = {"name": json_name, "type": self.describe(field_type)}
            if number:
                field["pb"] = number
            if "omitempty" in options or "omitzero" in options:
                field["omitempty"] = True
            if _tag(tag, "patchStrategy"):
                field["patchStrategy"] = _tag(tag, "patchStrategy")
            if _tag(tag, "patchMergeKey"):
                field["patchMergeKey"] = _tag(tag, "patchMergeKey")
            entry["fields"].append(field)
        return name


def extract(path: str) -> dict[str, Any]:
    binary = GoBinary(open(path, "rb").read())
    extractor = Extractor(binary)
    roots = {}
    for package, name, group, version in ROOTS:
        roots[extractor.walk(binary.find_struct(package, name))] = {"group": group, "version": version,
                                                                      "kind": name}
    return {"roots": roots, "types": dict(sorted(extractor.types.items()))}


if __name__ == "__main__":
    json.dump(extract(sys.argv[1] if len(sys.argv) > 1 else ".venv/bin/kubectl"), sys.stdout,
              separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")
