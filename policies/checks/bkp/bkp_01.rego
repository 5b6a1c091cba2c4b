# Backups: enabled, retained, encrypted, copied off-region. Restore tests are manual.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   backup_retention_min_days  minimum days backups are kept (BKP-01, medium).
#
# Judgements: RDS without backup_retention_period keeps the AWS default of 1 day (medium);
# 0 disables backups (high). A SecurityConfig backup that is not encrypted is medium, one not
# copied to another region low. aws_backup_plan rules without a copy_action are low (no
# cross-region copy). Every aws_s3_bucket without versioning is low: versioning is what lets
# a bucket's objects be recovered after deletion or overwrite.
#
# On Azure, without Key Vault purge protection a deleted vault, key or secret can be purged before
# its soft-delete retention ends, so it cannot be recovered (medium, as S3 without
# versioning is low: keys lost are data lost).
#
# METADATA
# title: Backups are enabled, retained, encrypted and copied off-region
# custom:
#   id: BKP-01
#   scope: global
#   severity: high
#   remediation: Enable backups with retention >= backup_retention_min_days (7), encrypt them and copy them to another region; version S3 buckets; test restores (manual).
#   kinds: [SecurityConfig, aws_backup_plan, aws_db_instance, aws_rds_cluster, aws_s3_bucket, azurerm_key_vault, aws_s3_bucket_versioning]
package compliance.checks.bkp_01

import data.compliance.lib
import rego.v1

min_days := lib.param("backup_retention_min_days", 7)

backup(r) := r.body.storage.backup

# Scope global: an aws_s3_bucket is versioned by any aws_s3_bucket_versioning naming it
# (versioned_keys), which Terraform lets live in any file of the configuration.

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not backup(r).enabled
	v := {"check": "BKP-01", "resource": r.id, "path": "storage.backup.enabled",
		"message": "backups are disabled (storage.backup.enabled is false)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	backup(r).enabled
	days := object.get(backup(r), "retention_days", null)
	short_retention(days)
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": "storage.backup.retention_days",
		"message": sprintf("backups are kept %s, less than the required %d days", [days_text(days), min_days])}
}

short_retention(days) if days == null

short_retention(days) if {
	is_number(days)
	days < min_days
}

days_text(null) := "for an unspecified time"

days_text(days) := sprintf("%d days", [days]) if is_number(days)

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	backup(r).enabled
	backup(r).encrypted != true
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": "storage.backup",
		"message": "backups are not encrypted (storage.backup.encrypted is not true)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	backup(r).enabled
	backup(r).cross_region != true
	v := {"check": "BKP-01", "resource": r.id, "severity": "low", "path": "storage.backup",
		"message": "backups are not copied to another region (storage.backup.cross_region is not true)"}
}

violations contains v if {
	some kind, what in lib.db_kinds
	some r in lib.of_kind(kind)
	r.body.backup_retention_period == 0
	v := {"check": "BKP-01", "resource": r.id, "path": "backup_retention_period",
		"message": sprintf("%s %s has automated backups disabled (backup_retention_period = 0)", [what, r.name])}
}

violations contains v if {
	some kind, what in lib.db_kinds
	some r in lib.of_kind(kind)
	days := object.get(r.body, "backup_retention_period", null)
	is_number(days)
	days > 0
	days < min_days
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": "backup_retention_period",
		"message": sprintf("%s %s keeps backups %d days, less than the required %d", [what, r.name, days, min_days])}
}

violations contains v if {
	some kind, what in lib.db_kinds
	some r in lib.of_kind(kind)
	object.get(r.body, "backup_retention_period", null) == null
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium",
		"message": sprintf("%s %s sets no backup_retention_period, so AWS keeps backups 1 day (required: %d)", [what, r.name, min_days])}
}

violations contains v if {
	some r in lib.of_kind("aws_backup_plan")
	some i, rule in object.get(r.body, "rule", [])
	days := object.get(rule, ["lifecycle", "delete_after"], null)
	is_number(days)
	days < min_days
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": sprintf("rule[%d]", [i]),
		"message": sprintf("backup plan %s rule %s deletes backups after %d days, less than the required %d", [r.name, object.get(rule, "rule_name", sprintf("%d", [i])), days, min_days])}
}

violations contains v if {
	some r in lib.of_kind("aws_backup_plan")
	some i, rule in object.get(r.body, "rule", [])
	count(object.get(rule, "copy_action", [])) == 0
	v := {"check": "BKP-01", "resource": r.id, "severity": "low", "path": sprintf("rule[%d]", [i]),
		"message": sprintf("backup plan %s rule %s makes no copy to another region or account (no copy_action)", [r.name, object.get(rule, "rule_name", sprintf("%d", [i]))])}
}

versioned_keys := {k |
	some r in lib.of_kind("aws_s3_bucket_versioning")
	object.get(r.body, ["versioning_configuration", "status"], "") == "Enabled"
	k := object.get(r.body, "bucket", "")
}

versioned(b) if object.get(b.body, ["versioning", "enabled"], false) == true

versioned(b) if {
	some k in lib.bucket_keys(b)
	versioned_keys[k]
}

violations contains v if {
	some r in lib.of_kind("aws_s3_bucket")
	not versioned(r)
	v := {"check": "BKP-01", "resource": r.id, "severity": "low",
		"message": sprintf("S3 bucket %s is not versioned, so deleted or overwritten objects cannot be recovered", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_key_vault")
	object.get(r.body, "purge_protection_enabled", false) != true
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": "purge_protection_enabled",
		"message": sprintf("Key Vault %s has no purge protection (purge_protection_enabled is not true): deleted keys and secrets can be purged before recovery", [r.name])}
}
