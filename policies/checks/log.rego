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
