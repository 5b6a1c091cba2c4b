# NET-01 default deny.
#
# On Kubernetes it is cross-resource: every namespace that runs workloads needs a
# default-deny NetworkPolicy (podSelector {}, the policy type listed, no rules of that type).
# A namespace is reported once per missing direction (Ingress high, Egress medium), on its
# Namespace resource when the run includes it, else on the workload with the smallest id in
# that namespace. Workloads without metadata.namespace count as namespace "default".
#
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
package compliance.checks.net_01

import data.compliance.lib
import data.compliance.lib.net as net_lib
import data.compliance.lib.k8s as k8s_lib
import rego.v1

egress_sg_kinds := {"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_egress_rule"}

# Scope namespace: default-deny is judged per Kubernetes namespace from that namespace's
# workloads, NetworkPolicies and Namespace object, and reported on the Namespace object or the
# smallest workload id there: all in the group. Terraform and SecurityConfig rules read only
# the resource itself.
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
	what := net_lib.exposed(rule.protocol, rule.from_port, rule.to_port)
	startswith(what, "all ports")
	v := {"check": "NET-01", "resource": r.id, "severity": "medium", "line": rule.line,
		"message": sprintf("security group %s allows egress to the internet (%s) on %s; restrict egress to what the workload needs", [r.name, net_lib.world_of(rule.cidrs), what])}
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

denied := {[k8s_lib.ns_of(p), t] | some p in lib.of_kind("NetworkPolicy"); some t in ["Ingress", "Egress"]; default_deny(p.body, t)}

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
	some ns, _ in k8s_lib.workload_ids_by_ns
	some type in ["Ingress", "Egress"]
	not denied[[ns, type]]
	v := {"check": "NET-01", "resource": k8s_lib.report_on(ns), "severity": deny_severity[type],
		"message": sprintf("namespace %s has workloads but no default-deny %s NetworkPolicy (podSelector {}, policyTypes [%s], no %s rules)", [ns, type, type, lower(type)])}
}
