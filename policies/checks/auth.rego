# Identity and access: anonymous access, MFA, RBAC least privilege, sessions, passwords.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   session_timeout_max_minutes  longest allowed session idle timeout (AUTH-04)
#   password_min_length          shortest allowed password (AUTH-05)
package compliance.checks.auth

import data.compliance.lib
import rego.v1

admin_roles := {"cluster-admin": "critical", "admin": "high"}

binding_kinds := {"ClusterRoleBinding", "RoleBinding"}

# Scope resource: a binding is judged by its roleRef name alone (admin_roles), never by the
# rules of the Role it names; a Role by its own rules. Resolving roleRef to the Role would
# make this global.

# METADATA
# title: RBAC least privilege
# custom:
#   id: AUTH-03
#   scope: resource
#   severity: high
#   remediation: Bind people and workloads to narrowly scoped Roles; no wildcards, no cluster-admin outside system components, and limit who can read Secrets. In AWS IAM, no "Action" and "Resource" wildcards together, no iam:PassRole on every role, and permissions through groups or roles, not users.
#   kinds: [ClusterRole, ClusterRoleBinding, Role, RoleBinding, SecurityConfig, aws_iam_group_policy, aws_iam_policy, aws_iam_policy_attachment, aws_iam_role, aws_iam_role_policy, aws_iam_user_policy, aws_iam_user_policy_attachment, data.aws_iam_policy_document, google_storage_bucket]
#   assesses:
#     SecurityConfig: [body.security.auth_config.roles.*, body.security.auth_config.bindings.*]
#     aws_iam_policy_attachment: [body.users]
#     aws_iam_role: [body.inline_policy]
violations contains v if {
	some kind in binding_kinds
	some r in lib.of_kind(kind)
	severity := admin_roles[r.body.roleRef.name]
	some i, s in object.get(r.body, "subjects", [])
	not system_subject(s)
	v := {"check": "AUTH-03", "resource": r.id, "severity": severity, "path": sprintf("subjects[%d]", [i]),
		"message": sprintf("%s %s binds %s %s to %s", [kind, r.name, s.kind, s.name, r.body.roleRef.name])}
}

# Built-in system identities; the broad groups (everyone, every authenticated user, every
# service account) are not system components and are flagged like any other subject.
system_subject(s) if {
	startswith(s.name, "system:")
	not broad_group(s.name)
}

system_subject(s) if {
	s.kind == "ServiceAccount"
	object.get(s, "namespace", "") == "kube-system"
	control_plane_accounts[s.name]
}

# The kube-system ServiceAccounts of the control plane: kube-controller-manager's controllers
# (--use-service-account-credentials) and cloud-controller-manager. Any other kube-system
# account (tiller, dashboards, CI deployers, add-ons) bound to an admin role is reported.
control_plane_accounts := {
	"attachdetach-controller", "bootstrap-signer", "certificate-controller",
	"clusterrole-aggregation-controller", "cloud-controller-manager", "cronjob-controller",
	"daemon-set-controller", "deployment-controller", "disruption-controller",
	"endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller",
	"ephemeral-volume-controller", "expand-controller", "generic-garbage-collector",
	"horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
	"namespace-controller", "node-controller", "persistent-volume-binder",
	"pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller",
	"replicaset-controller", "replication-controller", "resourcequota-controller",
	"root-ca-cert-publisher", "route-controller", "service-account-controller",
	"service-controller", "statefulset-controller", "token-cleaner", "ttl-after-finished-controller",
	"ttl-controller", "validatingadmissionpolicy-status-controller",
}

role_kinds := {"ClusterRole", "Role"}

violations contains v if {
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
	wildcard(rule, "verbs")
	wildcard(rule, "resources")
	wildcard(rule, "apiGroups")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": sprintf("rules[%d]", [i]),
		"message": sprintf("%s %s grants every verb on every resource (wildcard admin)", [kind, r.name])}
}

api_group_name(g) := "core" if g == ""
else := g

# Every verb on every resource of named API groups: broad, but not cluster admin.
violations contains v if {
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
	wildcard(rule, "verbs")
	wildcard(rule, "resources")
	not wildcard(rule, "apiGroups")
	groups := concat(", ", [api_group_name(g) | some g in object.get(rule, "apiGroups", [])])
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d]", [i]),
		"message": sprintf("%s %s grants every verb on every resource of API group(s) %s", [kind, r.name, groups])}
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

broad_groups := {"system:anonymous", "system:unauthenticated", "system:authenticated", "system:serviceaccounts"}

broad_group(name) if broad_groups[name]

broad_group(name) if startswith(name, "system:serviceaccounts:")

