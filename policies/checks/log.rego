# Audit logging: enabled, events, retention, tamper protection, shipping.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   log_required_events     SecurityConfig audit events that must be recorded (LOG-02).
#   log_retention_min_days  minimum audit log retention in days (LOG-03, high).
#   log_retention_max_days  null (no maximum) unless the pack takes it (GDPR): retention above
#                           it, or logs that never expire, is a low LOG-03 finding.
#
# Cross-resource judgements: input that declares aws_* resources but no aws_cloudtrail is a
# medium LOG-01 finding on each root configuration's default `provider "aws"` block
# (log_aws.rego; a reusable module declares no provider and gets none; the trail may live in an
# organisation account: hence medium, not critical). A VPC
# without an aws_flow_log that references it is medium. A CloudTrail bucket declared in the
# same configuration without S3 Object Lock is LOG-04 low when log file validation is on
# (tamper-evident already) and medium otherwise.
package compliance.checks.log

import data.compliance.lib
import rego.v1

audit(r) := r.body.security.audit_config

# An optional attribute that is absent, null (plan JSON) or empty.
unset(obj, key) if object.get(obj, key, null) in {null, ""}

# Values that name an S3 bucket declared in this configuration: its HCL references and literal name.
bucket_keys(b) := {k |
	some k in [sprintf("${aws_s3_bucket.%s.id}", [b.name]), sprintf("${aws_s3_bucket.%s.bucket}", [b.name]), object.get(b.body, "bucket", "")]
	is_string(k)
	k != ""
}

# Scope global: "no aws_cloudtrail" is an absence over the whole input, reported on the
# smallest aws_* id anywhere, and a VPC is covered by an aws_flow_log in any file.

# METADATA
# title: Audit logging enabled
# custom:
#   id: LOG-01
#   scope: global
#   severity: critical
#   remediation: Enable audit logging (application audit_config, Kubernetes API server --audit-log-path and --audit-policy-file, CloudTrail, VPC flow logs).
#   kinds: [Pod, SecurityConfig, aws_alb, aws_cloudtrail, aws_eks_cluster, aws_elasticsearch_domain, aws_elb, aws_flow_log, aws_lb, aws_opensearch_domain, aws_s3_bucket, aws_s3_bucket_logging, aws_vpc, azurerm_key_vault, azurerm_monitor_diagnostic_setting, azurerm_mssql_server, azurerm_mssql_server_extended_auditing_policy, azurerm_sql_server, google_folder_iam_audit_config, google_organization_iam_audit_config, google_project_iam_audit_config, provider.aws, terraform_variable]
#   assesses:
#     Pod: [facts.control_plane.kube-apiserver]
#     terraform_variable: [body.default]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not audit(r).enabled
	v := {"check": "LOG-01", "resource": r.id, "path": "security.audit_config.enabled",
		"message": "audit logging is disabled (security.audit_config.enabled is false)"}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	object.get(r.body, "enable_logging", true) == false
	v := {"check": "LOG-01", "resource": r.id, "path": "enable_logging",
		"message": sprintf("CloudTrail %s has logging turned off", [r.name])}
}

aws_resource_ids contains r.id if {
	some kind, resources in input.kinds
	startswith(kind, "aws_")
	some r in resources
}

flow_logged := {ref | some f in lib.of_kind("aws_flow_log"); ref := object.get(f.body, "vpc_id", "")}

violations contains v if {
	some r in lib.of_kind("aws_vpc")
	not flow_logged[sprintf("${aws_vpc.%s.id}", [r.name])]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("VPC %s has no aws_flow_log recording its traffic", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("Pod")
	some c in lib.containers(r)
	args := apiserver_args(c)
	some flag in ["--audit-log-path", "--audit-policy-file"]
	not has_flag(args, flag)
	not has_flag(args, "--audit-webhook-config-file")
	v := {"check": "LOG-01", "resource": r.id, "path": c.path,
		"message": sprintf("kube-apiserver in %s runs without %s, so API requests are not audited", [r.name, flag])}
}

apiserver_args(c) := lib.command_line(c.spec) if lib.runs(c.spec, "kube-apiserver")

has_flag(args, flag) if {
	some a in args
	startswith(a, concat("", [flag, "="]))
}

has_flag(args, flag) if flag in args

# METADATA
# title: Required audit events are logged
# custom:
#   id: LOG-02
#   scope: resource
#   severity: high
#   remediation: Log authentication, authorization denials, admin actions, configuration changes and access to personal data (the Kubernetes audit policy content is reviewed manually).
#   kinds: [SecurityConfig]
#   assesses:
#     SecurityConfig: [facts.enabled.audit]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	events := {e | some e in audit(r).events}
	missing := [e | some e in lib.param("log_required_events", ["authn", "authz_denied", "admin", "config_change", "data_access"]); not events[e]]
	count(missing) > 0
	v := {"check": "LOG-02", "resource": r.id, "path": "security.audit_config.events",
		"message": sprintf("the audit log does not record required events: %s", [concat(", ", missing)])}
}

