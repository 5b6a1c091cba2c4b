# TLS-01 TLS 1.2 or newer and no plaintext listeners.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   tls_min_version  lowest TLS version a SecurityConfig may allow
#
# On AWS: load balancer listeners and their TLS policies, Elasticsearch/OpenSearch HTTPS
# enforcement, TLS policy and node-to-node encryption, ElastiCache in-transit encryption. On
# Azure and GCP: storage accounts and SQL servers that accept plaintext or old TLS.
#
# Judgements: only what a resource says is judged; provider defaults (HTTPS only, TLS 1.2 on
# current azurerm) are not findings. A Cloud SQL instance that neither sets require_ssl nor an
# encrypting ssl_mode accepts unencrypted connections: Cloud SQL's default.
#
# METADATA
# title: TLS 1.2 or newer, no plaintext listeners on external endpoints
# custom:
#   id: TLS-01
#   scope: resource
#   severity: high
#   remediation: Set the minimum TLS version to 1.2 (1.3 preferred) and terminate TLS on every external listener.
#   kinds: [ComposeService, Ingress, SecurityConfig, Service, aws_alb_listener, aws_elasticache_replication_group, aws_elasticsearch_domain, aws_elb, aws_lb_listener, aws_opensearch_domain, azurerm_app_service, azurerm_linux_web_app, azurerm_mssql_server, azurerm_mysql_server, azurerm_postgresql_server, azurerm_redis_cache, azurerm_storage_account, azurerm_windows_web_app, google_sql_database_instance]
#   assesses:
#     Service: [facts.exposure.transport]
#     ComposeService: [facts.ports.*.transport]
package compliance.checks.tls_01

import data.compliance.lib
import data.compliance.lib.tls as tls_lib
import rego.v1

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

# A Service reachable from outside the cluster that offers plain HTTP and no TLS. What a
# port carries is the loader's evidence (facts.exposure.transport, compliance/inputs/k8s_service.py):
# port 80/8080 or a name/targetPort/appProtocol saying http is plain HTTP; 443/8443, https/tls
# names or appProtocol, or a load balancer annotation terminating TLS is TLS. A LoadBalancer or
# NodePort Service whose ports give no such evidence (an unnamed port 5000) is not assessed.
violations contains v if {
	some r in lib.of_kind("Service")
	transport := r.facts.exposure.transport
	count(transport.tls) == 0
	count(transport.annotations) == 0
	some i in transport.http
	p := r.body.spec.ports[i]
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": sprintf("spec.ports[%d]", [i]),
		"message": sprintf("%s Service %s exposes plaintext HTTP port %v outside the cluster with no TLS port", [r.body.spec.type, r.name, p.port])}
}

plaintext_ports := {80, 8080}

# A compose service publishing plain HTTP on every host interface, with no HTTPS port. A
# port's transport is known from its host or container port number (facts.ports[*].transport:
# 80/8080 http, 443/8443 tls); a port whose numbers say nothing (5432, 30303) is not judged
# and does not count as assessed.
violations contains v if {
	some r in lib.of_kind("ComposeService")
	not compose_offers_https(r)
	some p in r.facts.ports
	p.transport == "http"
	object.get(p, "host_ip", null) in {null, "0.0.0.0", "::"}
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "line": p.line,
		"message": sprintf("compose service %s publishes plaintext HTTP port %s on all interfaces with no TLS port", [r.name, published_port(p)])}
}

published_port(p) := p.published if {
	is_string(p.published)
	p.published != ""
} else := sprintf("%v (on an ephemeral host port)", [p.target])

compose_offers_https(r) if {
	some p in r.facts.ports
	p.transport == "tls"
}

violations contains v if {
	some kind in tls_lib.lb_listener_kinds
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
	some kind in tls_lib.lb_listener_kinds
	some r in lib.of_kind(kind)
	upper(object.get(r.body, "protocol", "")) in {"HTTPS", "TLS"}
	policy := object.get(r.body, "ssl_policy", tls_lib.default_elb_policy)
	lowest := old_tls_policies[policy]
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(lowest), "path": tls_lib.policy_path(r),
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

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	not object.get(tls_lib.endpoint_options(r), "enforce_https", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "domain_endpoint_options.enforce_https",
		"message": sprintf("%s %s accepts plaintext HTTP (domain_endpoint_options.enforce_https is not true)", [what, r.name])}
}

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	not node_to_node(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "node_to_node_encryption.enabled",
		"message": sprintf("%s %s does not encrypt traffic between its nodes (node_to_node_encryption.enabled is not true)", [what, r.name])}
}

node_to_node(r) if object.get(r.body, ["node_to_node_encryption", "enabled"], false) == true

node_to_node(r) if {
	not r.body.node_to_node_encryption
	some d in as_list(object.get(r.body, "dynamic", []))
	d.node_to_node_encryption
}

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	tls_lib.search_policy(r) == "Policy-Min-TLS-1-0-2019-07"
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "domain_endpoint_options.tls_security_policy",
		"message": sprintf("%s %s allows TLS 1.0 (tls_security_policy %s)", [what, r.name, tls_lib.search_policy(r)])}
}

