# AUTH-03 least privilege: Kubernetes RBAC, SecurityConfig roles, AWS IAM and object ACLs.
#
# On AWS IAM: administrator policies ("Action": "*" on "Resource": "*"), iam:PassRole on every
# role, and permissions given to IAM users directly instead of through groups or roles.
# Statements come from facts.policy_statements (JSON strings, heredocs, jsonencode(...) and
# aws_iam_policy_document data sources, parsed by the loader). On GCP: bucket ACLs granting
# object access to everyone.
#
# METADATA
# title: RBAC least privilege
# custom:
#   id: AUTH-03
#   scope: resource
#   severity: high
#   remediation: Bind people and workloads to narrowly scoped Roles; no wildcards, no cluster-admin outside system components, and limit who can read Secrets. In AWS IAM, no "Action" and "Resource" wildcards together, no iam:PassRole on every role, and permissions through groups or roles, not users.
#   kinds: [ClusterRole, ClusterRoleBinding, Role, RoleBinding, SecurityConfig, aws_iam_group_policy, aws_iam_policy, aws_iam_policy_attachment, aws_iam_role, aws_iam_role_policy, aws_iam_user_policy, aws_iam_user_policy_attachment, azurerm_kubernetes_cluster, data.aws_iam_policy_document, google_container_cluster, google_storage_bucket]
#   assesses:
#     SecurityConfig: [body.security.auth_config.roles.*, body.security.auth_config.bindings.*]
#     aws_iam_policy_attachment: [body.users]
#     aws_iam_role: [body.inline_policy]
package compliance.checks.auth_03

import data.compliance.lib
import data.compliance.lib.auth as auth_lib
import rego.v1

admin_roles := {"cluster-admin": "critical", "admin": "high"}

# Scope resource: a binding is judged by its roleRef name alone (admin_roles), never by the
# rules of the Role it names; a Role by its own rules. Resolving roleRef to the Role would
# make this global.

violations contains v if {
	some kind in auth_lib.binding_kinds
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

# Each rule of a Role or ClusterRole outside system: (kind, resource, index, rule), listed
# once per evaluation for the rules below.
role_rules := [{"kind": kind, "resource": r, "index": i, "rule": rule} |
	some kind in role_kinds
	some r in lib.of_kind(kind)
	not startswith(r.name, "system:")
	some i, rule in object.get(r.body, "rules", [])
]

# The role rules with a wildcard in `field` ("verbs" or "resources").
wildcard_rules[field] := [x | some x in role_rules; "*" in x.rule[field]] if some field in ["verbs", "resources"]

violations contains v if {
	some x in wildcard_rules.verbs
	"*" in x.rule.resources
	"*" in x.rule.apiGroups
	r := x.resource
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": sprintf("rules[%d]", [x.index]),
		"message": sprintf("%s %s grants every verb on every resource (wildcard admin)", [x.kind, r.name])}
}

api_group_name(g) := "core" if g == ""
else := g

# Every verb on every resource of named API groups: broad, but not cluster admin.
violations contains v if {
	some x in wildcard_rules.verbs
	"*" in x.rule.resources
	not "*" in x.rule.apiGroups
	r := x.resource
	groups := concat(", ", [api_group_name(g) | some g in object.get(x.rule, "apiGroups", [])])
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d]", [x.index]),
		"message": sprintf("%s %s grants every verb on every resource of API group(s) %s", [x.kind, r.name, groups])}
}

# A wildcard in verbs or in resources, not both.
violations contains v if {
	some field, other in {"verbs": "resources", "resources": "verbs"}
	some x in wildcard_rules[field]
	not "*" in x.rule[other]
	r := x.resource
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d].%s", [x.index, field]),
		"message": sprintf("%s %s uses a wildcard in %s", [x.kind, r.name, field])}
}

