"""ObjectMeta and the common base of every kubelite API object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Opaque = dict[str, Any]  # a nested structure kubelite stores but does not interpret


class Model(BaseModel):
    """Kubernetes JSON field names, unknown fields refused, no silent coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class OwnerReference(Model):
    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    blockOwnerDeletion: bool | None = None


class ObjectMeta(Model):
    name: str | None = None
    generateName: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resourceVersion: str | None = None
    generation: int | None = None
    creationTimestamp: str | None = None
    deletionTimestamp: str | None = None
    deletionGracePeriodSeconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    ownerReferences: list[OwnerReference] | None = None
    finalizers: list[str] | None = None
    managedFields: list[Opaque] | None = None


class LabelSelectorRequirement(Model):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(Model):
    matchLabels: dict[str, str] | None = None
    matchExpressions: list[LabelSelectorRequirement] | None = None


class KubeObject(Model):
    apiVersion: str
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
