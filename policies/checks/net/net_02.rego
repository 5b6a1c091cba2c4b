# NET-02 no admin or database port open to the internet.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   admin_ports (lib.rego)  ports that must never be reachable from the internet
#
# Judgements: an Azure rule whose source is `*`, `0.0.0.0/0`, `Internet` or `Any` is open to
# the internet. A GCP ingress firewall without source_ranges, source_tags or
# source_service_accounts applies to every source (0.0.0.0/0), as GCP documents. An Azure
# database firewall rule from 0.0.0.0 to 255.255.255.255 admits the internet (critical);
# 0.0.0.0 to 0.0.0.0 admits every Azure service, other tenants' included (medium).
#
# METADATA
# title: No ingress from the whole internet to admin or database ports, or to all ports
# custom:
#   id: NET-02
#   scope: resource
#   severity: critical
#   remediation: Restrict admin and database ports to known CIDRs or a bastion/VPN; never open all ports to 0.0.0.0/0 or ::/0; publish compose ports on 127.0.0.1.
#   kinds: [ComposeService, SecurityConfig, Service, aws_db_instance, aws_network_acl, aws_network_acl_rule, aws_rds_cluster_instance, aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule, azurerm_kubernetes_cluster, azurerm_mariadb_firewall_rule, azurerm_mssql_firewall_rule, azurerm_mysql_firewall_rule, azurerm_mysql_flexible_server_firewall_rule, azurerm_network_security_group, azurerm_network_security_rule, azurerm_postgresql_firewall_rule, azurerm_postgresql_flexible_server_firewall_rule, azurerm_sql_firewall_rule, google_compute_firewall, google_container_cluster, google_sql_database_instance]
#   assesses:
#     SecurityConfig: [body.security.firewall_rules.*]
#     Service: [facts.exposure.LoadBalancer]
#     ComposeService: [facts.ports.*]
#     azurerm_network_security_group: [body.security_rule]
#     google_sql_database_instance: [body.settings.ip_configuration]
package compliance.checks.net_02

import data.compliance.lib
import data.compliance.lib.net as net_lib
import rego.v1

ingress_sg_kinds := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}

# Scope resource: security group rules are judged from the resource's own facts (the
# loader's ingress rules of that resource), never from the group they attach to.

violations contains v if {
	some kind in ingress_sg_kinds
	some r in lib.of_kind(kind)
	some rule in object.get(r.facts, "ingress", [])
	rule.world_open
	what := net_lib.exposed(rule.protocol, rule.from_port, rule.to_port)
	v := {"check": "NET-02", "resource": r.id, "line": rule.line,
		"message": sprintf("security group %s allows ingress from the internet (%s) to %s", [r.name, net_lib.world_of(rule.cidrs), what])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	some i, rule in r.body.security.firewall_rules
	rule.direction == "ingress"
	rule.action == "allow"
	some cidr in rule.sources
	lib.world_cidrs[cidr]
	what := firewall_exposure(rule)
	v := {"check": "NET-02", "resource": r.id, "path": sprintf("security.firewall_rules[%d]", [i]),
		"message": sprintf("firewall rule %s allows %s from %s", [rule.name, what, cidr])}
}

firewall_exposure(rule) := "all ports" if rule.ports == null

firewall_exposure(rule) := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	rule.ports != null
	ports := [sprintf("%d", [p]) | some p in rule.ports; p in lib.admin_ports]
	count(ports) > 0
}

# A LoadBalancer without source ranges (or with only world ranges) is open to the internet.
violations contains v if {
	some r in lib.of_kind("Service")
	object.get(r.body, ["spec", "type"], "ClusterIP") == "LoadBalancer"
	ranges := object.get(r.body, ["spec", "loadBalancerSourceRanges"], [])
	count([c | some c in ranges; not lib.world_cidrs[c]]) == 0
	some i, port in object.get(r.body, ["spec", "ports"], [])
	port.port in lib.admin_ports
	v := {"check": "NET-02", "resource": r.id, "path": sprintf("spec.ports[%d]", [i]),
		"message": sprintf("LoadBalancer Service %s exposes admin/database port %d to the internet (no restrictive loadBalancerSourceRanges)", [r.name, port.port])}
}

# Compose: a port published without host_ip (or on 0.0.0.0 / ::) listens on every host
# interface. Host exposure, not necessarily the internet: high, not critical.
violations contains v if {
	some r in lib.of_kind("ComposeService")
	some p in r.facts.ports
	all_interfaces(p.host_ip)
	port := admin_port_of(p)
	v := {"check": "NET-02", "resource": r.id, "severity": "high", "line": p.line,
		"message": sprintf("compose service %s publishes admin/database port %d on all host interfaces (bind it to 127.0.0.1)", [r.name, port])}
}

all_interfaces(host_ip) if host_ip == null

