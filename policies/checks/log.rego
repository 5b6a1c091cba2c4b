# Audit logging: enabled, events, retention, tamper protection, shipping.
package compliance.checks.log

import data.compliance.lib
import rego.v1

# METADATA
# title: Audit logging enabled
# custom:
#   id: LOG-01
#   severity: critical
#   remediation: Enable audit logging (application audit_config, Kubernetes API server audit policy, CloudTrail).
#   kinds: [SecurityConfig, aws_cloudtrail, Pod]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.security.audit_config.enabled
	v := {"check": "LOG-01", "resource": r.id, "path": "security.audit_config.enabled",
		"message": "audit logging is disabled (security.audit_config.enabled is false)"}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	object.get(r.body, "enable_logging", true) == false
	v := {"check": "LOG-01", "resource": r.id, "path": "enable_logging",
		"message": sprintf("CloudTrail %s has logging turned off", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("Pod")
	some c in lib.containers(r)
	args := array.concat(object.get(c.spec, "command", []), object.get(c.spec, "args", []))
	some a in args
	endswith(a, "kube-apiserver")
	not audit_flag(args)
	v := {"check": "LOG-01", "resource": r.id, "path": c.path,
		"message": "kube-apiserver runs without --audit-log-path (or --audit-webhook-config-file)"}
}

audit_flag(args) if {
	some a in args
	startswith(a, "--audit-log-path=")
}

audit_flag(args) if {
	some a in args
	startswith(a, "--audit-webhook-config-file=")
}

# METADATA
# title: Required audit events are logged
# custom:
#   id: LOG-02
#   severity: high
#   remediation: Log authentication, authorization denials, admin actions, configuration changes and access to personal data.
#   kinds: [SecurityConfig]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.audit_config.enabled
	events := {e | some e in r.body.security.audit_config.events}
	missing := [e | some e in lib.param("log_required_events", ["authn", "authz_denied", "admin", "config_change", "data_access"]); not events[e]]
	count(missing) > 0
	v := {"check": "LOG-02", "resource": r.id, "path": "security.audit_config.events",
		"message": sprintf("audit log does not record required events: %s", [concat(", ", missing)])}
}

# METADATA
# title: Audit log retention meets the minimum (and, for personal data, a maximum)
# custom:
#   id: LOG-03
#   severity: high
#   remediation: Keep audit logs at least log_retention_min_days (365); where logs hold personal data, set a maximum retention.
#   kinds: [SecurityConfig, aws_cloudwatch_log_group]
violations contains v if {
	some r in lib.of_kind("aws_cloudwatch_log_group")
	days := object.get(r.body, "retention_in_days", 0)
	days > 0
	days < lib.param("log_retention_min_days", 365)
	v := {"check": "LOG-03", "resource": r.id, "path": "retention_in_days",
		"message": sprintf("log group %s keeps logs for %d days, less than the required %d", [r.name, days, lib.param("log_retention_min_days", 365)])}
}

# METADATA
# title: Audit logs are tamper-evident or immutable
# custom:
#   id: LOG-04
#   severity: high
#   remediation: Make audit logs immutable (WORM / object lock) and enable log file validation.
#   kinds: [SecurityConfig, aws_cloudtrail]
violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	object.get(r.body, "enable_log_file_validation", false) != true
	v := {"check": "LOG-04", "resource": r.id, "path": "enable_log_file_validation",
		"message": sprintf("CloudTrail %s does not enable log file validation", [r.name])}
}

# METADATA
# title: Audit logs are shipped to a central store over an encrypted transport
# custom:
#   id: LOG-05
#   severity: medium
#   remediation: Ship audit logs to a central store/SIEM over TLS (syslog+tls://, https://); send CloudTrail to CloudWatch Logs; encrypt log groups with KMS.
#   kinds: [SecurityConfig, aws_cloudtrail, aws_cloudwatch_log_group]
violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	not r.body.cloud_watch_logs_group_arn
	v := {"check": "LOG-05", "resource": r.id,
		"message": sprintf("CloudTrail %s is not shipped to CloudWatch Logs (no cloud_watch_logs_group_arn)", [r.name])}
}
