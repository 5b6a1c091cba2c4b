# Helpers shared by the TLS checks (TLS-01, TLS-02, TLS-05). No violations here.
package compliance.lib.tls

import rego.v1

lb_listener_kinds := {"aws_lb_listener", "aws_alb_listener"}

default_elb_policy := "ELBSecurityPolicy-2016-08"

# Without ssl_policy AWS applies the default policy; point at the protocol line instead.
policy_path(r) := "ssl_policy" if r.body.ssl_policy
else := "protocol"

# The value of --name=value, --name value, or "true" for a bare --name.
flag_value(cmd, name) := value if {
	prefix := concat("", ["--", name, "="])
	some arg in cmd
	startswith(arg, prefix)
	value := substring(arg, count(prefix), -1)
} else := value if {
	flag := concat("", ["--", name])
	some i, arg in cmd
	arg == flag
	value := bare_flag_value(cmd, i)
}

bare_flag_value(cmd, i) := cmd[i + 1] if {
	count(cmd) > i + 1
	not startswith(cmd[i + 1], "-")
} else := "true"

endpoint_options(r) := object.get(r.body, "domain_endpoint_options", {})

# AWS names: Policy-Min-TLS-1-0-2019-07 (TLS 1.0+), Policy-Min-TLS-1-2-2019-07 (TLS 1.2+, CBC
# suites too), Policy-Min-TLS-1-2-PFS-2023-10 (TLS 1.2+, forward-secret AEAD suites).
search_policy(r) := object.get(endpoint_options(r), "tls_security_policy", "")