all_interfaces(host_ip) if host_ip in {"0.0.0.0", "::", ""}

admin_port_of(p) := port if {
	some field in ["target", "published"]
	is_string(p[field])
	regex.match(`^[0-9]+$`, p[field])
	port := to_number(p[field])
	port in lib.admin_ports
}

# Network ACLs are a second, stateless layer; the AWS default ACL allows everything, so an
# allow-all ACL rule is medium and an explicit world-open admin port high.
violations contains v if {
	some r in lib.of_kind("aws_network_acl")
	some i, rule in object.get(r.body, "ingress", [])
	lower(object.get(rule, "action", "")) == "allow"
	some v in nacl_violation(r, rule, sprintf("ingress[%d]", [i]))
}

violations contains v if {
	some r in lib.of_kind("aws_network_acl_rule")
	object.get(r.body, "egress", false) != true
	lower(object.get(r.body, "rule_action", "")) == "allow"
	some v in nacl_violation(r, r.body, "rule_action")
}

nacl_violation(r, rule, path) := {v |
	some cidr in [object.get(rule, "cidr_block", ""), object.get(rule, "ipv6_cidr_block", "")]
	lib.world_cidrs[cidr]
	what := net_lib.exposed(object.get(rule, "protocol", ""), port_number(object.get(rule, "from_port", 0)), port_number(object.get(rule, "to_port", 0)))
	severity := nacl_severity(what)
	v := {"check": "NET-02", "resource": r.id, "path": path, "severity": severity,
		"message": sprintf("network ACL %s allows ingress from the internet (%s) to %s", [r.name, cidr, what])}
}

nacl_severity(what) := "medium" if startswith(what, "all ports")

nacl_severity(what) := "high" if not startswith(what, "all ports")

port_number(p) := p if is_number(p)

port_number(p) := to_number(p) if {
	is_string(p)
	regex.match(`^-?[0-9]+$`, p)
}

# Rules of an Azure network security group (inline) or a standalone rule, with their paths.
azure_rules(r) := lib.blocks(r.body, "security_rule") if r.kind == "azurerm_network_security_group"

azure_rules(r) := [{"path": "", "block": r.body}] if r.kind == "azurerm_network_security_rule"

azure_rule_path(rule, field) := field if rule.path == ""

azure_rule_path(rule, field) := sprintf("%s.%s", [rule.path, field]) if rule.path != ""

violations contains v if {
	some kind in ["azurerm_network_security_group", "azurerm_network_security_rule"]
	some r in lib.of_kind(kind)
	some rule in azure_rules(r)
	lib.lower_of(rule.block, "direction") == "inbound"
	lib.lower_of(rule.block, "access") == "allow"
	world := [s | some s in lib.strings_of(rule.block, ["source_address_prefix", "source_address_prefixes"]); lib.internet_source(s)]
	count(world) > 0
	ranges := [pr | some p in lib.strings_of(rule.block, ["destination_port_range", "destination_port_ranges"]); pr := lib.port_range(p)]
	what := lib.port_exposure(object.get(rule.block, "protocol", ""), ranges)
	v := {"check": "NET-02", "resource": r.id, "path": azure_rule_path(rule, azure_source_field(rule.block)),
		"message": sprintf("network security rule %s allows inbound traffic from the internet (%s) to %s", [object.get(rule.block, "name", r.name), concat(", ", world), what])}
}

azure_source_field(block) := "source_address_prefix" if block.source_address_prefix

azure_source_field(block) := "source_address_prefixes" if not block.source_address_prefix

# Sources of a GCP ingress firewall that are the whole internet.
gcp_world_sources(body) := [c | some c in body.source_ranges; lib.world_cidr(c)] if is_array(body.source_ranges)

gcp_world_sources(body) := ["0.0.0.0/0 (no source given)"] if {
	not body.source_ranges
	not body.source_tags
	not body.source_service_accounts
}

gcp_ranges(allow) := [[0, 65535]] if count(lib.one_or_many(object.get(allow, "ports", []))) == 0

gcp_ranges(allow) := [pr | some p in lib.one_or_many(allow.ports); pr := lib.port_range(p)] if count(lib.one_or_many(object.get(allow, "ports", []))) > 0

violations contains v if {
	some r in lib.of_kind("google_compute_firewall")
	lib.lower_of(r.body, "direction") in {"", "ingress"}
	object.get(r.body, "disabled", false) != true
	world := gcp_world_sources(r.body)
	count(world) > 0
	some allow in lib.blocks(r.body, "allow")
	what := lib.port_exposure(object.get(allow.block, "protocol", ""), gcp_ranges(allow.block))
	v := {"check": "NET-02", "resource": r.id, "path": allow.path,
		"message": sprintf("firewall %s allows ingress from the internet (%s) to %s", [r.name, concat(", ", world), what])}
}

