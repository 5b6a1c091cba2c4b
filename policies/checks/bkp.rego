# Backups: enabled, retained, encrypted, copied off-region.
package compliance.checks.bkp

import data.compliance.lib
import rego.v1

# METADATA
# title: Backups are enabled, retained, encrypted and copied off-region
# custom:
#   id: BKP-01
#   severity: high
#   remediation: Enable backups with retention >= backup_retention_min_days (7), encrypt them and copy them to another region; test restores (manual).
#   kinds: [SecurityConfig, aws_db_instance, aws_rds_cluster, aws_backup_plan, aws_s3_bucket]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.storage.backup.enabled
	v := {"check": "BKP-01", "resource": r.id, "path": "storage.backup.enabled",
		"message": "backups are disabled (storage.backup.enabled is false)"}
}
