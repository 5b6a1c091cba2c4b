# Identity and access: anonymous access, MFA, RBAC least privilege, sessions, passwords.
package compliance.checks.auth

import data.compliance.lib
import rego.v1

admin_roles := {"cluster-admin": "critical", "admin": "high"}

binding_kinds := {"ClusterRoleBinding", "RoleBinding"}

# METADATA
# title: RBAC least privilege
# custom:
#   id: AUTH-03
#   severity: high
#   remediation: Bind people and workloads to narrowly scoped Roles; no wildcards, no cluster-admin outside system components, and limit who can read Secrets.
#   kinds: [ClusterRoleBinding, RoleBinding, ClusterRole, Role, SecurityConfig]
violations contains v if {
	some kind in binding_kinds
	some r in lib.of_kind(kind)
	severity := admin_roles[r.body.roleRef.name]
	some i, s in object.get(r.body, "subjects", [])
	not system_subject(s)
	v := {"check": "AUTH-03", "resource": r.id, "severity": severity, "path": sprintf("subjects[%d]", [i]),
		"message": sprintf("%s %s binds %s %s to %s", [kind, r.name, s.kind, s.name, r.body.roleRef.name])}
}

system_subject(s) if startswith(s.name, "system:")

system_subject(s) if {
	s.kind == "ServiceAccount"
	object.get(s, "namespace", "") == "kube-system"
}

role_kinds := {"ClusterRole", "Role"}

violations contains v if {
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
	wildcard(rule, "verbs")
	wildcard(rule, "resources")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": sprintf("rules[%d]", [i]),
		"message": sprintf("%s %s grants every verb on every resource (wildcard admin)", [kind, r.name])}
}

violations contains v if {
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
	some field in ["verbs", "resources"]
	wildcard(rule, field)
	not full_wildcard(rule)
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d].%s", [i, field]),
		"message": sprintf("%s %s uses a wildcard in %s", [kind, r.name, field])}
}

violations contains v if {
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
	"secrets" in object.get(rule, "resources", [])
	not wildcard(rule, "verbs")
	some verb in object.get(rule, "verbs", [])
	verb in {"get", "list", "watch"}
	count(object.get(rule, "resourceNames", [])) == 0
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d]", [i]),
		"message": sprintf("%s %s can %s every Secret in its scope", [kind, r.name, verb])}
}

full_wildcard(rule) if {
	wildcard(rule, "verbs")
	wildcard(rule, "resources")
}

wildcard(rule, field) if "*" in object.get(rule, field, [])

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	some i, role in r.body.security.auth_config.roles
	some p in role.permissions
	p in {"*", "*:*"}
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("security.auth_config.roles[%d].permissions", [i]),
		"message": sprintf("role %s grants every permission (%s)", [role.name, p])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	defined := {role.name | some role in r.body.security.auth_config.roles}
	some i, b in r.body.security.auth_config.bindings
	not defined[b.role]
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": sprintf("security.auth_config.bindings[%d].role", [i]),
		"message": sprintf("subject %s is bound to undefined role %s", [b.subject, b.role])}
}
