"""coordination.k8s.io/v1: Lease, the heartbeat of nodes and the lock of leader election."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.meta import KubeObject, Model


class LeaseSpec(Model):
    holderIdentity: str | None = None
    leaseDurationSeconds: int | None = None
    acquireTime: str | None = None
    renewTime: str | None = None
    leaseTransitions: int | None = None


class Lease(KubeObject):
    spec: LeaseSpec = Field(default_factory=LeaseSpec)
