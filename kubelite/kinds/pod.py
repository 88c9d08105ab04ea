"""v1 Pod: the unit everything else runs. Its strategy starts it Pending with
its QoS class and deletes a bound, running pod gracefully (the node agent
stops it, then removes it); pods/binding assigns it to a node (the
scheduler), pods/eviction deletes it unless a PodDisruptionBudget forbids it
(kubectl drain), pods/log streams its output."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import core, options
from kubelite.api.defaults import default_pod
from kubelite.api.errors import InvalidObject
from kubelite.api.kind import Kind, Objects, Strategy, Subresource, now_rfc3339, status_subresource
from kubelite.api.printers import POD_PRINTER
from kubelite.api.validation import pod_update, validate_pod
from kubelite.errors import BadRequest, Conflict
from kubelite.kinds import poddisruptionbudget

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


def qos_class(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = limits_all = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        requests_any = requests_any or bool(requests) or bool(limits)
        for resource in ("cpu", "memory"):
            if resource not in limits or requests.get(resource, limits[resource]) != limits[resource]:
                guaranteed = False
        limits_all = limits_all or bool(limits)
    if containers and guaranteed and limits_all:
        return "Guaranteed"
    return "Burstable" if requests_any else "BestEffort"


class PodStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Pending", "qosClass": qos_class(obj)}

    def grace_period(self, obj: Obj, requested: int | None) -> int | None:
        """Only a pod that a node agent may be running needs it to stop first."""
        bound = bool((obj.get("spec") or {}).get("nodeName"))
        finished = (obj.get("status") or {}).get("phase") in TERMINAL
        if not bound or finished or requested == 0:
            return None
        if requested is not None:
            return requested
        return int((obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30))


def _bind(request: Any, pod: Obj) -> Obj:
    """pods/binding: the Binding names the node; the pod must be unassigned."""
    binding = request.body or {}
    target = binding.get("target") if isinstance(binding.get("target"), dict) else {}
    node = target.get("name") if isinstance(target.get("name"), str) else ""
    if not node:
        raise BadRequest("Binding target.name (the node) is required")
    meta = binding.get("metadata") if isinstance(binding.get("metadata"), dict) else {}
    uid = meta.get("uid")
    name = request.name
    if uid and uid != pod["metadata"].get("uid"):
        raise Conflict(f"Operation cannot be fulfilled on pods/binding \"{name}\": Precondition failed: UID in "
                       f"precondition: {uid}, UID in object meta: {pod['metadata'].get('uid')}",
                       kind="pods", name=name)
    if pod["metadata"].get("deletionTimestamp"):
        raise Conflict(f"pod {name} is being deleted, cannot be assigned to a host", kind="pods", name=name)
    assigned = (pod.get("spec") or {}).get("nodeName")
    if assigned:
        raise Conflict(f'pod {name} is already assigned to node "{assigned}"', kind="pods", name=name)
    bound = copy.deepcopy(pod)
    bound["spec"]["nodeName"] = node
    status = bound.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                       "lastTransitionTime": now_rfc3339()})
    status["conditions"] = conditions
    request.note(f'pod {request.namespace}/{name} -> node "{node}"')
    return bound


def _eviction(request: Any, pod: Obj) -> Obj:
    """pods/eviction (kubectl drain): a policy/v1 Eviction naming the pod,
    whose deleteOptions say how to delete it; the pod is what is written."""
    body = request.body if isinstance(request.body, dict) else None
    if body is None or body.get("kind") != "Eviction" or body.get("apiVersion") not in ("policy/v1", "policy/v1beta1"):
        raise BadRequest("the request body must be a policy/v1 Eviction")
    try:
        eviction = options.parse_options(options.Eviction, body)
    except InvalidObject as err:
        raise BadRequest(f"Eviction is invalid: {err.causes[0]}") from None
    if eviction.metadata.name not in (None, request.name):
        raise BadRequest(f"name in URL does not match name in Eviction object ({eviction.metadata.name} vs "
                         f"{request.name})")
    delete = eviction.deleteOptions or options.DeleteOptions()
    if delete.gracePeriodSeconds is not None and delete.gracePeriodSeconds < 0:
        raise BadRequest("Eviction.deleteOptions.gracePeriodSeconds: must not be negative")
    preconditions = delete.preconditions or options.Preconditions()
    request.options.update({
        "grace_period_seconds": delete.gracePeriodSeconds, "precondition_uid": preconditions.uid or "",
        "precondition_resource_version": preconditions.resourceVersion or "",
        "dry_run": request.options.get("dry_run", False) or bool(delete.dryRun)})
    return pod


async def _evict(request: Any, objects: Objects) -> Obj:
    pod = request.current
    phase = (pod.get("status") or {}).get("phase")
    if phase not in TERMINAL and not (pod.get("metadata") or {}).get("deletionTimestamp"):
        # a pod that has finished, or is already going, disrupts nothing
        budgets = await objects.list(poddisruptionbudget.KIND, request.namespace)
        granted = poddisruptionbudget.grant_eviction(budgets, pod)  # raises TooManyRequests
        if granted is not None and not request.options.get("dry_run"):
            await objects.update_status(poddisruptionbudget.KIND, granted)
            request.note(f"PodDisruptionBudget {granted['metadata']['name']} allows it")
    if request.options.get("dry_run"):
        request.note("dry run: not evicted")
    else:
        await objects.delete()
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


STRATEGY = PodStrategy(has_status=True, fields=frozenset({
    "spec.nodeName", "spec.schedulerName", "status.phase", "spec.restartPolicy", "spec.serviceAccountName",
    "status.podIP", "status.nominatedNodeName"}))
KIND = Kind("", "v1", "Pod", "pods", True, core.Pod, short_names=("po",), categories=("all",), strategy=STRATEGY,
            defaults=default_pod, validate=validate_pod, validate_update=pod_update, printer=POD_PRINTER,
            subresources=(
                status_subresource(STRATEGY),
                Subresource("binding", "Binding", ("create",), create=_bind),
                Subresource("eviction", "Eviction", ("create",), "policy", "v1", create=_eviction, act=_evict),
                Subresource("log", "Pod", ("get",)),
            ))
