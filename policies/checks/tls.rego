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
