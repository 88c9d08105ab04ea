"""metav1.LabelSelector over plain JSON: does a selector match a label set,
and its text form (`app=web,tier in (a,b)`), as controllers and the scale
subresource need them."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def matches(selector: Obj | None, labels: dict[str, str] | None) -> bool:
    """An empty selector matches everything; None matches nothing (as
    metav1.LabelSelectorAsSelector)."""
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def to_text(selector: Obj | None) -> str:
    """The selector as a label selector string."""
    parts = [f"{k}={v}" for k, v in sorted(((selector or {}).get("matchLabels") or {}).items())]
    for req in (selector or {}).get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def selector_of(obj: Obj) -> Obj | None:
    selector = (obj.get("spec") or {}).get("selector")
    return selector if isinstance(selector, dict) else None
