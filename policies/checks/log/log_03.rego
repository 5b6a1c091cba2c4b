# LOG-03 audit log retention.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   log_retention_min_days  minimum audit log retention in days (high)
#   log_retention_max_days  null (no maximum) unless the pack takes it (GDPR): retention above
#                           it, or logs that never expire, is a low finding
#
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
package compliance.checks.log_03

import data.compliance.lib
import data.compliance.lib.log as log_lib
import rego.v1

min_days := lib.param("log_retention_min_days", 365)

max_days := lib.param("log_retention_max_days", null)

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	days := log_lib.audit(r).retention_days
	is_number(days)
	days < min_days
	v := {"check": "LOG-03", "resource": r.id, "path": "security.audit_config.retention_days",
		"message": sprintf("audit logs are kept %d days, less than the required %d", [days, min_days])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	log_lib.audit(r).retention_days == null
	v := {"check": "LOG-03", "resource": r.id, "severity": "medium", "path": "security.audit_config",
		"message": sprintf("the audit log sets no retention_days (required: at least %d)", [min_days])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	days := log_lib.audit(r).retention_days
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
