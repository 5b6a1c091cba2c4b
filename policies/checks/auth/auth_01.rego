# AUTH-01 anonymous access: Kubernetes and SecurityConfig anonymous auth, and Azure and GCP
# storage open to the public.
#
# Judgements: azurerm_storage_account allows containers to be made public unless
# allow_nested_items_to_be_public (allow_blob_public_access before azurerm 3.0) is false;
# unset is medium (the provider default allows it), true high. A container or bucket readable
# by everyone is critical; by every Google account (allAuthenticatedUsers) high.
#
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
package compliance.checks.auth_01

import data.compliance.lib
import data.compliance.lib.auth as auth_lib
import rego.v1

# Scope resource: each rule reads only the resource it reports on (a workload's own containers
# and command line, a binding's own subjects, a SecurityConfig's own auth_config).

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
	some w in lib.control_plane_containers
	r := w.resource
	c := w.container
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
	some kind in auth_lib.binding_kinds
	some r in lib.of_kind(kind)
	not public_roles[r.body.roleRef.name]
	some i, s in object.get(r.body, "subjects", [])
	s.name in {"system:anonymous", "system:unauthenticated"}
	v := {"check": "AUTH-01", "resource": r.id, "path": sprintf("subjects[%d]", [i]),
		"message": sprintf("%s %s grants %s %s to unauthenticated users (%s)", [kind, r.name, r.body.roleRef.kind, r.body.roleRef.name, s.name])}
}

azure_public_fields := ["allow_nested_items_to_be_public", "allow_blob_public_access"]

violations contains v if {
	some r in lib.of_kind("azurerm_storage_account")
	some field in azure_public_fields
	object.get(r.body, field, null) == true
	v := {"check": "AUTH-01", "resource": r.id, "severity": "high", "path": field,
		"message": sprintf("storage account %s lets containers allow anonymous public read (%s is true)", [r.name, field])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_storage_account")
	count([f | some f in azure_public_fields; object.get(r.body, f, null) != null]) == 0
	v := {"check": "AUTH-01", "resource": r.id, "severity": "medium",
		"message": sprintf("storage account %s does not set allow_nested_items_to_be_public = false; the provider default lets containers allow anonymous public read", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_storage_container")
	access := lib.lower_of(r.body, "container_access_type")
	access in {"blob", "container"}
	v := {"check": "AUTH-01", "resource": r.id, "path": "container_access_type",
		"message": sprintf("storage container %s is readable anonymously (container_access_type = %s)", [r.name, access])}
}

public_members := {"allUsers": "critical", "allAuthenticatedUsers": "high"}

gcp_iam_members(r) := [[field, m] |
	some field in ["member", "members"]
	some m in lib.strings_of(r.body, [field])
]

violations contains v if {
	some kind in ["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"]
	some r in lib.of_kind(kind)
	some pair in gcp_iam_members(r)
	severity := public_members[pair[1]]
	v := {"check": "AUTH-01", "resource": r.id, "severity": severity, "path": pair[0],
		"message": sprintf("%s %s grants %s on a bucket to %s", [kind, r.name, object.get(r.body, "role", "a role"), pair[1]])}
}

violations contains v if {
	some kind in ["google_storage_bucket_access_control", "google_storage_default_object_access_control", "google_storage_object_access_control"]
	some r in lib.of_kind(kind)
	entity := object.get(r.body, "entity", "")
	severity := public_members[entity]
	v := {"check": "AUTH-01", "resource": r.id, "severity": severity, "path": "entity",
		"message": sprintf("%s %s grants %s to %s", [kind, r.name, object.get(r.body, "role", "access"), entity])}
}
