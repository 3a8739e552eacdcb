"""The built-in kinds KubeViz serves, each with its Strategy."""
from __future__ import annotations

from ..registry import Registry, ResourceType
from . import apps, authorization, control, core, custom, endpointslices


def builtin_types() -> list[ResourceType]:
    return (core.types() + apps.types() + control.types() + custom.types() + authorization.types()
            + endpointslices.types())


def new_registry() -> Registry:
    registry = Registry()
    for rt in builtin_types():
        registry.add(rt)
    return registry
