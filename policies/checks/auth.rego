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

# METADATA
# title: No anonymous or unauthenticated access
# custom:
#   id: AUTH-01
#   severity: critical
#   remediation: Disable anonymous access (allow_anonymous = false, --anonymous-auth=false), configure at least one authentication method, and never bind system:anonymous or system:unauthenticated.
#   kinds: [SecurityConfig, ClusterRoleBinding, RoleBinding, Pod]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.auth_config.allow_anonymous
	v := {"check": "AUTH-01", "resource": r.id, "path": "security.auth_config.allow_anonymous",
		"message": "anonymous access is allowed (allow_anonymous = true)"}
}

# METADATA
# title: MFA enforced for human and admin access
# custom:
#   id: AUTH-02
#   severity: high
#   remediation: Set mfa_required = true, or authenticate people through an identity provider (OIDC) that enforces MFA, and keep the IdP MFA policy as evidence.
#   kinds: [SecurityConfig]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	not r.body.security.auth_config.mfa_required
	v := {"check": "AUTH-02", "resource": r.id, "path": "security.auth_config.mfa_required",
		"message": "password logins are allowed without a second factor (mfa_required = false)"}
}

# METADATA
# title: Session idle timeout
# custom:
#   id: AUTH-04
#   severity: medium
#   remediation: Set session_timeout_minutes to 15 or less (PCI DSS 8.2.8), or to the limit your pack sets.
#   kinds: [SecurityConfig]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	have := r.body.security.auth_config.session_timeout_minutes
	want := lib.param("session_timeout_max_minutes", 15)
	have > want
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config.session_timeout_minutes",
		"message": sprintf("sessions stay open for %d idle minutes; at most %d are allowed", [have, want])}
}

# METADATA
# title: Password policy and no default credentials
# custom:
#   id: AUTH-05
#   severity: medium
#   remediation: Require passwords of at least 14 characters (password_min_length) and replace every default or well-known credential.
#   kinds: [SecurityConfig, aws_db_instance, aws_rds_cluster]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	have := r.body.security.auth_config.password_min_length
	want := lib.param("password_min_length", 14)
	have < want
	v := {"check": "AUTH-05", "resource": r.id, "path": "security.auth_config.password_min_length",
		"message": sprintf("passwords may be %d characters long; at least %d are required", [have, want])}
}
