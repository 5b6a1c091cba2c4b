# Helpers shared by the AUTH checks (AUTH-01, AUTH-03, AUTH-05). No violations here.
package compliance.lib.auth

import rego.v1

binding_kinds := {"ClusterRoleBinding", "RoleBinding"}

allows(s) if lower(s.effect) == "allow"
