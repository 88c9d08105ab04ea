"""policy/v1 types: PodDisruptionBudget."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.meta import KubeObject, LabelSelector, Model, Opaque

IntOrString = int | str


class PodDisruptionBudgetSpec(Model):
    minAvailable: IntOrString | None = None
    maxUnavailable: IntOrString | None = None
    selector: LabelSelector | None = None
    unhealthyPodEvictionPolicy: str | None = None


class PodDisruptionBudgetStatus(Model):
    observedGeneration: int | None = None
    disruptedPods: dict[str, str] | None = None
    disruptionsAllowed: int = 0
    currentHealthy: int = 0
    desiredHealthy: int = 0
    expectedPods: int = 0
    conditions: list[Opaque] | None = None


class PodDisruptionBudget(KubeObject):
    spec: PodDisruptionBudgetSpec = Field(default_factory=PodDisruptionBudgetSpec)
    status: PodDisruptionBudgetStatus | None = None