violations contains v if {
	some x in role_rules
	"secrets" in x.rule.resources
	not "*" in x.rule.verbs
	some verb in x.rule.verbs
	verb in {"get", "list", "watch"}
	count(object.get(x.rule, "resourceNames", [])) == 0
	r := x.resource
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": sprintf("rules[%d]", [x.index]),
		"message": sprintf("%s %s can %s every Secret in its scope", [x.kind, r.name, verb])}
}

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

policy_kinds := {
	"aws_iam_policy": "IAM policy",
	"aws_iam_role_policy": "role policy",
	"aws_iam_user_policy": "user policy",
	"aws_iam_group_policy": "group policy",
	"aws_iam_role": "role",
	"data.aws_iam_policy_document": "policy document",
}

every_resource(s) if "*" in s.resources

violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	auth_lib.allows(s)
	some a in s.actions
	a in {"*", "*:*"}
	every_resource(s)
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": s.path,
		"message": sprintf("%s %s allows every action on every resource (\"Action\": \"*\", \"Resource\": \"*\"): administrator access", [what, r.name])}
}

# Every action of one service ("ec2:*", "s3:*") on every resource; iam:* is the PassRole rule's.
violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	auth_lib.allows(s)
	every_resource(s)
	some a in s.actions
	is_string(a)
	endswith(a, ":*")
	service := substring(a, 0, count(a) - 2)
	not service in {"", "*", "iam"}
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": s.path,
		"message": sprintf("%s %s allows every %s action on every resource (\"Action\": \"%s\", \"Resource\": \"*\")", [what, r.name, service, a])}
}

pass_role_actions := {"iam:passrole", "iam:pass*", "iam:*"}

violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	auth_lib.allows(s)
	every_resource(s)
	some a in s.actions
	lower(a) in pass_role_actions
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": s.path,
		"message": sprintf("%s %s allows %s on every role (\"Resource\": \"*\"): whoever holds it can pass any role to a service and act as it", [what, r.name, a])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_user_policy")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "user",
		"message": sprintf("inline policy %s is attached to an IAM user; grant permissions through groups or roles", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_user_policy_attachment")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "user",
		"message": sprintf("policy attachment %s attaches a policy directly to an IAM user; grant permissions through groups or roles", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_policy_attachment")
	users := object.get(r.body, "users", [])
	users != []
	users != null
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "users",
		"message": sprintf("policy attachment %s attaches a policy directly to IAM users; grant permissions through groups or roles", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("google_storage_bucket")
	object.get(r.body, "uniform_bucket_level_access", false) != true
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "uniform_bucket_level_access",
		"message": sprintf("Cloud Storage bucket %s allows per-object ACLs (uniform_bucket_level_access is not true); grant access through IAM only", [r.name])}
}

# AKS with Kubernetes RBAC off: every authenticated identity may do anything in the cluster.
# azurerm 3.x says role_based_access_control_enabled (default true), 2.x a
# role_based_access_control block with enabled.
violations contains v if {
	some r in lib.of_kind("azurerm_kubernetes_cluster")
	object.get(r.body, "role_based_access_control_enabled", true) == false
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": "role_based_access_control_enabled",
		"message": sprintf("AKS cluster %s has Kubernetes RBAC disabled (role_based_access_control_enabled is false)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_kubernetes_cluster")
	some b in lib.blocks(r.body, "role_based_access_control")
	object.get(b.block, "enabled", true) == false
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": sprintf("%s.enabled", [b.path]),
		"message": sprintf("AKS cluster %s has Kubernetes RBAC disabled (role_based_access_control.enabled is false)", [r.name])}
}

# GKE legacy ABAC grants broad static permissions beside RBAC (off by default).
violations contains v if {
	some r in lib.of_kind("google_container_cluster")
	object.get(r.body, "enable_legacy_abac", false) == true
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": "enable_legacy_abac",
		"message": sprintf("GKE cluster %s enables legacy ABAC (enable_legacy_abac is true): permissions outside RBAC", [r.name])}
}
