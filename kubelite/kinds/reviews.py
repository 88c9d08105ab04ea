"""The reviews: kinds the API server answers and never stores.
SelfSubjectAccessReview ("may I?", `auth can-i`), SelfSubjectRulesReview
("what may I do here?", `auth can-i --list`) and SelfSubjectReview ("who am
I?", `auth whoami`), answered from the request's user and the authorizer."""

from __future__ import annotations

from typing import Any

from kubelite.api import authentication, authorization
from kubelite.api.kind import Kind

Obj = dict[str, Any]


async def _access(request: Any, services: Any) -> Obj:
    result: Obj = await services.authorizer.review(request.user, request.obj)
    request.note(f"answered, not stored: allowed={result['status']['allowed']}")
    return result


async def _rules(request: Any, services: Any) -> Obj:
    result: Obj = services.authorizer.rules_review(request.user, request.obj)
    request.note(f"answered, not stored: {len(result['status']['resourceRules'])} resource rules")
    return result


async def _whoami(request: Any, services: Any) -> Obj:
    user = request.user
    request.note(f'answered, not stored: user "{user.name}"')
    return {**request.obj, "status": {"userInfo": {
        "username": user.name, **({"uid": user.uid} if user.uid else {}), "groups": list(user.groups)}}}


KINDS = (
    Kind("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False,
         authorization.SelfSubjectAccessReview, answer=_access),
    Kind("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False,
         authorization.SelfSubjectRulesReview, answer=_rules),
    Kind("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False,
         authentication.SelfSubjectReview, answer=_whoami),
)
