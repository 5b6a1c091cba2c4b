# LOG-04 audit logs protected from tampering.
#
# A CloudTrail bucket declared in the same configuration without S3 Object Lock is low when
# log file validation is on (tamper-evident already) and medium otherwise.
#
# METADATA
# title: Audit logs are tamper-evident or immutable
# custom:
#   id: LOG-04
#   scope: global
#   severity: high
#   remediation: Make audit logs immutable (WORM / S3 Object Lock) and enable CloudTrail log file validation.
#   kinds: [SecurityConfig, aws_cloudtrail, aws_s3_bucket, aws_s3_bucket_object_lock_configuration]
#   assesses:
#     SecurityConfig: [facts.enabled.audit]
#     aws_s3_bucket: [body.object_lock_enabled]
package compliance.checks.log_04

import data.compliance.lib
import data.compliance.lib.log as log_lib
import rego.v1

# Scope global: a trail is joined to the aws_s3_bucket it writes to and that bucket's
# aws_s3_bucket_object_lock_configuration, in any file of the configuration.

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	not log_lib.audit(r).immutable
	v := {"check": "LOG-04", "resource": r.id, "path": "security.audit_config.immutable",
		"message": "audit logs can be altered or deleted (security.audit_config.immutable is false)"}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	not validated(r)
	v := {"check": "LOG-04", "resource": r.id, "path": "enable_log_file_validation",
		"message": sprintf("CloudTrail %s does not enable log file validation", [r.name])}
}

validated(trail) if trail.body.enable_log_file_validation == true

locked_buckets contains k if {
	some b in lib.of_kind("aws_s3_bucket")
	object.get(b.body, "object_lock_enabled", false) == true
	some k in lib.bucket_keys(b)
}

locked_buckets contains k if {
	some c in lib.of_kind("aws_s3_bucket_object_lock_configuration")
	k := object.get(c.body, "bucket", "")
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	some b in lib.of_kind("aws_s3_bucket")
	keys := lib.bucket_keys(b)
	object.get(r.body, "s3_bucket_name", "") in keys
	count({k | some k in keys; locked_buckets[k]}) == 0
	v := {"check": "LOG-04", "resource": r.id, "path": "s3_bucket_name", "severity": lock_severity(r),
		"message": sprintf("CloudTrail %s writes to bucket %s, which has no S3 Object Lock (logs can be deleted)", [r.name, b.name])}
}

lock_severity(trail) := "low" if validated(trail)

lock_severity(trail) := "medium" if not validated(trail)