# Scope resource: each rule reads only the resource it reports on (a workload's own containers
# and command line, a binding's own subjects, a SecurityConfig's own auth_config).

# METADATA
# title: No anonymous or unauthenticated access
# custom:
#   id: AUTH-01
#   scope: resource
#   severity: critical
#   remediation: Disable anonymous access (allow_anonymous = false, --anonymous-auth=false), configure at least one authentication method, and never bind system:anonymous or system:unauthenticated.
#   kinds: [ClusterRoleBinding, CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet, ReplicationController, RoleBinding, SecurityConfig, StatefulSet, azurerm_storage_account, azurerm_storage_container, google_storage_bucket_access_control, google_storage_bucket_iam_binding, google_storage_bucket_iam_member, google_storage_default_object_access_control, google_storage_object_access_control]
#   assesses:
#     Pod: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     Deployment: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     StatefulSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     DaemonSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     ReplicaSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     ReplicationController: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     Job: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
#     CronJob: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.auth_config.allow_anonymous
	v := {"check": "AUTH-01", "resource": r.id, "path": "security.auth_config.allow_anonymous",
		"message": "anonymous access is allowed (allow_anonymous = true)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	some i, method in r.body.security.auth_config.methods
	method == "none"
	v := {"check": "AUTH-01", "resource": r.id, "path": sprintf("security.auth_config.methods[%d]", [i]),
		"message": "authentication method none lets clients in without credentials"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	count(r.body.security.auth_config.methods) == 0
	v := {"check": "AUTH-01", "resource": r.id, "path": "security.auth_config",
		"message": "no authentication method is configured (auth_config.methods is empty)"}
}

# kube-apiserver and kubelet default to --anonymous-auth=true.
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some binary in ["kube-apiserver", "kubelet"]
	lib.runs(c.spec, binary)
	value := anonymous_auth(lib.command_line(c.spec))
	value != "false"
	v := {"check": "AUTH-01", "resource": r.id, "severity": anonymous_severity(value), "path": c.path,
		"message": anonymous_message(c.name, binary, value)}
}

anonymous_auth(cmd) := value if {
	some arg in cmd
	startswith(arg, "--anonymous-auth=")
	value := lower(substring(arg, count("--anonymous-auth="), -1))
} else := "unset"

anonymous_severity(value) := "high" if value == "unset"
else := "critical"

anonymous_message(name, binary, value) := sprintf("container %s runs %s without --anonymous-auth=false (it defaults to true): unauthenticated requests are accepted", [name, binary]) if value == "unset"
else := sprintf("container %s runs %s with --anonymous-auth=%s: unauthenticated requests are accepted", [name, binary, value])

# The one default binding that lets unauthenticated users read version and health.
public_roles := {"system:public-info-viewer"}

violations contains v if {
	some kind in binding_kinds
	some r in lib.of_kind(kind)
	not public_roles[r.body.roleRef.name]
	some i, s in object.get(r.body, "subjects", [])
	s.name in {"system:anonymous", "system:unauthenticated"}
	v := {"check": "AUTH-01", "resource": r.id, "path": sprintf("subjects[%d]", [i]),
		"message": sprintf("%s %s grants %s %s to unauthenticated users (%s)", [kind, r.name, r.body.roleRef.kind, r.body.roleRef.name, s.name])}
}



# METADATA
# title: MFA enforced for human and admin access
# custom:
#   id: AUTH-02
#   scope: resource
#   severity: high
#   remediation: Set mfa_required = true (or enforce MFA in the identity provider behind OIDC and keep its policy as evidence); for Cognito set mfa_configuration = "ON".
#   kinds: [SecurityConfig, aws_cognito_user_pool]
#   assesses:
#     SecurityConfig: [facts.auth_methods]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	not r.body.security.auth_config.mfa_required
	v := {"check": "AUTH-02", "resource": r.id, "path": "security.auth_config.mfa_required",
		"message": "password logins are allowed without a second factor (mfa_required = false)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	methods := r.body.security.auth_config.methods
	count(methods) > 0
	not "password" in methods
	not "none" in methods
	not r.body.security.auth_config.mfa_required
	v := {"check": "AUTH-02", "resource": r.id, "severity": "low", "path": "security.auth_config.mfa_required",
		"message": sprintf("MFA is not required by the application (methods: %s); any second factor must come from the identity provider or key protection, which needs manual evidence", [concat(", ", methods)])}
}

violations contains v if {
	some r in lib.of_kind("aws_cognito_user_pool")
	mode := upper(object.get(r.body, "mfa_configuration", "OFF"))
	mode != "ON"
	v := {"check": "AUTH-02", "resource": r.id, "severity": cognito_mfa_severity(mode), "path": "mfa_configuration",
		"message": sprintf("Cognito user pool %s does not require MFA (mfa_configuration = %s)", [r.name, mode])}
}

