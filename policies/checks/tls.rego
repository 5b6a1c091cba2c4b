# Transport encryption: TLS versions, ciphers, certificates, mTLS.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   tls_min_version          lowest TLS version a SecurityConfig may allow (TLS-01)
#   rsa_min_bits             smallest RSA certificate key (TLS-03)
#   cert_expiry_warn_days    certificate expiring within this many days: medium (TLS-04)
#   cert_expiry_high_days    certificate expiring within this many days: high (TLS-04)
package compliance.checks.tls

import data.compliance.lib
import rego.v1

lb_listener_kinds := {"aws_lb_listener", "aws_alb_listener"}

# METADATA
# title: TLS 1.2 or newer, no plaintext listeners on external endpoints
# custom:
#   id: TLS-01
#   scope: resource
#   severity: high
#   remediation: Set the minimum TLS version to 1.2 (1.3 preferred) and terminate TLS on every external listener.
#   kinds: [ComposeService, Ingress, SecurityConfig, Service, aws_alb_listener, aws_elasticache_replication_group, aws_elasticsearch_domain, aws_elb, aws_lb_listener, aws_opensearch_domain, azurerm_mssql_server, azurerm_mysql_server, azurerm_postgresql_server, azurerm_redis_cache, azurerm_storage_account, google_sql_database_instance]
#   assesses:
#     Service: [facts.exposure.LoadBalancer, facts.exposure.NodePort]
#     ComposeService: [facts.ports.*]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.security.tls_config.enabled
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "security.tls_config.enabled",
		"message": sprintf("TLS is disabled: %s serves plaintext", [listener_name(r)])}
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

listener_name(r) := addr if {
	addr := r.body.network.listen_addr
	is_string(addr)
} else := "the listener"

tls_version_severity(version) := "critical" if version == "1.0"
else := "high" if version == "1.1"
else := "medium"

violations contains v if {
	some r in lib.of_kind("Ingress")
	count(object.get(r.body, ["spec", "tls"], [])) == 0
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "spec",
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
	not host_covered(host, covered)
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": sprintf("spec.rules[%d].host", [i]),
		"message": sprintf("Ingress host %s is not covered by a TLS certificate", [host])}
}

host_covered(host, covered) if covered[host]

# A wildcard TLS host (*.example.com) covers exactly one more label.
host_covered(host, covered) if {
	some pattern in covered
	startswith(pattern, "*.")
	suffix := substring(pattern, 1, -1)
	endswith(host, suffix)
	not contains(substring(host, 0, count(host) - count(suffix)), ".")
}

# A Service reachable from outside the cluster that offers plain HTTP and no HTTPS port.
violations contains v if {
	some r in lib.of_kind("Service")
	object.get(r.body, ["spec", "type"], "ClusterIP") in {"LoadBalancer", "NodePort"}
	ports := object.get(r.body, ["spec", "ports"], [])
	not offers_https(ports)
	some i, p in ports
	p.port in plaintext_ports
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": sprintf("spec.ports[%d]", [i]),
		"message": sprintf("%s Service %s exposes plaintext HTTP port %d outside the cluster with no TLS port", [r.body.spec.type, r.name, p.port])}
}

plaintext_ports := {80, 8080}

tls_ports := {443, 8443}

offers_https(ports) if {
	some p in ports
	p.port in tls_ports
}

# A compose service publishing plain HTTP on every host interface, with no HTTPS port.
violations contains v if {
	some r in lib.of_kind("ComposeService")
	not compose_offers_https(r)
	some p in r.facts.ports
	to_number(p.published) in plaintext_ports
	object.get(p, "host_ip", null) in {null, "0.0.0.0", "::"}
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "line": p.line,
		"message": sprintf("compose service %s publishes plaintext HTTP port %s on all interfaces with no TLS port", [r.name, p.published])}
}

compose_offers_https(r) if {
	some p in r.facts.ports
	is_string(p.published)
	to_number(p.published) in tls_ports
}

