# Encryption at rest: databases, volumes, buckets, file systems, application storage.
package compliance.checks.enc

import data.compliance.lib
import rego.v1

# METADATA
# title: Data is encrypted at rest with managed keys
# custom:
#   id: ENC-01
#   severity: high
#   remediation: Turn on storage encryption (storage_encrypted, encrypted, server-side encryption) with a KMS-managed key; enable storage.encryption_at_rest.
#   kinds: [SecurityConfig, aws_db_instance, aws_rds_cluster, aws_ebs_volume, aws_instance, aws_s3_bucket, aws_efs_file_system, aws_dynamodb_table]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.storage.encryption_at_rest
	v := {"check": "ENC-01", "resource": r.id, "path": "storage.encryption_at_rest",
		"message": "application storage is not encrypted at rest (storage.encryption_at_rest is false)"}
}
