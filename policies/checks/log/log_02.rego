# LOG-02 audit events recorded.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   log_required_events  SecurityConfig audit events that must be recorded
#
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
package compliance.checks.log_02

import data.compliance.lib
import data.compliance.lib.log as log_lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	log_lib.audit(r).enabled
	events := {e | some e in log_lib.audit(r).events}
	missing := [e | some e in lib.param("log_required_events", ["authn", "authz_denied", "admin", "config_change", "data_access"]); not events[e]]
	count(missing) > 0
	v := {"check": "LOG-02", "resource": r.id, "path": "security.audit_config.events",
		"message": sprintf("the audit log does not record required events: %s", [concat(", ", missing)])}
}
