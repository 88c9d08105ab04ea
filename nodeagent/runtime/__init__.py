"""Runtimes: how a node agent makes a pod's containers exist. `process` runs
real OS processes; `fake` only reports them, for scale tests."""

from nodeagent.runtime.base import ContainerRuntime, PodState
from nodeagent.runtime.fake import FakeRuntime

__all__ = ["ContainerRuntime", "FakeRuntime", "PodState"]
