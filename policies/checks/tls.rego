# Transport encryption: TLS versions, ciphers, certificates, mTLS.
package compliance.checks.tls

import data.compliance.lib
import rego.v1

# METADATA
# title: TLS 1.2 or newer, no plaintext listeners on external endpoints
# custom:
#   id: TLS-01
#   severity: high
#   remediation: Set the minimum TLS version to 1.2 (1.3 preferred) and terminate TLS on every external listener.
#   kinds: [SecurityConfig, Ingress, aws_lb_listener]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.security.tls_config.enabled
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "security.tls_config.enabled",
		"message": sprintf("TLS is disabled: %s serves plaintext", [object.get(r.body, ["network", "listen_addr"], "the listener")])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	have := r.body.security.tls_config.min_version
	want := lib.param("tls_min_version", "1.2")
	lib.tls_rank[have] < lib.tls_rank[want]
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(have), "path": "security.tls_config.min_version",
		"message": sprintf("minimum TLS version is %s; at least %s is required", [have, want])}
}

tls_version_severity(version) := "critical" if version == "1.0"
else := "high" if version == "1.1"
else := "medium"

violations contains v if {
	some r in lib.of_kind("Ingress")
	count(object.get(r.body, ["spec", "tls"], [])) == 0
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "spec",
		"message": sprintf("Ingress %s has no TLS section: its hosts are served over plaintext HTTP", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("Ingress")
	tls := object.get(r.body, ["spec", "tls"], [])
	count(tls) > 0
	covered := {h | some t in tls; some h in object.get(t, "hosts", [])}
	some i, rule in object.get(r.body, ["spec", "rules"], [])
	host := object.get(rule, "host", "")
	host != ""
	not covered[host]
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": sprintf("spec.rules[%d].host", [i]),
		"message": sprintf("Ingress host %s is not covered by a TLS certificate", [host])}
}

weak_elb_policies := {
	"ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-0-2015-04",
	"ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08",
}

violations contains v if {
	some r in lib.of_kind("aws_lb_listener")
	upper(object.get(r.body, "protocol", "HTTP")) in {"HTTP", "TCP"}
	not redirects_to_https(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "protocol",
		"message": sprintf("load balancer listener on port %v accepts plaintext %s", [object.get(r.body, "port", "?"), upper(object.get(r.body, "protocol", "HTTP"))])}
}

violations contains v if {
	some r in lib.of_kind("aws_lb_listener")
	upper(object.get(r.body, "protocol", "")) in {"HTTPS", "TLS"}
	policy := object.get(r.body, "ssl_policy", "ELBSecurityPolicy-2016-08")
	weak_elb_policies[policy]
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "ssl_policy",
		"message": sprintf("listener TLS policy %s still allows TLS 1.0/1.1", [policy])}
}

redirects_to_https(r) if {
	some action in as_list(object.get(r.body, "default_action", []))
	action.type == "redirect"
	some redirect in as_list(object.get(action, "redirect", []))
	upper(object.get(redirect, "protocol", "")) == "HTTPS"
}

as_list(x) := x if is_array(x)
else := [x]

# METADATA
# title: Strong cipher suites only (ECDHE with AEAD, or TLS 1.3 suites)
# custom:
#   id: TLS-02
#   severity: high
#   remediation: Limit cipher suites to ECDHE key exchange with AES-GCM or CHACHA20-POLY1305 (or the TLS 1.3 suites); remove CBC, static RSA, 3DES, RC4, NULL and EXPORT suites.
#   kinds: [SecurityConfig, aws_lb_listener, Pod]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	suites := r.body.security.tls_config.cipher_suites
	is_array(suites)
	some i, suite in suites
	not strong_suite(suite)
	v := {"check": "TLS-02", "resource": r.id, "path": sprintf("security.tls_config.cipher_suites[%d]", [i]),
		"message": sprintf("cipher suite %s is weak (%s); allow only ECDHE with AES-GCM or CHACHA20-POLY1305, or TLS 1.3 suites", [suite, suite_weakness(suite)])}
}

# METADATA
# title: Certificate keys and signatures are strong
# custom:
#   id: TLS-03
#   severity: high
#   remediation: Reissue the certificate with an RSA key of at least 2048 bits or an ECDSA key on P-256 or stronger, signed with SHA-256 or better.
#   kinds: [SecurityConfig, aws_acm_certificate]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.key_type == "RSA"
	want := lib.param("rsa_min_bits", 2048)
	cert.key_size < want
	v := {"check": "TLS-03", "resource": r.id, "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s has a %d-bit RSA key; at least %d bits are required", [cert.file, cert.key_size, want])}
}

# METADATA
# title: Certificates are not expired or about to expire
# custom:
#   id: TLS-04
#   severity: medium
#   remediation: Renew the certificate before it expires and automate renewal (ACME, cert-manager, ACM).
#   kinds: [SecurityConfig]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.not_after_ns <= input.now_ns
	v := {"check": "TLS-04", "resource": r.id, "severity": "critical", "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s expired on %s", [cert.file, cert.not_after])}
}

# METADATA
# title: Mutual TLS for service-to-service and control-plane traffic
# custom:
#   id: TLS-05
#   severity: high
#   remediation: Require client certificates (client_auth = "require") on service endpoints, and configure client-certificate authentication for etcd, the API server and kubelets.
#   kinds: [SecurityConfig, Pod]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	r.body.security.tls_config.client_auth != "require"
	v := {"check": "TLS-05", "resource": r.id, "path": "security.tls_config.client_auth",
		"message": sprintf("client certificates are not required (client_auth = %s): peers are not authenticated by mutual TLS", [r.body.security.tls_config.client_auth])}
}

strong_suite(suite) if regex.match(`^(TLS_)?(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$`, upper(suite))

strong_suite(suite) if regex.match(`^(TLS_)?ECDHE_(RSA|ECDSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305(_SHA256)?)$`, upper(suite))

suite_weakness(suite) := "export-grade" if contains(upper(suite), "EXPORT")
else := "no encryption" if contains(upper(suite), "NULL")
else := "RC4" if contains(upper(suite), "RC4")
else := "3DES" if contains(upper(suite), "3DES")
else := "CBC mode" if contains(upper(suite), "CBC")
else := "no forward secrecy" if not contains(upper(suite), "ECDHE")
else := "not an AEAD suite"
