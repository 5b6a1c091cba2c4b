# AUTH-01 and AUTH-03 on Azure and GCP storage: anonymous (public) access and object ACLs.
# The checks' METADATA is in auth.rego.
#
# Judgements: azurerm_storage_account allows containers to be made public unless
# allow_nested_items_to_be_public (allow_blob_public_access before azurerm 3.0) is false;
# unset is medium (the provider default allows it), true high. A container or bucket readable
# by everyone is critical; by every Google account (allAuthenticatedUsers) high.
package compliance.checks.auth

import data.compliance.lib
import rego.v1

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

violations contains v if {
	some r in lib.of_kind("google_storage_bucket")
	object.get(r.body, "uniform_bucket_level_access", false) != true
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "uniform_bucket_level_access",
		"message": sprintf("Cloud Storage bucket %s allows per-object ACLs (uniform_bucket_level_access is not true); grant access through IAM only", [r.name])}
}
