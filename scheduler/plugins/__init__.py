"""The scheduling plugins, one per module, and the registry from name to plugin."""

from scheduler.plugins.balanced_allocation import BalancedAllocation
from scheduler.plugins.least_allocated import LeastAllocated
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.node_name import NodeName
from scheduler.plugins.node_resources_fit import NodeResourcesFit
from scheduler.plugins.node_unschedulable import NodeUnschedulable
from scheduler.plugins.pod_topology_spread import PodTopologySpread
from scheduler.plugins.taint_toleration import TaintToleration

# Filter order follows kube-scheduler's default profile: the first failing
# filter names the reason a node was rejected.
FILTERS = [NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinity(), NodeResourcesFit(),
           PodTopologySpread()]
SCORES = {p.name: p for p in (LeastAllocated(), BalancedAllocation(), NodeAffinity(), TaintToleration(),
                              PodTopologySpread())}
DEFAULT_WEIGHTS = {"LeastAllocated": 1, "BalancedAllocation": 1, "NodeAffinity": 2, "TaintToleration": 3,
                   "PodTopologySpread": 2}

__all__ = ["DEFAULT_WEIGHTS", "FILTERS", "SCORES"]
