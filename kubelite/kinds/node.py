"""v1 Node: a machine the node agent registers and keeps its status (and
Lease) current for; cordon and taints live in its spec."""

from kubelite.api import core
from kubelite.api.kind import Kind, Strategy, status_subresource
from kubelite.api.printers import NODE_PRINTER
from kubelite.api.validation import validate_node

STRATEGY = Strategy(has_status=True, fields=frozenset({"spec.unschedulable"}))
KIND = Kind("", "v1", "Node", "nodes", False, core.Node, short_names=("no",), strategy=STRATEGY,
            validate=validate_node, printer=NODE_PRINTER, subresources=(status_subresource(STRATEGY),))
