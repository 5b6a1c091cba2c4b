# Network exposure: default deny, world-open admin ports, workload isolation.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   admin_ports (lib.rego)  ports that must never be reachable from the internet (NET-02).
#
# NET-01 on Kubernetes is cross-resource: every namespace that runs workloads needs a
# default-deny NetworkPolicy (podSelector {}, the policy type listed, no rules of that type).
# A namespace is reported once per missing direction (Ingress high, Egress medium), on its
# Namespace resource when the run includes it, else on the workload with the smallest id in
# that namespace. Workloads without metadata.namespace count as namespace "default".
package compliance.checks.net

import data.compliance.lib
import rego.v1

ingress_sg_kinds := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}

egress_sg_kinds := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_egress_rule"}

all_protocols := {"-1", "all", "any"}

all_protocol(protocol) if lower(sprintf("%v", [protocol])) in all_protocols

full_range(from, to) if {
	is_number(from)
	is_number(to)
	from <= 0
	to >= 65535
}

# What a world-open rule exposes; undefined when it exposes nothing this family cares about.
exposed(protocol, _, _) := "all ports (every protocol)" if all_protocol(protocol)

exposed(protocol, from, to) := "all ports" if {
	not all_protocol(protocol)
	full_range(from, to)
}

exposed(protocol, from, to) := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	not all_protocol(protocol)
	not full_range(from, to)
	is_number(from)
	is_number(to)
	ports := [sprintf("%d", [p]) | some p in lib.admin_ports; lib.port_in_range(p, from, to)]
	count(ports) > 0
}

world_of(cidrs) := concat(", ", [c | some c in cidrs; lib.world_cidrs[c]])

# Kubernetes namespace of a namespaced object; objects without one land in "default".
ns_of(r) := r.namespace if is_string(r.namespace)

ns_of(r) := "default" if not is_string(r.namespace)

# Scope resource: security group rules are judged from the resource's own facts (the
# loader's ingress rules of that resource), never from the group they attach to.

