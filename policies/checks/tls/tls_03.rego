# TLS-03 certificate keys.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   rsa_min_bits  smallest RSA certificate key
#
# METADATA
# title: Certificate keys and signatures are strong
# custom:
#   id: TLS-03
#   scope: resource
#   severity: high
#   remediation: Reissue the certificate with an RSA key of at least 2048 bits or an ECDSA key on P-256 or stronger, signed with SHA-256 or better.
#   kinds: [SecurityConfig, aws_acm_certificate]
#   assesses:
#     SecurityConfig: [facts.certificate]
package compliance.checks.tls_03

import data.compliance.lib
import rego.v1

# Scope resource: facts.certificate is read by the loader from the SecurityConfig's cert_file;
# the check sees only its own resource, but that resource changes when the certificate file does.

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

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.key_type == "EC"
	not strong_curves[cert.curve]
	v := {"check": "TLS-03", "resource": r.id, "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s uses elliptic curve %s; P-256 or stronger is required", [cert.file, cert.curve])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	cert.key_type in {"DSA", "unknown"}
	v := {"check": "TLS-03", "resource": r.id, "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s has a %s key; use RSA (2048+ bits), ECDSA (P-256+) or Ed25519", [cert.file, cert.key_type])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	cert := r.facts.certificate
	cert.error == null
	weak_hashes[cert.signature_hash]
	v := {"check": "TLS-03", "resource": r.id, "path": "security.tls_config.cert_file",
		"message": sprintf("certificate %s is signed with %s; SHA-256 or better is required", [cert.file, upper(cert.signature_hash)])}
}

strong_curves := {"secp256r1", "secp384r1", "secp521r1"}

weak_hashes := {"md5", "sha1", "sha224"}

violations contains v if {
	some r in lib.of_kind("aws_acm_certificate")
	algorithm := object.get(r.body, "key_algorithm", "RSA_2048")
	not strong_acm_algorithms[algorithm]
	v := {"check": "TLS-03", "resource": r.id, "path": "key_algorithm",
		"message": sprintf("ACM certificate %s uses key algorithm %s; use RSA_2048 or stronger, or EC_prime256v1 or stronger", [r.name, algorithm])}
}

strong_acm_algorithms := {"RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"}