min_days := lib.param("log_retention_min_days", 365)

max_days := lib.param("log_retention_max_days", null)

# METADATA
# title: Audit log retention meets the minimum (and, for personal data, a maximum)
# custom:
#   id: LOG-03
#   scope: resource
#   severity: high
#   remediation: Keep audit logs at least log_retention_min_days (365); where logs hold personal data, also set a maximum (log_retention_max_days).
#   kinds: [SecurityConfig, aws_cloudwatch_log_group]
#   assesses:
#     SecurityConfig: [facts.enabled.audit]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	days := audit(r).retention_days
	is_number(days)
	days < min_days
	v := {"check": "LOG-03", "resource": r.id, "path": "security.audit_config.retention_days",
		"message": sprintf("audit logs are kept %d days, less than the required %d", [days, min_days])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	audit(r).retention_days == null
	v := {"check": "LOG-03", "resource": r.id, "severity": "medium", "path": "security.audit_config",
		"message": sprintf("the audit log sets no retention_days (required: at least %d)", [min_days])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	days := audit(r).retention_days
	is_number(max_days)
	is_number(days)
	days > max_days
	v := {"check": "LOG-03", "resource": r.id, "severity": "low", "path": "security.audit_config.retention_days",
		"message": sprintf("audit logs are kept %d days, more than the maximum %d for logs with personal data", [days, max_days])}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudwatch_log_group")
	days := object.get(r.body, "retention_in_days", 0)
	is_number(days)
	days > 0
	days < min_days
	v := {"check": "LOG-03", "resource": r.id, "path": "retention_in_days",
		"message": sprintf("log group %s keeps logs %d days, less than the required %d", [r.name, days, min_days])}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudwatch_log_group")
	days := object.get(r.body, "retention_in_days", 0)
	is_number(days)
	is_number(max_days)
	days > max_days
	v := {"check": "LOG-03", "resource": r.id, "severity": "low", "path": "retention_in_days",
		"message": sprintf("log group %s keeps logs %d days, more than the maximum %d for logs with personal data", [r.name, days, max_days])}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudwatch_log_group")
	object.get(r.body, "retention_in_days", 0) == 0
	is_number(max_days)
	v := {"check": "LOG-03", "resource": r.id, "severity": "low", "path": "retention_in_days",
		"message": sprintf("log group %s never expires logs (no maximum retention for logs with personal data; maximum %d days)", [r.name, max_days])}
}

# Scope global: a trail is joined to the aws_s3_bucket it writes to and that bucket's
# aws_s3_bucket_object_lock_configuration, in any file of the configuration.

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
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	not audit(r).immutable
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
	some k in bucket_keys(b)
}

locked_buckets contains k if {
	some c in lib.of_kind("aws_s3_bucket_object_lock_configuration")
	k := object.get(c.body, "bucket", "")
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	some b in lib.of_kind("aws_s3_bucket")
	keys := bucket_keys(b)
	object.get(r.body, "s3_bucket_name", "") in keys
	count({k | some k in keys; locked_buckets[k]}) == 0
	v := {"check": "LOG-04", "resource": r.id, "path": "s3_bucket_name", "severity": lock_severity(r),
		"message": sprintf("CloudTrail %s writes to bucket %s, which has no S3 Object Lock (logs can be deleted)", [r.name, b.name])}
}

lock_severity(trail) := "low" if validated(trail)

lock_severity(trail) := "medium" if not validated(trail)

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
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	unset(audit(r), "sink")
	v := {"check": "LOG-05", "resource": r.id, "path": "security.audit_config",
		"message": "audit logs are not shipped anywhere (security.audit_config.sink is not set)"}
}

encrypted_schemes := {"syslog+tls", "https", "tls", "tcp+tls", "kafka+ssl", "kafka+tls"}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	audit(r).enabled
	sink := audit(r).sink
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
