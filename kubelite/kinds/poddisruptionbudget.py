"""policy/v1 PodDisruptionBudget: how many of a set of pods voluntary
disruptions (evictions, kubectl drain) may take down at once. The disruption
controller keeps its status; `grant_eviction` is what pods/eviction asks."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import policy
from kubelite.api.errors import FieldError, not_supported
from kubelite.api.kind import Kind, Strategy, now_rfc3339, status_subresource
from kubelite.api.labels import matches
from kubelite.api.printers import AGE, NAME, Column, Printer, created_age, name_of
from kubelite.errors import InternalError, TooManyRequests
from kubelite.kinds.deployment import int_or_percent

Obj = dict[str, Any]


POLICIES = ["AlwaysAllow", "IfHealthyBudget"]


def _validate(pdb: policy.PodDisruptionBudget) -> list[FieldError]:
    spec = pdb.spec
    causes = [*([not_supported("spec.unhealthyPodEvictionPolicy", spec.unhealthyPodEvictionPolicy, POLICIES)]
                if spec.unhealthyPodEvictionPolicy not in (None, *POLICIES) else []),
              *int_or_percent("spec.minAvailable", spec.minAvailable),
              *int_or_percent("spec.maxUnavailable", spec.maxUnavailable)]
    if spec.minAvailable is not None and spec.maxUnavailable is not None:
        causes.append(FieldError("spec", "FieldValueInvalid",
                                 "Invalid value: minAvailable and maxUnavailable cannot be both set"))
    return causes


def grant_eviction(budgets: list[Obj], pod: Obj) -> Obj | None:
    """The budget covering `pod` with one disruption taken (to be written
    back), None when no budget covers it; TooManyRequests when its budget
    allows no disruption now, as kube-apiserver's eviction REST answers."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    covering = [b for b in budgets if matches((b.get("spec") or {}).get("selector"), labels)]
    if not covering:
        return None
    if len(covering) > 1:
        raise InternalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does "
                            "not support.")
    budget = copy.deepcopy(covering[0])
    status = budget.get("status") or {}
    name = budget["metadata"]["name"]
    if _running_unready(pod):
        # spec.unhealthyPodEvictionPolicy: an unready pod disrupts nothing that is healthy
        policy = (budget.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
        if policy == "AlwaysAllow" or int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy")
                                                                                     or 0):
            return None
    if (status.get("observedGeneration") or 0) < (budget["metadata"].get("generation") or 1):
        raise TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", causes=[
            {"reason": "DisruptionBudget", "message": f"The disruption budget {name} is still being processed by "
             "the server."}])
    allowed = int(status.get("disruptionsAllowed") or 0)
    if allowed <= 0:
        raise TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", causes=[
            {"reason": "DisruptionBudget", "message": f"The disruption budget {name} needs "
             f"{status.get('desiredHealthy', 0)} healthy pods and has {status.get('currentHealthy', 0)} "
             "currently"}])
    status["disruptionsAllowed"] = allowed - 1
    status.setdefault("disruptedPods", {})[pod["metadata"]["name"]] = now_rfc3339()
    budget["status"] = status
    return budget


def _running_unready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return status.get("phase") == "Running" and not ready


def _shown(value: Any) -> str:
    return "N/A" if value is None else str(value)


def _cells(pdb: Obj) -> list[Any]:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    return [name_of(pdb), _shown(spec.get("minAvailable")), _shown(spec.get("maxUnavailable")),
            int(status.get("disruptionsAllowed") or 0), created_age(pdb)]


PRINTER = Printer((NAME, Column("Min Available", "string", "", "spec.minAvailable."),
                   Column("Max Unavailable", "string", "", "spec.maxUnavailable."),
                   Column("Allowed Disruptions", "integer", "", "How many pods may be evicted now."), AGE), _cells)
STRATEGY = Strategy(has_status=True)
KIND = Kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, policy.PodDisruptionBudget,
            short_names=("pdb",), strategy=STRATEGY, validate=_validate, printer=PRINTER,
            subresources=(status_subresource(STRATEGY),))
