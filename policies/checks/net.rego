# Network exposure: default deny, world-open admin ports, workload isolation.
package compliance.checks.net

import data.compliance.lib
import rego.v1

sg_kinds := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}

# METADATA
# title: No ingress from the whole internet to admin or database ports, or to all ports
# custom:
#   id: NET-02
#   severity: critical
#   remediation: Restrict admin and database ports to known CIDRs or a bastion/VPN; never open all ports to 0.0.0.0/0 or ::/0.
#   kinds: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule, SecurityConfig, Service]
violations contains v if {
	some kind in sg_kinds
	some r in lib.of_kind(kind)
	some rule in object.get(r.facts, "ingress", [])
	rule.world_open
	what := exposed(rule.protocol, rule.from_port, rule.to_port)
	v := {"check": "NET-02", "resource": r.id, "line": rule.line,
		"message": sprintf("ingress from the internet (%s) to %s", [concat(", ", [c | some c in rule.cidrs; lib.world_cidrs[c]]), what])}
}

all_protocols := {"-1", "all", "any"}

exposed(protocol, _, _) := "all ports (every protocol)" if lower(sprintf("%v", [protocol])) in all_protocols

exposed(protocol, from, to) := "all ports" if {
	not lower(sprintf("%v", [protocol])) in all_protocols
	from <= 0
	to >= 65535
}

exposed(protocol, from, to) := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	not lower(sprintf("%v", [protocol])) in all_protocols
	not full_range(from, to)
	ports := [sprintf("%d", [p]) | some p in lib.admin_ports; lib.port_in_range(p, from, to)]
	count(ports) > 0
}

full_range(from, to) if {
	from <= 0
	to >= 65535
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

violations contains v if {
	some r in lib.of_kind("Service")
	object.get(r.body, ["spec", "type"], "ClusterIP") == "LoadBalancer"
	count(object.get(r.body, ["spec", "loadBalancerSourceRanges"], [])) == 0
	some i, port in object.get(r.body, ["spec", "ports"], [])
	port.port in lib.admin_ports
	v := {"check": "NET-02", "resource": r.id, "path": sprintf("spec.ports[%d]", [i]),
		"message": sprintf("LoadBalancer Service %s exposes admin/database port %d to the internet (no loadBalancerSourceRanges)", [r.name, port.port])}
}

# METADATA
# title: Default-deny ingress (and egress) on NetworkPolicies, security groups and firewalls
# custom:
#   id: NET-01
#   severity: high
#   remediation: Give every namespace a default-deny NetworkPolicy (podSelector {} with policyTypes Ingress and Egress and no rules); restrict security group egress; end firewall rules with a deny.
#   kinds: [Namespace, NetworkPolicy, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, aws_security_group, aws_security_group_rule, aws_vpc_security_group_egress_rule, aws_default_security_group, SecurityConfig]
violations contains v if {
	some r in lib.of_kind("aws_default_security_group")
	count(object.get(r.body, "ingress", [])) + count(object.get(r.body, "egress", [])) > 0
	v := {"check": "NET-01", "resource": r.id,
		"message": sprintf("default security group %s has rules; the default group should allow no traffic", [r.name])}
}

# METADATA
# title: Workload isolation - no host namespaces or host ports
# custom:
#   id: NET-03
#   severity: high
#   remediation: Do not use hostNetwork, hostPID, hostIPC or hostPort; in compose avoid network_mode/pid/ipc host; deploy workloads into dedicated namespaces.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ComposeService]
violations contains v if {
	some r in lib.workloads
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	object.get(lib.pod_spec(r), field, false) == true
	v := {"check": "NET-03", "resource": r.id, "path": sprintf("%s.%s", [r.facts.pod_spec_path, field]),
		"message": sprintf("%s %s shares the node's namespace (%s: true)", [r.kind, r.name, field])}
}