violations contains v if {
	some r in lib.of_kind("aws_elasticache_replication_group")
	not object.get(r.body, "transit_encryption_enabled", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "transit_encryption_enabled",
		"message": sprintf("ElastiCache replication group %s does not encrypt client and replication traffic (transit_encryption_enabled is not true)", [r.name])}
}

azure_min_tls_fields := {
	"azurerm_storage_account": "min_tls_version",
	"azurerm_mssql_server": "minimum_tls_version",
	"azurerm_postgresql_server": "ssl_minimal_tls_version_enforced",
	"azurerm_mysql_server": "ssl_minimal_tls_version_enforced",
	"azurerm_redis_cache": "minimum_tls_version",
}

violations contains v if {
	some kind, field in azure_min_tls_fields
	some r in lib.of_kind(kind)
	have := lib.azure_tls_version(object.get(r.body, field, ""))
	want := lib.param("tls_min_version", "1.2")
	lib.tls_rank_of(have) < lib.tls_rank_of(want)
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(have), "path": field,
		"message": sprintf("%s %s allows TLS %s (%s); at least %s is required", [kind, r.name, have, field, want])}
}

violations contains v if {
	some kind, field in azure_min_tls_fields
	some r in lib.of_kind(kind)
	object.get(r.body, field, "") in {"Disabled", "TLSEnforcementDisabled"}
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s does not enforce a minimum TLS version (%s is %s)", [kind, r.name, field, r.body[field]])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_storage_account")
	some field in ["enable_https_traffic_only", "https_traffic_only_enabled"]
	object.get(r.body, field, true) == false
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("storage account %s accepts plaintext HTTP (%s is false)", [r.name, field])}
}

violations contains v if {
	some kind in ["azurerm_postgresql_server", "azurerm_mysql_server"]
	some r in lib.of_kind(kind)
	object.get(r.body, "ssl_enforcement_enabled", true) == false
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "ssl_enforcement_enabled",
		"message": sprintf("%s %s accepts unencrypted connections (ssl_enforcement_enabled is false)", [kind, r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_redis_cache")
	object.get(r.body, "enable_non_ssl_port", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "enable_non_ssl_port",
		"message": sprintf("Redis cache %s opens its plaintext port (enable_non_ssl_port is true)", [r.name])}
}

gcp_ssl_modes := {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}

gcp_sql_ip_config(r) := ip.block if {
	some settings in lib.blocks(r.body, "settings")
	some ip in lib.blocks(settings.block, "ip_configuration")
}

gcp_sql_requires_ssl(r) if gcp_sql_ip_config(r).require_ssl == true

gcp_sql_requires_ssl(r) if gcp_sql_ip_config(r).ssl_mode in gcp_ssl_modes

violations contains v if {
	some r in lib.of_kind("google_sql_database_instance")
	not is_string(r.body.settings) # settings from a variable or module: not judged
	not gcp_sql_requires_ssl(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "settings",
		"message": sprintf("Cloud SQL instance %s accepts unencrypted connections (no require_ssl = true or ssl_mode ENCRYPTED_ONLY)", [r.name])}
}

# Azure App Service: https_only is false unless the configuration sets it (the provider's
# default), so unset is a finding; a reference (`var.x`) is not judged. The site's minimum TLS
# version is judged only where site_config sets it (the default is 1.2).
app_service_tls_fields := {
	"azurerm_app_service": "min_tls_version",
	"azurerm_linux_web_app": "minimum_tls_version",
	"azurerm_windows_web_app": "minimum_tls_version",
}

violations contains v if {
	some kind, _ in app_service_tls_fields
	some r in lib.of_kind(kind)
	object.get(r.body, "https_only", false) == false
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "https_only",
		"message": sprintf("%s %s accepts plaintext HTTP (https_only is not true)", [kind, r.name])}
}

violations contains v if {
	some kind, field in app_service_tls_fields
	some r in lib.of_kind(kind)
	some s in lib.blocks(r.body, "site_config")
	have := lib.azure_tls_version(object.get(s.block, field, ""))
	want := lib.param("tls_min_version", "1.2")
	lib.tls_rank_of(have) < lib.tls_rank_of(want)
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(have), "path": sprintf("%s.%s", [s.path, field]),
		"message": sprintf("%s %s allows TLS %s (site_config.%s); at least %s is required", [kind, r.name, have, field, want])}
}

violations contains v if {
	some kind, _ in app_service_tls_fields
	some r in lib.of_kind(kind)
	some s in lib.blocks(r.body, "site_config")
	object.get(s.block, "ftps_state", "") == "AllAllowed"
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": sprintf("%s.ftps_state", [s.path]),
		"message": sprintf("%s %s accepts deployments over plaintext FTP (site_config.ftps_state is AllAllowed)", [kind, r.name])}
}