violations contains v if {
	some kind in lb_listener_kinds
	some r in lib.of_kind(kind)
	protocol := upper(object.get(r.body, "protocol", "HTTP"))
	plaintext_listener(protocol, object.get(r.body, "port", 0))
	not redirects_to_https(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "protocol",
		"message": sprintf("load balancer listener on port %v accepts plaintext %s", [object.get(r.body, "port", "?"), protocol])}
}

plaintext_listener(protocol, _) if protocol == "HTTP"

# TCP on 443/8443 is usually TLS passed through to the backend; only plain web ports are flagged.
plaintext_listener(protocol, port) if {
	protocol == "TCP"
	port in plaintext_ports
}

violations contains v if {
	some kind in lb_listener_kinds
	some r in lib.of_kind(kind)
	upper(object.get(r.body, "protocol", "")) in {"HTTPS", "TLS"}
	policy := object.get(r.body, "ssl_policy", default_elb_policy)
	lowest := old_tls_policies[policy]
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(lowest), "path": policy_path(r),
		"message": sprintf("listener TLS policy %s still allows TLS %s", [policy, lowest])}
}

# Classic ELB: listener blocks with a plaintext protocol on an internet-facing load balancer.
violations contains v if {
	some r in lib.of_kind("aws_elb")
	not object.get(r.body, "internal", false) == true
	some i, l in as_list(object.get(r.body, "listener", []))
	protocol := upper(object.get(l, "lb_protocol", ""))
	plaintext_listener(protocol, object.get(l, "lb_port", 0))
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": elb_listener_path(r, i),
		"message": sprintf("classic load balancer %s accepts plaintext %s on port %v", [r.name, protocol, object.get(l, "lb_port", "?")])}
}

elb_listener_path(r, i) := sprintf("listener[%d]", [i]) if is_array(r.body.listener)
else := "listener"

default_elb_policy := "ELBSecurityPolicy-2016-08"

# Without ssl_policy AWS applies the default policy; point at the protocol line instead.
policy_path(r) := "ssl_policy" if r.body.ssl_policy
else := "protocol"

# Predefined ELB policies that allow a TLS version below 1.2, with the lowest one.
old_tls_policies := {
	"ELBSecurityPolicy-2011-08": "1.0",
	"ELBSecurityPolicy-2015-03": "1.0",
	"ELBSecurityPolicy-2015-05": "1.0",
	"ELBSecurityPolicy-2016-08": "1.0",
	"ELBSecurityPolicy-TLS-1-0-2015-04": "1.0",
	"ELBSecurityPolicy-FS-2018-06": "1.0",
	"ELBSecurityPolicy-TLS13-1-0-2021-06": "1.0",
	"ELBSecurityPolicy-TLS-1-1-2017-01": "1.1",
	"ELBSecurityPolicy-FS-1-1-2019-08": "1.1",
	"ELBSecurityPolicy-TLS13-1-1-2021-06": "1.1",
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

# Control-plane components started with --tls-cipher-suites (kube-apiserver, kubelet, etcd --cipher-suites).
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	cmd := lib.command_line(c.spec)
	some flag in ["tls-cipher-suites", "cipher-suites"]
	value := flag_value(cmd, flag)
	weak := [s | some s in split(value, ","); s != ""; not strong_suite(trim_space(s))]
	count(weak) > 0
	v := {"check": "TLS-02", "resource": r.id, "severity": "high", "path": c.path,
		"message": sprintf("container %s allows weak cipher suites through --%s: %s", [c.name, flag, concat(", ", weak)])}
}

