# NET-02 on Azure and GCP: network rules and database firewalls open to the internet.
# The check's METADATA is in net.rego.
#
# Judgements: an Azure rule whose source is `*`, `0.0.0.0/0`, `Internet` or `Any` is open to
# the internet. A GCP ingress firewall without source_ranges, source_tags or
# source_service_accounts applies to every source (0.0.0.0/0), as GCP documents. An Azure
# database firewall rule from 0.0.0.0 to 255.255.255.255 admits the internet (critical);
# 0.0.0.0 to 0.0.0.0 admits every Azure service, other tenants' included (medium).
package compliance.checks.net

import data.compliance.lib
import rego.v1

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
