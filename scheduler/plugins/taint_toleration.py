"""TaintToleration: NoSchedule/NoExecute taints keep out pods that do not
tolerate them; PreferNoSchedule taints only lower a node's score."""

from __future__ import annotations

from typing import Any

from scheduler.framework import CycleState, NodeInfo, PodInfo


def _tolerated_by(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return not key or key == taint.get("key")
    return key == taint.get("key") and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerates(pod: PodInfo, taint: dict[str, Any]) -> bool:
    return any(_tolerated_by(t, taint) for t in pod.spec.get("tolerations") or [])


def _show(taint: dict[str, Any]) -> str:
    return f"{{{taint.get('key')}: {taint.get('value') or ''}}}" if taint.get("value") else f"{{{taint.get('key')}: }}"


class TaintToleration:
    name = "TaintToleration"

    def filter(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> list[str]:
        for taint in (node.node.get("spec") or {}).get("taints") or []:
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(pod, taint):
                return [f"node(s) had untolerated taint {_show(taint)}"]
        return []

    def score(self, pod: PodInfo, node: NodeInfo, state: CycleState) -> int:
        intolerable = sum(1 for taint in (node.node.get("spec") or {}).get("taints") or []
                          if taint.get("effect") == "PreferNoSchedule" and not tolerates(pod, taint))
        return -intolerable  # fewer untolerated soft taints is better; normalized later
