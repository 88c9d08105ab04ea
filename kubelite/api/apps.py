"""apps/v1 types: ReplicaSet, Deployment, DaemonSet."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.core import PodTemplateSpec
from kubelite.api.meta import KubeObject, LabelSelector, Model, Opaque

IntOrString = int | str


class ReplicaSetSpec(Model):
    replicas: int | None = None
    minReadySeconds: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None


class ReplicaSetStatus(Model):
    replicas: int = 0
    fullyLabeledReplicas: int | None = None
    readyReplicas: int | None = None
    availableReplicas: int | None = None
    terminatingReplicas: int | None = None
    observedGeneration: int | None = None
    conditions: list[Opaque] | None = None


class ReplicaSet(KubeObject):
    spec: ReplicaSetSpec = Field(default_factory=ReplicaSetSpec)
    status: ReplicaSetStatus | None = None


class RollingUpdateDeployment(Model):
    maxUnavailable: IntOrString | None = None
    maxSurge: IntOrString | None = None


class DeploymentStrategy(Model):
    type: str | None = None
    rollingUpdate: RollingUpdateDeployment | None = None


class DeploymentSpec(Model):
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    strategy: DeploymentStrategy | None = None
    minReadySeconds: int | None = None
    revisionHistoryLimit: int | None = None
    paused: bool | None = None
    progressDeadlineSeconds: int | None = None


class DeploymentCondition(Model):
    type: str
    status: str
    lastUpdateTime: str | None = None
    lastTransitionTime: str | None = None
    reason: str | None = None
    message: str | None = None


class DeploymentStatus(Model):
    observedGeneration: int | None = None
    replicas: int | None = None
    updatedReplicas: int | None = None
    readyReplicas: int | None = None
    availableReplicas: int | None = None
    unavailableReplicas: int | None = None
    terminatingReplicas: int | None = None
    conditions: list[DeploymentCondition] | None = None
    collisionCount: int | None = None


class Deployment(KubeObject):
    spec: DeploymentSpec = Field(default_factory=DeploymentSpec)
    status: DeploymentStatus | None = None


class RollingUpdateDaemonSet(Model):
    maxUnavailable: IntOrString | None = None
    maxSurge: IntOrString | None = None


class DaemonSetUpdateStrategy(Model):
    type: str | None = None
    rollingUpdate: RollingUpdateDaemonSet | None = None


class DaemonSetSpec(Model):
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    updateStrategy: DaemonSetUpdateStrategy | None = None
    minReadySeconds: int | None = None
    revisionHistoryLimit: int | None = None


class DaemonSetStatus(Model):
    currentNumberScheduled: int = 0
    numberMisscheduled: int = 0
    desiredNumberScheduled: int = 0
    numberReady: int = 0
    observedGeneration: int | None = None
    updatedNumberScheduled: int | None = None
    numberAvailable: int | None = None
    numberUnavailable: int | None = None
    collisionCount: int | None = None
    conditions: list[Opaque] | None = None


class DaemonSet(KubeObject):
    spec: DaemonSetSpec = Field(default_factory=DaemonSetSpec)
    status: DaemonSetStatus | None = None


class ScaleSpec(Model):
    replicas: int | None = None


class ScaleStatus(Model):
    replicas: int = 0
    selector: str | None = None


class Scale(KubeObject):
    """autoscaling/v1 Scale: the scale subresource's view of a workload."""

    spec: ScaleSpec = Field(default_factory=ScaleSpec)
    status: ScaleStatus | None = None
