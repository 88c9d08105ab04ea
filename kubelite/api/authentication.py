"""authentication.k8s.io/v1: SelfSubjectReview, the question "who am I?"
(`kubelite auth whoami`). Never stored: the API server answers with the user
the request was authenticated (or impersonated) as."""

from __future__ import annotations

from kubelite.api.meta import KubeObject, Model


class UserInfo(Model):
    username: str | None = None
    uid: str | None = None
    groups: list[str] | None = None
    extra: dict[str, list[str]] | None = None


class SelfSubjectReviewStatus(Model):
    userInfo: UserInfo | None = None


class SelfSubjectReview(KubeObject):
    status: SelfSubjectReviewStatus | None = None
