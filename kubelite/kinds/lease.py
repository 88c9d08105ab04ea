"""coordination.k8s.io/v1 Lease: node heartbeats and leader election."""

from kubelite.api import coordination
from kubelite.api.kind import Kind
from kubelite.api.printers import LEASE_PRINTER
from kubelite.api.validation import validate_lease

KIND = Kind("coordination.k8s.io", "v1", "Lease", "leases", True, coordination.Lease, validate=validate_lease,
            printer=LEASE_PRINTER)
