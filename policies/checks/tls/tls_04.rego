# TLS-04 certificate validity.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   cert_expiry_warn_days  certificate expiring within this many days: medium
#   cert_expiry_high_days  certificate expiring within this many days: high
#
# METADATA
# title: Certificates are not expired or about to expire
# custom:
#   id: TLS-04
#   scope: resource
#   severity: medium
#   remediation: Renew the certificate before it expires and automate renewal (ACME, cert-manager, ACM).
#   kinds: [SecurityConfig]
#   assesses:
#     SecurityConfig: [facts.enabled.tls]
package compliance.checks.tls_04

import data.compliance.lib
import rego.v1

# Scope resource: its own facts.certificate (see TLS-03) and input.now_ns.

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.not_after_ns <= input.now_ns
	v := {"check": "TLS-04", "resource": r.id, "severity": "critical", "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s expired on %s", [cert.file, cert.not_after])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.not_after_ns > input.now_ns
	days := days_left(cert)
	days <= lib.param("cert_expiry_warn_days", 30)
	v := {"check": "TLS-04", "resource": r.id, "severity": expiry_severity(days), "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s expires on %s, in %d days", [cert.file, cert.not_after, days])}
}

days_left(cert) := floor((cert.not_after_ns - input.now_ns) / 86400000000000)

expiry_severity(days) := "high" if days <= lib.param("cert_expiry_high_days", 7)
else := "medium"

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error != null
	v := {"check": "TLS-04", "resource": r.id, "severity": "medium", "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s could not be evaluated (%s); its expiry is unknown", [cert.file, split(cert.error, ". ")[0]])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	not r.body.security.tls_config.cert_file
	v := {"check": "TLS-04", "resource": r.id, "severity": "low", "path": "security.tls_config",
		"message": "TLS is enabled but no cert_file is configured, so certificate expiry cannot be checked"}
}
