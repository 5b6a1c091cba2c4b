# Availability: health checks, replicas, disruption budgets.
#
# Kubernetes probes are expected on long-running workloads (not Jobs/CronJobs, not init or
# ephemeral containers). A Deployment/StatefulSet runs one replica when spec.replicas is
# absent, unless a HorizontalPodAutoscaler targeting it has minReplicas >= 2. A
# PodDisruptionBudget covers a workload when it is in the same namespace and its
# selector.matchLabels are a subset of the pod template labels (matchExpressions are not
# evaluated: such a PDB counts as covering, to avoid false positives).
#
# METADATA
# title: Health checks and redundancy
# custom:
#   id: HLT-01
#   scope: namespace
#   severity: low
#   remediation: Define liveness and readiness probes (HEALTHCHECK / compose healthcheck); run at least 2 replicas with a PodDisruptionBudget.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, HorizontalPodAutoscaler, PodDisruptionBudget, Dockerfile, ComposeService]
package compliance.checks.hlt_01

import data.compliance.lib
import data.compliance.lib.k8s as k8s_lib
import rego.v1

long_running := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

replicated := {"Deployment", "StatefulSet"}

# Scope namespace: a Deployment/StatefulSet is judged with the HorizontalPodAutoscalers and
# PodDisruptionBudgets of its own namespace (ns_of); everything else reads only itself.
violations contains v if {
	some r in lib.of_kind("Dockerfile")
	not r.facts.has_healthcheck
	v := {"check": "HLT-01", "resource": r.id, "path": sprintf("stages[%d]", [r.facts.final_stage]),
		"message": "the final image stage defines no HEALTHCHECK"}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	not r.facts.has_healthcheck
	v := {"check": "HLT-01", "resource": r.id,
		"message": sprintf("compose service %s defines no healthcheck", [r.name])}
}

violations contains v if {
	some w in lib.workload_containers
	c := w.container
	c.role == "app"
	r := w.resource
	long_running[r.kind]
	missing := [probe | some probe in ["livenessProbe", "readinessProbe"]; not c.spec[probe]]
	count(missing) > 0
	v := {"check": "HLT-01", "resource": r.id, "path": c.path,
		"message": sprintf("container %s defines no %s", [c.name, concat(" or ", missing)])}
}

autoscaled contains [k8s_lib.ns_of(h), target.kind, target.name] if {
	some h in lib.of_kind("HorizontalPodAutoscaler")
	object.get(h.body, ["spec", "minReplicas"], 1) >= 2
	target := h.body.spec.scaleTargetRef
}

violations contains v if {
	some kind in replicated
	some r in lib.of_kind(kind)
	replicas := object.get(r.body, ["spec", "replicas"], 1)
	replicas < 2
	not autoscaled[[k8s_lib.ns_of(r), r.kind, r.name]]
	v := {"check": "HLT-01", "resource": r.id, "severity": "medium", "path": "spec.replicas",
		"message": sprintf("%s %s runs %d replica; a single pod is a single point of failure (run at least 2)", [r.kind, r.name, replicas])}
}

# The PodDisruptionBudgets that cover by matchLabels, by namespace and their first
# matchLabels pair (a workload's pods can only match a selector whose every pair they carry),
# and the namespaces with one that has matchExpressions (covering all). Looked up per
# workload label: a list of every budget of the namespace tried against every workload was
# quadratic (400 Deployments with a budget each: 3.8 s).
pdb_by_pair[pair] contains match if {
	some p in lib.of_kind("PodDisruptionBudget")
	selector := object.get(p.body, ["spec", "selector"], {})
	count(object.get(selector, "matchExpressions", [])) == 0
	match := object.get(selector, "matchLabels", {})
	count(match) > 0
	key := min(object.keys(match))
	pair := json.marshal([k8s_lib.ns_of(p), key, match[key]])
}

expressions_cover contains ns if {
	some p in lib.of_kind("PodDisruptionBudget")
	count(object.get(p.body, ["spec", "selector", "matchExpressions"], [])) > 0
	ns := k8s_lib.ns_of(p)
}

violations contains v if {
	some kind in replicated
	some r in lib.of_kind(kind)
	labels := object.get(r.body, ["spec", "template", "metadata", "labels"], {})
	not covered(k8s_lib.ns_of(r), labels)
	v := {"check": "HLT-01", "resource": r.id, "severity": "medium",
		"message": sprintf("%s %s has no PodDisruptionBudget selecting its pods, so voluntary disruptions can take all of them down", [r.kind, r.name])}
}

covered(ns, _) if expressions_cover[ns]

covered(ns, labels) if {
	some key, value in labels
	some match in pdb_by_pair[json.marshal([ns, key, value])]
	every k, v in match {
		labels[k] == v
	}
}
