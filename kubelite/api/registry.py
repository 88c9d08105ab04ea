"""Which kinds exist: the definitions of `kubelite/kinds/`, collected, and the
lookups kubectl-style names need ("po", "pods", "Pod", "deploy",
"leases.coordination.k8s.io"). The kind modules are loaded on first use, so
that they may import the rest of kubelite.api freely."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from kubelite.api.errors import UnknownResource
from kubelite.api.kind import Kind

ResourceInfo = Kind  # the name most of kubelite knows a kind by
RBAC = "rbac.authorization.k8s.io"


@cache
def _load() -> tuple[tuple[Kind, ...], dict[tuple[str, str], Kind], dict[str, Kind]]:
    from kubelite.kinds import KIND_MODULES

    kinds: list[Kind] = []
    for name in KIND_MODULES:
        module = importlib.import_module(f"kubelite.kinds.{name}")
        kinds += list(getattr(module, "KINDS", None) or (module.KIND,))
    by_kind = {(k.api_version, k.kind): k for k in kinds}
    by_name: dict[str, Kind] = {}
    for info in kinds:
        for alias in (info.resource, info.singular, info.kind, *info.short_names,
                      f"{info.resource}.{info.group}" if info.group else info.resource):
            by_name.setdefault(alias.lower(), info)
    return tuple(kinds), by_kind, by_name


def all_kinds() -> tuple[Kind, ...]:
    return _load()[0]


def __getattr__(name: str) -> Any:
    if name == "ALL_RESOURCES":
        return _load()[0]
    if name == "REVIEWS":  # the resources that are answered, never stored
        return frozenset(k.resource for k in _load()[0] if not k.stored)
    raise AttributeError(name)


def resource_for_kind(api_version: str, kind: str) -> Kind | None:
    return _load()[1].get((api_version, kind))


def resource_by_name(name: str) -> Kind:
    """"pods", "pod", "po", "Pod", "leases.coordination.k8s.io" -> the kind.
    Raises UnknownResource (kubectl's wording) for an unknown name."""
    info = _load()[2].get(name.lower())
    if info is None:
        raise UnknownResource(name)
    return info


def in_category(category: str) -> list[Kind]:
    """The kinds `kubectl get <category>` lists ("all")."""
    return [k for k in _load()[0] if category in k.categories]
