# Resource limits: container requests/limits, namespace quotas, compose limits.
#
# Cross-resource: a namespace with workloads but neither a ResourceQuota nor a LimitRange is a
# low finding, reported once on its Namespace resource when the run includes it, else on the
# workload with the smallest id there (workloads without metadata.namespace count as
# "default"). A LimitRange that gives Containers both default (limits) and defaultRequest
# values for cpu and memory supplies what containers leave out, so their missing values are
# not reported in that namespace.
#
# METADATA
# title: CPU and memory requests and limits are set
# custom:
#   id: RES-01
#   scope: namespace
#   severity: medium
#   remediation: Set resources.requests and resources.limits for cpu and memory on every container; give each namespace a ResourceQuota or LimitRange; set deploy.resources.limits (or mem_limit/cpus) in compose.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Namespace, ResourceQuota, LimitRange, ComposeService]
package compliance.checks.res_01

import data.compliance.lib
import data.compliance.lib.k8s as k8s_lib
import rego.v1

# Namespaces whose LimitRange fills in [kind, resource] for containers.
defaulted contains [k8s_lib.ns_of(r), kind, res] if {
	some r in lib.of_kind("LimitRange")
	some item in object.get(r.body, ["spec", "limits"], [])
	object.get(item, "type", "") == "Container"
	some field, kind in {"default": "limits", "defaultRequest": "requests"}
	some res in ["cpu", "memory"]
	object.get(item, [field, res], null) != null
}

# Scope namespace: a container's missing requests/limits are excused by a LimitRange of its
# own namespace, and "no ResourceQuota or LimitRange" is judged per namespace and reported on
# its Namespace object or smallest workload id: all in the group.

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	ns := k8s_lib.ns_of(r)
	missing := [sprintf("%s %s", [res, trim_suffix(kind, "s")]) |
		some kind in ["requests", "limits"]
		some res in ["cpu", "memory"]
		object.get(c.spec, ["resources", kind, res], null) == null
		not defaulted[[ns, kind, res]]
	]
	count(missing) > 0
	v := {"check": "RES-01", "resource": r.id, "path": c.path,
		"message": sprintf("container %s sets no %s", [c.name, concat(", ", missing)])}
}

governed := {k8s_lib.ns_of(r) | some kind in ["ResourceQuota", "LimitRange"]; some r in lib.of_kind(kind)}

violations contains v if {
	some ns, _ in k8s_lib.workload_ids_by_ns
	not governed[ns]
	v := {"check": "RES-01", "resource": k8s_lib.report_on(ns), "severity": "low",
		"message": sprintf("namespace %s has workloads but no ResourceQuota or LimitRange", [ns])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	limits := object.get(r.body, ["deploy", "resources", "limits"], {})
	missing := [what |
		some what, legacy in {"cpus": "cpus", "memory": "mem_limit"}
		object.get(limits, what, null) == null
		object.get(r.body, legacy, null) == null
	]
	count(missing) > 0
	v := {"check": "RES-01", "resource": r.id,
		"message": sprintf("compose service %s sets no %s limit (deploy.resources.limits)", [r.name, concat(" or ", missing)])}
}
