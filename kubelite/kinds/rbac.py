"""rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and
ClusterRoleBinding: four kinds that share their rules and their naming (any
path segment, such as "system:node")."""

from kubelite.api import rbac
from kubelite.api.kind import Kind
from kubelite.api.printers import BINDING_PRINTER, ROLE_PRINTER
from kubelite.api.validation import path_segment, validate_rbac_binding, validate_rules

GROUP = "rbac.authorization.k8s.io"
ROLE = Kind(GROUP, "v1", "Role", "roles", True, rbac.Role, validate=validate_rules, name_rule=path_segment,
            printer=ROLE_PRINTER)
CLUSTER_ROLE = Kind(GROUP, "v1", "ClusterRole", "clusterroles", False, rbac.ClusterRole, validate=validate_rules,
                    name_rule=path_segment, printer=ROLE_PRINTER)
ROLE_BINDING = Kind(GROUP, "v1", "RoleBinding", "rolebindings", True, rbac.RoleBinding,
                    validate=validate_rbac_binding, name_rule=path_segment, printer=BINDING_PRINTER)
CLUSTER_ROLE_BINDING = Kind(GROUP, "v1", "ClusterRoleBinding", "clusterrolebindings", False,
                            rbac.ClusterRoleBinding, validate=validate_rbac_binding, name_rule=path_segment,
                            printer=BINDING_PRINTER)
KINDS = (ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING)
