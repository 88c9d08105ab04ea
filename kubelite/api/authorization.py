"""authorization.k8s.io/v1: SelfSubjectAccessReview, the question "may I?"
(`kubelite auth can-i`), and SelfSubjectRulesReview, "what may I do here?"
(`kubectl auth can-i --list`). Never stored: the API server answers it from the
same authorizer that judges every request."""

from __future__ import annotations

from pydantic import Field

from kubelite.api.meta import KubeObject, Model


class ResourceAttributes(Model):
    namespace: str | None = None
    verb: str | None = None
    group: str | None = None
    version: str | None = None
    resource: str | None = None
    subresource: str | None = None
    name: str | None = None


class NonResourceAttributes(Model):
    path: str | None = None
    verb: str | None = None


class SelfSubjectAccessReviewSpec(Model):
    resourceAttributes: ResourceAttributes | None = None
    nonResourceAttributes: NonResourceAttributes | None = None


class SubjectAccessReviewStatus(Model):
    allowed: bool = False
    denied: bool | None = None
    reason: str | None = None
    evaluationError: str | None = None


class SelfSubjectAccessReview(KubeObject):
    spec: SelfSubjectAccessReviewSpec = Field(default_factory=SelfSubjectAccessReviewSpec)
    status: SubjectAccessReviewStatus | None = None


class SelfSubjectRulesReviewSpec(Model):
    namespace: str | None = None


class ResourceRule(Model):
    verbs: list[str]
    apiGroups: list[str] | None = None
    resources: list[str] | None = None
    resourceNames: list[str] | None = None


class NonResourceRule(Model):
    verbs: list[str]
    nonResourceURLs: list[str] | None = None


class SubjectRulesReviewStatus(Model):
    resourceRules: list[ResourceRule] = Field(default_factory=list)
    nonResourceRules: list[NonResourceRule] = Field(default_factory=list)
    incomplete: bool = False
    evaluationError: str | None = None


class SelfSubjectRulesReview(KubeObject):
    spec: SelfSubjectRulesReviewSpec = Field(default_factory=SelfSubjectRulesReviewSpec)
    status: SubjectRulesReviewStatus | None = None
