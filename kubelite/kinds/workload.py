"""What the workload kinds (ReplicaSet, Deployment, DaemonSet, Job) share:
their pod template's defaults and validation, the selector that must select
the template's labels, and the scale subresource (autoscaling/v1 Scale)."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import core
from kubelite.api.defaults import default_pod_spec
from kubelite.api.errors import FieldError, invalid, required
from kubelite.api.kind import Subresource
from kubelite.api.labels import matches, to_text
from kubelite.api.meta import LabelSelector
from kubelite.api.names import label_value, qualified_name
from kubelite.api.validation import validate_pod_spec
from kubelite.errors import BadRequest

Obj = dict[str, Any]


def default_template(template: core.PodTemplateSpec | None) -> None:
    if template is not None:
        default_pod_spec(template.spec)


def validate_selector(selector: LabelSelector | None, template: core.PodTemplateSpec | None,
                      root: str = "spec") -> list[FieldError]:
    causes: list[FieldError] = []
    if selector is None:
        return [required(f"{root}.selector")]
    for key, value in (selector.matchLabels or {}).items():
        why = qualified_name(key) or label_value(value)
        if why:
            causes.append(invalid(f"{root}.selector.matchLabels", value, why))
    if not selector.matchLabels and not selector.matchExpressions:
        causes.append(invalid(f"{root}.selector", "null", "empty selector is invalid for deployment"))
    labels = (template.metadata.labels if template is not None and template.metadata is not None else None) or {}
    if template is not None and not causes and not matches(selector.model_dump(exclude_none=True), labels):
        causes.append(invalid(f"{root}.template.metadata.labels", labels_text(labels),
                              "`selector` does not match template `labels`"))
    return causes


def labels_text(labels: dict[str, str]) -> str:
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(labels.items())) + "]"


def validate_template(template: core.PodTemplateSpec | None, root: str = "spec.template",
                      restart_policies: tuple[str, ...] = ("Always",)) -> list[FieldError]:
    if template is None:
        return [required(root)]
    causes = validate_pod_spec(template.spec, f"{root}.spec")
    policy = template.spec.restartPolicy
    if policy is not None and policy not in restart_policies:
        causes.append(FieldError(f"{root}.spec.restartPolicy", "FieldValueNotSupported",
                                 f'Unsupported value: "{policy}": supported values: '
                                 + ", ".join(f'"{p}"' for p in restart_policies)))
    return causes


def non_negative(path: str, value: int | None) -> list[FieldError]:
    if value is not None and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def selector_immutable(old: Any, new: Any) -> list[FieldError]:
    if old.spec.selector != new.spec.selector:
        return [invalid("spec.selector", to_text(new.spec.selector.model_dump(exclude_none=True))
                        if new.spec.selector else "null", "field is immutable")]
    return []


def _scale_view(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": int(spec.get("replicas", 1))},
            "status": {"replicas": int(status.get("replicas") or 0), "selector": to_text(spec.get("selector"))}}


def _scale_merge(current: Obj, scale: Obj) -> Obj:
    spec = scale.get("spec") if isinstance(scale.get("spec"), dict) else {}
    replicas = spec.get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise BadRequest(f"Scale.spec.replicas: Invalid value: {replicas!r}: must be an integer")
    if replicas < 0:
        raise BadRequest(f"Scale.spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0")
    new = copy.deepcopy(current)
    new.setdefault("spec", {})["replicas"] = replicas
    return new


SCALE = Subresource("scale", "Scale", ("get", "patch", "update"), "autoscaling", "v1", view=_scale_view,
                    merge=_scale_merge)


def template_containers(template: Obj | None) -> tuple[str, str]:
    """The CONTAINERS and IMAGES cells of a workload's wide table."""
    containers = ((template or {}).get("spec") or {}).get("containers") or []
    return (",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers))
