"""What a kind is, in one place: the shape every kind module in `kubelite/kinds/`
fills in, as kube-apiserver's registry defines a kind once (its Go type, its
defaulting and validation functions, its REST strategy and storage).

A `Kind` holds the kind's identity (group, version, kind, plural resource,
scope, short names, categories), its typed model, its defaults and validation
(create and update), its strategy (status subresource, generation, field
selectors, how deletion works), its subresources, its printer columns and, for
the kinds that are answered and never stored (the reviews), how to answer.
The generic stages of the API server, the CLI and the controllers look a kind
up and never name one.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kubelite.api.errors import FieldError
from kubelite.api.meta import KubeObject
from kubelite.api.names import dns1123_subdomain

if TYPE_CHECKING:
    from kubelite.api.printers import Printer

Obj = dict[str, Any]
COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_of(obj: Obj) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Strategy:
    """How the generic store treats a kind (kube-apiserver's RESTCreateStrategy,
    RESTUpdateStrategy and RESTDeleteStrategy in one). Kinds subclass it to
    override a hook; the defaults are what a plain kind gets."""

    def __init__(self, has_status: bool = False, fields: frozenset[str] = frozenset()) -> None:
        self.has_status = has_status
        self.fields = COMMON_FIELDS | fields

    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status:
            obj["status"] = self.initial_status(obj)

    def initial_status(self, obj: Obj) -> Obj:
        status: Obj = obj.get("status") or {}
        return status

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """Carry over what a client may not change through a plain update;
        generation counts changes outside metadata and status."""
        new_meta, old_meta = new.setdefault("metadata", {}), old.get("metadata", {})
        for name in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if name in old_meta:
                new_meta[name] = old_meta[name]
            else:
                new_meta.pop(name, None)
        if self.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if _spec_of(new) != _spec_of(old):
            new_meta["generation"] = int(old_meta.get("generation", 1)) + 1
        else:
            new_meta["generation"] = old_meta.get("generation", 1)

    def prepare_for_status_update(self, current: Obj, status: Obj | None) -> Obj:
        """The stored object with only .status taken from the request."""
        new = copy.deepcopy(current)
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = copy.deepcopy(status)
        return new

    # ---------------------------------------------------------------- deletion
    def grace_period(self, obj: Obj, requested: int | None) -> int | None:
        """Seconds the object stays (marked with deletionTimestamp) so that
        whoever runs it can stop it first; None: it may go at once."""
        return None

    def pending_finalizers(self, obj: Obj) -> list[str]:
        """What must still happen before a marked object may be removed."""
        return list((obj.get("metadata") or {}).get("finalizers") or [])

    def mark_deleting(self, obj: Obj) -> None:
        """Kind-specific changes when deletion starts (a namespace turns Terminating)."""


class Objects(Protocol):
    """What a subresource's `act` hook may do with stored objects (the API
    server's store stage provides it)."""

    async def list(self, kind: Kind, namespace: str) -> list[Obj]: ...

    async def update_status(self, kind: Kind, obj: Obj) -> Obj:
        """Write `obj`'s status if it is still at its resourceVersion (else Conflict)."""
        ...

    async def delete(self) -> Obj:
        """Delete the request's object as a plain delete with the request's options would."""
        ...


@dataclass(frozen=True)
class Subresource:
    """One subresource (`pods/binding`, `deployments/scale`, ...).

    `view` turns the stored object into what the subresource shows (a Scale);
    `merge` puts what a client wrote to the subresource back into the stored
    object (only its fields: replicas, status); `create` computes the object
    to store from a create on the subresource (a Binding sets spec.nodeName);
    `act` does a create that changes something else (an Eviction deletes the
    pod), answering a Status. Each hook is optional: a subresource without a
    `view` serves the stored object."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str | None = None    # the response kind's group and version, when not the resource's
    version: str | None = None
    view: Callable[[Obj], Obj] | None = None
    merge: Callable[[Obj, Obj], Obj] | None = None
    create: Callable[[Any, Obj], Obj] | None = None
    act: Callable[[Any, Objects], Awaitable[Obj]] | None = None
    checks_update_rules: bool = False  # True: the plain-update immutability rules apply to it too


@dataclass(frozen=True, eq=False)
class Kind:
    """A kind, defined once. Compared by identity: there is one of each."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    model: type[KubeObject]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    strategy: Strategy = field(default_factory=Strategy)
    defaults: Callable[[Any], None] | None = None
    validate: Callable[[Any], list[FieldError]] | None = None
    validate_update: Callable[[Any, Any], list[FieldError]] | None = None
    name_rule: Callable[[str], str | None] = dns1123_subdomain
    subresources: tuple[Subresource, ...] = ()
    printer: Printer | None = None
    # kinds that are answered, never stored (SelfSubjectAccessReview, ...):
    # answer(request, services) -> the review with its status
    answer: Callable[[Any, Any], Any] | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def stored(self) -> bool:
        return self.answer is None

    def subresource(self, name: str) -> Subresource | None:
        return next((s for s in self.subresources if s.name == name), None)

    def __repr__(self) -> str:
        return f"Kind({self.api_version}/{self.kind})"


def status_subresource(strategy: Strategy) -> Subresource:
    """The status subresource: writes change only .status."""
    return Subresource("status", "", ("get", "patch", "update"),
                       merge=lambda current, obj: strategy.prepare_for_status_update(current, obj.get("status")))