cognito_mfa_severity(mode) := "medium" if mode == "OPTIONAL"
else := "high"

# METADATA
# title: Session idle timeout
# custom:
#   id: AUTH-04
#   scope: resource
#   severity: medium
#   remediation: Set session_timeout_minutes to 15 or less (PCI DSS 8.2.8), or to the limit your pack sets.
#   kinds: [SecurityConfig]
#   assesses:
#     SecurityConfig: [facts.auth_methods.password, facts.auth_methods.oidc, body.security.auth_config.session_timeout_minutes]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	have := r.body.security.auth_config.session_timeout_minutes
	is_number(have)
	want := lib.param("session_timeout_max_minutes", 15)
	have > want
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config.session_timeout_minutes",
		"message": sprintf("sessions stay open for %d idle minutes; at most %d are allowed", [have, want])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	have := r.body.security.auth_config.session_timeout_minutes
	is_number(have)
	have <= 0
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config.session_timeout_minutes",
		"message": sprintf("session_timeout_minutes is %d: sessions never time out", [have])}
}

# Interactive logins (password, OIDC) without any idle timeout. Machine-only methods (mtls,
# api_key) have no sessions to time out.
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.auth_config.session_timeout_minutes == null
	some method in r.body.security.auth_config.methods
	method in {"password", "oidc"}
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config",
		"message": sprintf("no session idle timeout is configured for %s logins (session_timeout_minutes is unset)", [method])}
}

# METADATA
# title: Password policy and no default credentials
# custom:
#   id: AUTH-05
#   scope: resource
#   severity: medium
#   remediation: Require passwords of at least 14 characters (password_min_length) and replace every default or well-known credential with a generated secret.
#   kinds: [SecurityConfig, aws_iam_account_password_policy, aws_db_instance, aws_rds_cluster, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ComposeService, Dockerfile]
#   assesses:
#     SecurityConfig: [facts.auth_methods.password]
#     Pod: [facts.containers.*.env]
#     Deployment: [facts.containers.*.env]
#     StatefulSet: [facts.containers.*.env]
#     DaemonSet: [facts.containers.*.env]
#     ReplicaSet: [facts.containers.*.env]
#     ReplicationController: [facts.containers.*.env]
#     Job: [facts.containers.*.env]
#     CronJob: [facts.containers.*.env]
#     ComposeService: [facts.environment.*]
#     Dockerfile: [facts.env.*]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	have := r.body.security.auth_config.password_min_length
	is_number(have)
	want := lib.param("password_min_length", 14)
	have < want
	v := {"check": "AUTH-05", "resource": r.id, "path": "security.auth_config.password_min_length",
		"message": sprintf("passwords may be %d characters long; at least %d are required", [have, want])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	r.body.security.auth_config.password_min_length == null
	v := {"check": "AUTH-05", "resource": r.id, "path": "security.auth_config",
		"message": sprintf("password logins have no minimum length (password_min_length is unset); at least %d is required", [lib.param("password_min_length", 14)])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_account_password_policy")
	have := object.get(r.body, "minimum_password_length", 6)
	is_number(have)
	want := lib.param("password_min_length", 14)
	have < want
	v := {"check": "AUTH-05", "resource": r.id, "path": "minimum_password_length",
		"message": sprintf("IAM password policy allows %d-character passwords; at least %d are required", [have, want])}
}

# Well-known default passwords (compared case-insensitively; never echoed).
default_passwords := {
	"admin", "password", "passw0rd", "postgres", "root", "changeme", "change_me", "secret", "123456",
	"12345678", "default", "test", "guest", "letmein", "mysql", "toor", "qwerty", "administrator",
}

default_password(value) if {
	is_string(value)
	default_passwords[lower(trim_space(value))]
}

violations contains v if {
	some kind in {"aws_db_instance", "aws_rds_cluster"}
	some r in lib.of_kind(kind)
	some field in ["password", "master_password"]
	default_password(object.get(r.body, field, null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "path": field,
		"message": sprintf("%s %s uses a well-known default %s", [kind, r.name, field])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, env in object.get(c.spec, "env", [])
	lib.looks_secret(env.name)
	default_password(object.get(env, "value", null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s sets %s to a well-known default password", [c.name, env.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in r.facts.environment
	lib.looks_secret(e.name)
	default_password(e.value)
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("compose service %s sets %s to a well-known default password", [r.name, e.name])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	lib.looks_secret(e.name)
	default_password(object.get(e, "value", null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("%s %s is a well-known default password", [e.instruction, e.name])}
}