# METADATA
# title: No ingress from the whole internet to admin or database ports, or to all ports
# custom:
#   id: NET-02
#   scope: resource
#   severity: critical
#   remediation: Restrict admin and database ports to known CIDRs or a bastion/VPN; never open all ports to 0.0.0.0/0 or ::/0; publish compose ports on 127.0.0.1.
#   kinds: [ComposeService, SecurityConfig, Service, aws_network_acl, aws_network_acl_rule, aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule, azurerm_mariadb_firewall_rule, azurerm_mssql_firewall_rule, azurerm_mysql_firewall_rule, azurerm_mysql_flexible_server_firewall_rule, azurerm_network_security_group, azurerm_network_security_rule, azurerm_postgresql_firewall_rule, azurerm_postgresql_flexible_server_firewall_rule, azurerm_sql_firewall_rule, google_compute_firewall, google_sql_database_instance]
#   assesses:
#     SecurityConfig: [body.security.firewall_rules.*]
#     Service: [facts.exposure.LoadBalancer]
#     ComposeService: [facts.ports.*]
#     azurerm_network_security_group: [body.security_rule]
#     google_sql_database_instance: [body.settings.ip_configuration]
violations contains v if {
	some kind in ingress_sg_kinds
	some r in lib.of_kind(kind)
	some rule in object.get(r.facts, "ingress", [])
	rule.world_open
	what := exposed(rule.protocol, rule.from_port, rule.to_port)
	v := {"check": "NET-02", "resource": r.id, "line": rule.line,
		"message": sprintf("security group %s allows ingress from the internet (%s) to %s", [r.name, world_of(rule.cidrs), what])}
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
	what := exposed(object.get(rule, "protocol", ""), port_number(object.get(rule, "from_port", 0)), port_number(object.get(rule, "to_port", 0)))
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

# Scope namespace: default-deny is judged per Kubernetes namespace from that namespace's
# workloads, NetworkPolicies and Namespace object, and reported on the Namespace object or the
# smallest workload id there: all in the group. Terraform and SecurityConfig rules read only
# the resource itself.

# METADATA
# title: Default-deny ingress (and egress) on NetworkPolicies, security groups and firewalls
# custom:
#   id: NET-01
#   scope: namespace
#   severity: high
#   remediation: Give every namespace a default-deny NetworkPolicy (podSelector {} with policyTypes Ingress and Egress and no rules); restrict security group egress; end firewall rules with a deny.
#   kinds: [Namespace, NetworkPolicy, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, aws_security_group, aws_security_group_rule, aws_vpc_security_group_egress_rule, aws_default_security_group, SecurityConfig]
#   assesses:
#     SecurityConfig: [body.security.firewall_rules.*]
violations contains v if {
	some r in lib.of_kind("aws_default_security_group")
	some field in ["ingress", "egress"]
	count(object.get(r.body, field, [])) > 0
	v := {"check": "NET-01", "resource": r.id, "path": field,
		"message": sprintf("default security group %s has %s rules; the default group should allow no traffic", [r.name, field])}
}

violations contains v if {
	some kind in egress_sg_kinds
	some r in lib.of_kind(kind)
	some rule in object.get(r.facts, "egress", [])
	rule.world_open
	what := exposed(rule.protocol, rule.from_port, rule.to_port)
	startswith(what, "all ports")
	v := {"check": "NET-01", "resource": r.id, "severity": "medium", "line": rule.line,
		"message": sprintf("security group %s allows egress to the internet (%s) on %s; restrict egress to what the workload needs", [r.name, world_of(rule.cidrs), what])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	rules := r.body.security.firewall_rules
	count(rules) > 0
	not any_deny_all(rules, "ingress")
	v := {"check": "NET-01", "resource": r.id, "path": "security.firewall_rules",
		"message": "the firewall has no final deny-all ingress rule (action deny, all ports, from 0.0.0.0/0)"}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	some i, rule in r.body.security.firewall_rules
	rule.direction == "egress"
	rule.action == "allow"
	rule.ports == null
	some cidr in rule.destinations
	lib.world_cidrs[cidr]
	v := {"check": "NET-01", "resource": r.id, "severity": "medium", "path": sprintf("security.firewall_rules[%d]", [i]),
		"message": sprintf("firewall rule %s allows egress to %s on all ports", [rule.name, cidr])}
}

any_deny_all(rules, direction) if {
	some rule in rules
	rule.direction == direction
	rule.action == "deny"
	rule.ports == null
	rule.protocol == "any"
	deny_everyone(rule, direction)
}

deny_everyone(rule, "ingress") if count(rule.sources) == 0

deny_everyone(rule, "ingress") if "0.0.0.0/0" in rule.sources

# Kubernetes: namespaces with workloads, their default-deny policies, the resource to report on.
# One pass over the workloads (a comprehension per workload over every workload was
# quadratic: 2,000 Deployments in one namespace took a minute).
workload_ids_by_ns[ns] contains r.id if {
	some r in lib.workloads
	ns := ns_of(r)
}

# Two Namespace objects of one name (two installs of one app) both stay: the first id reports.
namespace_ids[r.name] contains r.id if {
	some r in lib.of_kind("Namespace")
}

report_on(ns) := min(namespace_ids[ns])

report_on(ns) := min(workload_ids_by_ns[ns]) if not namespace_ids[ns]

denied := {[ns_of(p), t] | some p in lib.of_kind("NetworkPolicy"); some t in ["Ingress", "Egress"]; default_deny(p.body, t)}

default_deny(policy, type) if {
	spec := object.get(policy, "spec", {})
	selects_all(object.get(spec, "podSelector", {}))
	type in policy_types(spec)
	count(object.get(spec, lower(type), [])) == 0
}

selects_all(selector) if {
	count(object.get(selector, "matchLabels", {})) == 0
	count(object.get(selector, "matchExpressions", [])) == 0
}

policy_types(spec) := spec.policyTypes

policy_types(spec) := ["Ingress"] if not spec.policyTypes

deny_severity := {"Ingress": "high", "Egress": "medium"}

violations contains v if {
	some ns, _ in workload_ids_by_ns
	some type in ["Ingress", "Egress"]
	not denied[[ns, type]]
	v := {"check": "NET-01", "resource": report_on(ns), "severity": deny_severity[type],
		"message": sprintf("namespace %s has workloads but no default-deny %s NetworkPolicy (podSelector {}, policyTypes [%s], no %s rules)", [ns, type, type, lower(type)])}
}

# METADATA
# title: Workload isolation - no host namespaces or host ports
# custom:
#   id: NET-03
#   scope: resource
#   severity: high
#   remediation: Do not use hostNetwork, hostPID, hostIPC or hostPort; in compose avoid network_mode/pid/ipc host; deploy workloads into dedicated namespaces, not default.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ComposeService]
violations contains v if {
	some r in lib.workloads
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	object.get(lib.pod_spec(r), field, false) == true
	v := {"check": "NET-03", "resource": r.id, "path": sprintf("%s.%s", [r.facts.pod_spec_path, field]),
		"message": sprintf("%s %s shares the node's namespaces (%s: true)", [r.kind, r.name, field])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, port in object.get(c.spec, "ports", [])
	object.get(port, "hostPort", 0) > 0
	v := {"check": "NET-03", "resource": r.id, "severity": "medium", "path": sprintf("%s.ports[%d].hostPort", [c.path, i]),
		"message": sprintf("container %s binds host port %d on the node", [c.name, port.hostPort])}
}

violations contains v if {
	some r in lib.workloads
	r.namespace == "default"
	v := {"check": "NET-03", "resource": r.id, "severity": "low", "path": "metadata.namespace",
		"message": sprintf("%s %s runs in the default namespace; use a dedicated namespace", [r.kind, r.name])}
}

compose_host_modes := {"network_mode": "network", "pid": "process", "ipc": "IPC"}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some field, what in compose_host_modes
	object.get(r.body, field, "") == "host"
	v := {"check": "NET-03", "resource": r.id, "path": field,
		"message": sprintf("compose service %s shares the host's %s namespace (%s: host)", [r.name, what, field])}
}
