# SEC-02 secret rotation.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   secret_rotation_max_days  longest allowed Secrets Manager rotation interval
#   kms_rotation_max_days     longest allowed KMS key rotation period
#
# METADATA
# title: Secrets and keys are rotated
# custom:
#   id: SEC-02
#   scope: global
#   severity: medium
#   remediation: Enable automatic rotation for KMS keys (enable_key_rotation = true) and for Secrets Manager secrets (aws_secretsmanager_secret_rotation), at most every 90 days.
#   kinds: [aws_kms_key, aws_secretsmanager_secret, aws_secretsmanager_secret_rotation]
package compliance.checks.sec_02

import data.compliance.lib
import rego.v1

# Scope global: a secret is rotated when an aws_secretsmanager_secret_rotation in any file
# names it (rotated_secrets).

violations contains v if {
	some r in lib.of_kind("aws_kms_key")
	object.get(r.body, "key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
	object.get(r.body, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	not object.get(r.body, "enable_key_rotation", false) == true
	v := {"check": "SEC-02", "resource": r.id, "path": "enable_key_rotation",
		"message": sprintf("KMS key %s does not rotate automatically (enable_key_rotation is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_kms_key")
	object.get(r.body, "enable_key_rotation", false) == true
	days := object.get(r.body, "rotation_period_in_days", 365)
	want := lib.param("kms_rotation_max_days", 365)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "severity": "low", "path": rotation_period_path(r),
		"message": sprintf("KMS key %s rotates every %d days; at most %d are allowed", [r.name, days, want])}
}

rotation_period_path(r) := "rotation_period_in_days" if r.body.rotation_period_in_days
else := "enable_key_rotation"

# Secrets named in some rotation resource (secret_id = aws_secretsmanager_secret.<name>.id/arn).
rotated_secrets contains name if {
	some rot in lib.of_kind("aws_secretsmanager_secret_rotation")
	parts := regex.find_all_string_submatch_n(`aws_secretsmanager_secret\.([A-Za-z0-9_-]+)\.`, object.get(rot.body, "secret_id", ""), -1)
	some m in parts
	name := m[1]
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret")
	not rotated_secrets[r.name]
	not r.body.rotation_rules
	v := {"check": "SEC-02", "resource": r.id,
		"message": sprintf("secret %s has no automatic rotation (no aws_secretsmanager_secret_rotation refers to it)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_rotation")
	days := r.body.rotation_rules.automatically_after_days
	want := lib.param("secret_rotation_max_days", 90)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "path": "rotation_rules.automatically_after_days",
		"message": sprintf("secret rotation %s runs every %d days; at most %d are allowed", [r.name, days, want])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_rotation")
	expression := r.body.rotation_rules.schedule_expression
	m := regex.find_all_string_submatch_n(`^rate\((\d+) days?\)$`, expression, 1)
	days := to_number(m[0][1])
	want := lib.param("secret_rotation_max_days", 90)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "path": "rotation_rules.schedule_expression",
		"message": sprintf("secret rotation %s runs every %d days (%s); at most %d are allowed", [r.name, days, expression, want])}
}
