# AUTH-04 session timeouts.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   session_timeout_max_minutes  longest allowed session idle timeout
#
# METADATA
# title: Session idle timeout
# custom:
#   id: AUTH-04
#   scope: resource
#   severity: medium
#   remediation: Set session_timeout_minutes to 15 or less (PCI DSS 8.2.8), or to the limit your pack sets.
#   kinds: [SecurityConfig]
#   assesses:
#     SecurityConfig: [facts.auth_methods.password, facts.auth_methods.oidc, body.security.auth_config.session_timeout_minutes]
package compliance.checks.auth_04

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	have := r.body.security.auth_config.session_timeout_minutes
	is_number(have)
	want := lib.param("session_timeout_max_minutes", 15)
	have > want
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config.session_timeout_minutes",
		"message": sprintf("sessions stay open for %d idle minutes; at most %d are allowed", [have, want])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	have := r.body.security.auth_config.session_timeout_minutes
	is_number(have)
	have <= 0
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config.session_timeout_minutes",
		"message": sprintf("session_timeout_minutes is %d: sessions never time out", [have])}
}

# Interactive logins (password, OIDC) without any idle timeout. Machine-only methods (mtls,
# api_key) have no sessions to time out.
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.auth_config.session_timeout_minutes == null
	some method in r.body.security.auth_config.methods
	method in {"password", "oidc"}
	v := {"check": "AUTH-04", "resource": r.id, "path": "security.auth_config",
		"message": sprintf("no session idle timeout is configured for %s logins (session_timeout_minutes is unset)", [method])}
}
