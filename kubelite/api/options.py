"""The kinds a request carries that are never stored: DeleteOptions (a
DELETE's body) and the subresource bodies Binding (pods/binding) and
Eviction (pods/eviction). One definition each, used to validate what a
client sends and to describe it in the OpenAPI documents."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from kubelite.api import core
from kubelite.api.errors import InvalidObject
from kubelite.api.meta import KubeObject, Model

M = TypeVar("M", bound=BaseModel)


class Preconditions(Model):
    uid: str | None = None
    resourceVersion: str | None = None


class DeleteOptions(Model):
    apiVersion: str | None = None
    kind: str | None = None
    gracePeriodSeconds: int | None = None
    preconditions: Preconditions | None = None
    orphanDependents: bool | None = None
    propagationPolicy: str | None = None
    dryRun: list[str] | None = None


class Binding(KubeObject):
    target: core.ObjectReference


class Eviction(KubeObject):
    deleteOptions: DeleteOptions | None = None


def parse_options(model: type[M], data: object) -> M:
    """`data` as `model`: unknown fields and wrong types refused with every
    field path, as InvalidObject (the caller words it for its transport)."""
    from kubelite.api.validation import causes_of

    if not isinstance(data, dict):
        raise InvalidObject(model.__name__, "", causes_of(None, f"a {model.__name__} must be an object"))
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InvalidObject(model.__name__, "", causes_of(err)) from None