violations contains v if {
	some kind in lb_listener_kinds
	some r in lib.of_kind(kind)
	upper(object.get(r.body, "protocol", "")) in {"HTTPS", "TLS"}
	policy := object.get(r.body, "ssl_policy", default_elb_policy)
	not aead_only_policies[policy]
	v := {"check": "TLS-02", "resource": r.id, "severity": policy_cipher_severity(policy), "path": policy_path(r),
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

strong_suite(suite) if regex.match(`^(TLS_)?(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$`, upper(suite))

strong_suite(suite) if regex.match(`^(TLS_)?ECDHE_(RSA|ECDSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305(_SHA256)?)$`, upper(suite))

# OpenSSL names.
strong_suite(suite) if regex.match(`^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$`, upper(suite))

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


# The value of --name=value, --name value, or "true" for a bare --name.
flag_value(cmd, name) := value if {
	some arg in cmd
	startswith(arg, sprintf("--%s=", [name]))
	value := substring(arg, count(name) + 3, -1)
} else := value if {
	some i, arg in cmd
	arg == sprintf("--%s", [name])
	value := bare_flag_value(cmd, i)
}

bare_flag_value(cmd, i) := cmd[i + 1] if {
	count(cmd) > i + 1
	not startswith(cmd[i + 1], "-")
} else := "true"


# Scope resource: facts.certificate is read by the loader from the SecurityConfig's cert_file;
# the check sees only its own resource, but that resource changes when the certificate file does.

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

# Scope resource: its own facts.certificate (see TLS-03) and input.now_ns.

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

# METADATA
# title: Mutual TLS for service-to-service and control-plane traffic
# custom:
#   id: TLS-05
#   scope: resource
#   severity: high
#   remediation: Require client certificates (client_auth = "require") on service endpoints, and configure client-certificate authentication for etcd, the API server and kubelets.
#   kinds: [SecurityConfig, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   assesses:
#     SecurityConfig: [facts.enabled.tls, facts.auth_methods.mtls]
#     Pod: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     Deployment: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     StatefulSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     DaemonSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     ReplicaSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     ReplicationController: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     Job: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     CronJob: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	mode := r.body.security.tls_config.client_auth
	mode != "require"
	v := {"check": "TLS-05", "resource": r.id, "severity": client_auth_severity(mode), "path": "security.tls_config.client_auth",
		"message": sprintf("client certificates are not required (client_auth = %s): peers are not authenticated by mutual TLS", [mode])}
}

client_auth_severity(mode) := "medium" if mode == "request"
else := "high"

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.security.tls_config.enabled
	"mtls" in r.body.security.auth_config.methods
	v := {"check": "TLS-05", "resource": r.id, "severity": "high", "path": "security.auth_config.methods",
		"message": "authentication method mtls is configured but TLS is disabled, so no client certificate can be checked"}
}

# Control-plane flags: each component, the flag it needs, and what it protects.
mtls_flags := [
	{"binary": "kube-apiserver", "flag": "client-ca-file", "what": "clients are not verified by certificate"},
	{"binary": "kube-apiserver", "flag": "kubelet-client-certificate", "what": "the API server does not authenticate to kubelets with a client certificate"},
	{"binary": "kube-apiserver", "flag": "etcd-certfile", "what": "the API server does not authenticate to etcd with a client certificate"},
	{"binary": "kube-apiserver", "flag": "etcd-cafile", "what": "the API server does not verify etcd's certificate"},
	{"binary": "etcd", "flag": "client-cert-auth", "what": "etcd accepts clients without a certificate"},
	{"binary": "etcd", "flag": "peer-client-cert-auth", "what": "etcd accepts peers without a certificate"},
	{"binary": "kubelet", "flag": "client-ca-file", "what": "the kubelet does not verify clients by certificate"},
]

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some f in mtls_flags
	lib.runs(c.spec, f.binary)
	not flag_enabled(lib.command_line(c.spec), f.flag)
	v := {"check": "TLS-05", "resource": r.id, "severity": "high", "path": c.path,
		"message": sprintf("container %s runs %s without --%s: %s", [c.name, f.binary, f.flag, f.what])}
}

flag_enabled(cmd, name) if {
	value := flag_value(cmd, name)
	value != ""
	value != "false"
}
