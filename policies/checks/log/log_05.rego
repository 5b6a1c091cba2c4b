# LOG-05 audit logs shipped off the host.
#
# METADATA
# title: Audit logs are shipped to a central store over an encrypted transport
# custom:
#   id: LOG-05
#   scope: resource
#   severity: medium
#   remediation: Ship audit logs to a central store/SIEM over TLS (syslog+tls://, https://); send CloudTrail to CloudWatch Logs; encrypt trails and log groups with KMS.
#   kinds: [SecurityConfig, aws_cloudtrail, aws_cloudwatch_log_group]
#   assesses:
#     SecurityConfig: [facts.enabled.audit]
package compliance.checks.log_05

import data.compliance.lib
import data.compliance.lib.log as log_lib
import rego.v1

# An optional attribute that is absent, null (plan JSON) or empty.
unset(obj, key) if object.get(obj, key, null) in {null, ""}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	unset(log_lib.audit(r), "sink")
	v := {"check": "LOG-05", "resource": r.id, "path": "security.audit_config",
		"message": "audit logs are not shipped anywhere (security.audit_config.sink is not set)"}
}

encrypted_schemes := {"syslog+tls", "https", "tls", "tcp+tls", "kafka+ssl", "kafka+tls"}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	sink := log_lib.audit(r).sink
	is_string(sink)
	scheme := sink_scheme(sink)
	not encrypted_schemes[scheme]
	v := {"check": "LOG-05", "resource": r.id, "path": "security.audit_config.sink",
		"message": sink_message(scheme)}
}

sink_scheme(sink) := lower(split(sink, "://")[0]) if contains(sink, "://")

sink_scheme(sink) := "file" if not contains(sink, "://")

sink_message("file") := "audit logs stay in a local file; ship them to a central store or SIEM"

sink_message(scheme) := sprintf("audit logs are shipped over %s, an unencrypted transport (use syslog+tls:// or https://)", [scheme]) if scheme != "file"

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	unset(r.body, "cloud_watch_logs_group_arn")
	v := {"check": "LOG-05", "resource": r.id,
		"message": sprintf("CloudTrail %s is not sent to CloudWatch Logs (no cloud_watch_logs_group_arn), so there is no alerting on it", [r.name])}
}

violations contains v if {
	some kind in ["aws_cloudtrail", "aws_cloudwatch_log_group"]
	some r in lib.of_kind(kind)
	unset(r.body, "kms_key_id")
	v := {"check": "LOG-05", "resource": r.id,
		"message": sprintf("%s %s is not encrypted with a KMS key (no kms_key_id)", [log_store[kind], r.name])}
}

log_store := {"aws_cloudtrail": "CloudTrail", "aws_cloudwatch_log_group": "log group"}
