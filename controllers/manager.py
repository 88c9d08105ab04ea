"""Which controllers the controller-manager runs (`--controllers`, as
kube-controller-manager: `*` for all, a name to add one, `-name` to leave one
out) and how they share one set of informers."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from controllers.base import SharedInformers

log = logging.getLogger(__name__)

# name -> (module, class) of every controller, in kube-controller-manager's names
CONTROLLERS: dict[str, tuple[str, str]] = {
    "replicaset": ("controllers.replicaset", "ReplicaSetController"),
    "deployment": ("controllers.deployment", "DeploymentController"),
    "daemonset": ("controllers.daemonset", "DaemonSetController"),
    "job": ("controllers.job", "JobController"),
    "cronjob": ("controllers.cronjob", "CronJobController"),
    "garbagecollector": ("controllers.garbagecollector", "GarbageCollector"),
    "namespace": ("controllers.namespace", "NamespaceController"),
    "serviceaccount": ("controllers.serviceaccount", "ServiceAccountController"),
    "disruption": ("controllers.disruption", "DisruptionController"),
    "serviceaccount-token": ("controllers.tokens", "TokenController"),
}
NODE_LIFECYCLE = "nodelifecycle"
ALL = (*CONTROLLERS, NODE_LIFECYCLE)


def select(spec: str) -> list[str]:
    """`*,-job` -> every controller but job. Raises ValueError naming an unknown one."""
    chosen: list[str] = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        name = part.lstrip("-")
        if part == "*":
            chosen += [c for c in ALL if c not in chosen]
        elif name not in ALL:
            raise ValueError(f'"{name}" is not in the list of known controllers: {", ".join(sorted(ALL))}')
        elif part.startswith("-"):
            chosen = [c for c in chosen if c != name]
        elif name not in chosen:
            chosen.append(name)
    for part in spec.split(","):
        if part.strip().startswith("-") and part.strip()[1:] in chosen:
            chosen.remove(part.strip()[1:])
    return chosen


def build(names: list[str], client: Any, informers: SharedInformers,
          options: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    """The controllers named, each registered on the shared informers;
    `options` holds a controller's own flags by its name."""
    built = []
    for name in names:
        if name == NODE_LIFECYCLE:
            continue
        module, cls = CONTROLLERS[name]
        built.append(getattr(importlib.import_module(module), cls)(client, informers,
                                                                   **(options or {}).get(name, {})))
    return built


async def run_all(controllers: list[Any], informers: SharedInformers, stop: asyncio.Event) -> None:
    informers.start()
    await informers.wait_synced()
    log.info("informers synced; running %d controllers", len(controllers))
    await asyncio.gather(*(c.run(stop) for c in controllers))
