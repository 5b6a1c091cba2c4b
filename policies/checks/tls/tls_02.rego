# TLS-02 strong cipher suites (SecurityConfig, control-plane flags, AWS TLS policies).
#
# METADATA
# title: Strong cipher suites only (ECDHE with AEAD, or TLS 1.3 suites)
# custom:
#   id: TLS-02
#   scope: resource
#   severity: high
#   remediation: Limit cipher suites to ECDHE key exchange with AES-GCM or CHACHA20-POLY1305 (or the TLS 1.3 suites); remove CBC, static RSA, 3DES, RC4, NULL and EXPORT suites.
#   kinds: [SecurityConfig, aws_lb_listener, aws_alb_listener, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, aws_elasticsearch_domain, aws_opensearch_domain]
#   assesses:
#     SecurityConfig: [body.security.tls_config.cipher_suites.*]
#     Pod: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     Deployment: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     StatefulSet: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     DaemonSet: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     ReplicaSet: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     ReplicationController: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     Job: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     CronJob: [facts.flags.tls-cipher-suites, facts.flags.cipher-suites]
#     aws_elasticsearch_domain: [body.domain_endpoint_options.tls_security_policy]
#     aws_opensearch_domain: [body.domain_endpoint_options.tls_security_policy]
package compliance.checks.tls_02

import data.compliance.lib
import data.compliance.lib.tls as tls_lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	suites := r.body.security.tls_config.cipher_suites
	is_array(suites)
	some i, suite in suites
	not strong_suite(suite)
	v := {"check": "TLS-02", "resource": r.id, "severity": suite_severity(suite), "path": sprintf("security.tls_config.cipher_suites[%d]", [i]),
		"message": sprintf("cipher suite %s is weak (%s); allow only ECDHE with AES-GCM or CHACHA20-POLY1305, or TLS 1.3 suites", [suite, suite_weakness(suite)])}
}

# Containers started with --tls-cipher-suites (kube-apiserver, kubelet) or --cipher-suites
# (etcd): the workload container, the flag and its value. The workload's facts.flags name
# the flags some container of it passes.
cipher_flags := [{"workload": w, "flag": flag, "value": value} |
	some w in lib.workload_containers
	some flag in ["tls-cipher-suites", "cipher-suites"]
	w.resource.facts.flags[flag]
	value := tls_lib.flag_value(lib.command_line(w.container.spec), flag)
]

# The weak suites of each distinct flag value, judged once (the same list recurs).
weak_suites[value] := [s | some s in split(value, ","); s != ""; not strong_suite(trim_space(s))] if {
	some value in {x.value | some x in cipher_flags}
}

violations contains v if {
	some x in cipher_flags
	weak := weak_suites[x.value]
	count(weak) > 0
	r := x.workload.resource
	c := x.workload.container
	flag := x.flag
	v := {"check": "TLS-02", "resource": r.id, "severity": "high", "path": c.path,
		"message": sprintf("container %s allows weak cipher suites through --%s: %s", [c.name, flag, concat(", ", weak)])}
}

violations contains v if {
	some kind in tls_lib.lb_listener_kinds
	some r in lib.of_kind(kind)
	upper(object.get(r.body, "protocol", "")) in {"HTTPS", "TLS"}
	policy := object.get(r.body, "ssl_policy", tls_lib.default_elb_policy)
	not aead_only_policies[policy]
	v := {"check": "TLS-02", "resource": r.id, "severity": policy_cipher_severity(policy), "path": tls_lib.policy_path(r),
		"message": policy_cipher_message(policy)}
}

# Predefined ELB policies whose suites are all ECDHE+AEAD or TLS 1.3.
aead_only_policies := {
	"ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
	"ELBSecurityPolicy-FS-1-2-Res-2020-10",
	"ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
}

# Policies that add only forward-secret ECDHE CBC suites with SHA-2 MACs to the AEAD ones.
ecdhe_cbc_policies := {
	"ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
	"ELBSecurityPolicy-FS-1-2-Res-2019-08",
	"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
}

policy_cipher_severity(policy) := "low" if ecdhe_cbc_policies[policy]
else := "high"

policy_cipher_message(policy) := sprintf("listener TLS policy %s also allows ECDHE CBC suites (forward secret, not AEAD); a -Res- policy allows only AEAD suites", [policy]) if ecdhe_cbc_policies[policy]
else := sprintf("listener TLS policy %s allows weak cipher suites (static RSA key exchange, SHA-1 or CBC)", [policy])

strong_suite(suite) if upper(suite) in strong_suites

# Strong suites in upper case: the TLS 1.3 suites, and ECDHE with AES-GCM or
# CHACHA20-POLY1305 by their IANA and OpenSSL names (a set: one lookup per suite).
strong_suites := tls13_suites | iana_ecdhe_aead_suites | openssl_ecdhe_aead_suites

tls13_suites := {concat("", [prefix, s]) |
	some prefix in ["", "TLS_"]
	some s in ["AES_128_GCM_SHA256", "AES_256_GCM_SHA384", "CHACHA20_POLY1305_SHA256"]
}

iana_ecdhe_aead_suites := {concat("", [prefix, "ECDHE_", auth, "_WITH_", cipher]) |
	some prefix in ["", "TLS_"]
	some auth in ["RSA", "ECDSA"]
	some cipher in [
		"AES_128_GCM_SHA256", "AES_128_GCM_SHA384", "AES_256_GCM_SHA256", "AES_256_GCM_SHA384",
		"CHACHA20_POLY1305", "CHACHA20_POLY1305_SHA256",
	]
}

openssl_ecdhe_aead_suites := {concat("", ["ECDHE-", auth, "-", cipher]) |
	some auth in ["RSA", "ECDSA"]
	some cipher in ["AES128-GCM-SHA256", "AES128-GCM-SHA384", "AES256-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305"]
}

# ECDHE with CBC and a SHA-2 MAC: forward secret, not AEAD.
ecdhe_cbc_sha2(suite) if regex.match(`^(TLS_)?ECDHE_(RSA|ECDSA)_WITH_AES_(128|256)_CBC_SHA(256|384)$`, upper(suite))

ecdhe_cbc_sha2(suite) if regex.match(`^ECDHE-(RSA|ECDSA)-AES(128|256)-SHA(256|384)$`, upper(suite))

suite_severity(suite) := "low" if ecdhe_cbc_sha2(suite)
else := "high"

suite_weakness(suite) := "export-grade" if contains(upper(suite), "EXPORT")
else := "no encryption" if contains(upper(suite), "NULL")
else := "RC4" if contains(upper(suite), "RC4")
else := "3DES" if regex.match(`3DES|DES_CBC|DES-CBC`, upper(suite))
else := "no forward secrecy" if not contains(upper(suite), "ECDHE")
else := "CBC mode, not AEAD" if regex.match(`CBC|-SHA(256|384)?$|_SHA$`, upper(suite))
else := "not an AEAD suite"

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	policy := tls_lib.search_policy(r)
	startswith(policy, "Policy-Min-TLS-")
	not contains(policy, "-PFS-")
	v := {"check": "TLS-02", "resource": r.id, "severity": search_cipher_severity(policy), "path": "domain_endpoint_options.tls_security_policy",
		"message": sprintf("%s %s uses tls_security_policy %s, which allows non-AEAD cipher suites; use Policy-Min-TLS-1-2-PFS-2023-10", [what, r.name, policy])}
}

search_cipher_severity(policy) := "high" if policy == "Policy-Min-TLS-1-0-2019-07"
else := "low"
