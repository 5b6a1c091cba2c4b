# AUTH-02 multi-factor authentication.
#
# METADATA
# title: MFA enforced for human and admin access
# custom:
#   id: AUTH-02
#   scope: resource
#   severity: high
#   remediation: Set mfa_required = true (or enforce MFA in the identity provider behind OIDC and keep its policy as evidence); for Cognito set mfa_configuration = "ON".
#   kinds: [SecurityConfig, aws_cognito_user_pool]
#   assesses:
#     SecurityConfig: [facts.auth_methods]
package compliance.checks.auth_02

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	not r.body.security.auth_config.mfa_required
	v := {"check": "AUTH-02", "resource": r.id, "path": "security.auth_config.mfa_required",
		"message": "password logins are allowed without a second factor (mfa_required = false)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	methods := r.body.security.auth_config.methods
	count(methods) > 0
	not "password" in methods
	not "none" in methods
	not r.body.security.auth_config.mfa_required
	v := {"check": "AUTH-02", "resource": r.id, "severity": "low", "path": "security.auth_config.mfa_required",
		"message": sprintf("MFA is not required by the application (methods: %s); any second factor must come from the identity provider or key protection, which needs manual evidence", [concat(", ", methods)])}
}

violations contains v if {
	some r in lib.of_kind("aws_cognito_user_pool")
	mode := upper(object.get(r.body, "mfa_configuration", "OFF"))
	mode != "ON"
	v := {"check": "AUTH-02", "resource": r.id, "severity": cognito_mfa_severity(mode), "path": "mfa_configuration",
		"message": sprintf("Cognito user pool %s does not require MFA (mfa_configuration = %s)", [r.name, mode])}
}

cognito_mfa_severity(mode) := "medium" if mode == "OPTIONAL"
else := "high"