violations contains v if {
	some r in lib.of_kind("google_sql_database_instance")
	some settings in lib.blocks(r.body, "settings")
	some ip in lib.blocks(settings.block, "ip_configuration")
	some net in lib.blocks(ip.block, "authorized_networks")
	lib.world_cidr(object.get(net.block, "value", ""))
	v := {"check": "NET-02", "resource": r.id, "path": sprintf("%s.%s.%s", [settings.path, ip.path, net.path]),
		"message": sprintf("Cloud SQL instance %s authorizes the whole internet (%s) to connect", [r.name, net.block.value])}
}

azure_db_firewall_kinds := {
	"azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule", "azurerm_postgresql_firewall_rule",
	"azurerm_mysql_firewall_rule", "azurerm_mariadb_firewall_rule",
	"azurerm_postgresql_flexible_server_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule",
}

violations contains v if {
	some kind in azure_db_firewall_kinds
	some r in lib.of_kind(kind)
	object.get(r.body, "start_ip_address", "") == "0.0.0.0"
	object.get(r.body, "end_ip_address", "") == "255.255.255.255"
	v := {"check": "NET-02", "resource": r.id, "path": "end_ip_address",
		"message": sprintf("database firewall rule %s admits the whole internet (0.0.0.0 to 255.255.255.255)", [r.name])}
}

violations contains v if {
	some kind in azure_db_firewall_kinds
	some r in lib.of_kind(kind)
	object.get(r.body, "start_ip_address", "") == "0.0.0.0"
	object.get(r.body, "end_ip_address", "") == "0.0.0.0"
	v := {"check": "NET-02", "resource": r.id, "severity": "medium", "path": "end_ip_address",
		"message": sprintf("database firewall rule %s admits every Azure service, other tenants' included (0.0.0.0 to 0.0.0.0)", [r.name])}
}

# Databases given a public address: reachable from the internet wherever their security
# groups allow it (publicly_accessible defaults to false).
violations contains v if {
	some kind in ["aws_db_instance", "aws_rds_cluster_instance"]
	some r in lib.of_kind(kind)
	object.get(r.body, "publicly_accessible", false) == true
	v := {"check": "NET-02", "resource": r.id, "severity": "high", "path": "publicly_accessible",
		"message": sprintf("%s %s is publicly accessible (publicly_accessible is true): the database gets an internet-facing address", [kind, r.name])}
}

# A managed Kubernetes API server (an admin endpoint) that takes connections from anywhere:
# a public AKS cluster without authorized IP ranges, a GKE cluster without master authorized
# networks and no private endpoint; or ranges that include the whole internet.
aks_authorized_ranges(r) := [c |
	some c in lib.strings_of(r.body, ["api_server_authorized_ip_ranges"])
] if count(lib.blocks(r.body, "api_server_access_profile")) == 0

aks_authorized_ranges(r) := [c |
	some p in lib.blocks(r.body, "api_server_access_profile")
	some c in lib.strings_of(p.block, ["authorized_ip_ranges"])
] if count(lib.blocks(r.body, "api_server_access_profile")) > 0

violations contains v if {
	some r in lib.of_kind("azurerm_kubernetes_cluster")
	not object.get(r.body, "private_cluster_enabled", false) == true
	count(aks_authorized_ranges(r)) == 0
	v := {"check": "NET-02", "resource": r.id, "severity": "medium", "path": "api_server_access_profile",
		"message": sprintf("AKS cluster %s exposes its API server to the internet (not private, no authorized IP ranges)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_kubernetes_cluster")
	some c in aks_authorized_ranges(r)
	lib.world_cidr(c)
	v := {"check": "NET-02", "resource": r.id, "severity": "medium", "path": "api_server_access_profile",
		"message": sprintf("AKS cluster %s authorizes %s to reach its API server", [r.name, c])}
}

gke_private_endpoint(r) if {
	some p in lib.blocks(r.body, "private_cluster_config")
	p.block.enable_private_endpoint == true
}

violations contains v if {
	some r in lib.of_kind("google_container_cluster")
	not gke_private_endpoint(r)
	count(lib.blocks(r.body, "master_authorized_networks_config")) == 0
	v := {"check": "NET-02", "resource": r.id, "severity": "medium", "path": "master_authorized_networks_config",
		"message": sprintf("GKE cluster %s exposes its control plane to the internet (no master_authorized_networks_config, no private endpoint)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("google_container_cluster")
	some m in lib.blocks(r.body, "master_authorized_networks_config")
	some c in lib.blocks(m.block, "cidr_blocks")
	lib.world_cidr(object.get(c.block, "cidr_block", ""))
	v := {"check": "NET-02", "resource": r.id, "severity": "medium", "path": sprintf("%s.%s.cidr_block", [m.path, c.path]),
		"message": sprintf("GKE cluster %s authorizes %s to reach its control plane", [r.name, c.block.cidr_block])}
}
