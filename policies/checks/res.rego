# Resource limits: container requests/limits, namespace quotas.
package compliance.checks.res

import data.compliance.lib
import rego.v1

# METADATA
# title: CPU and memory requests and limits are set
# custom:
#   id: RES-01
#   severity: medium
#   remediation: Set resources.requests and resources.limits for cpu and memory on every container; give each namespace a ResourceQuota or LimitRange; set deploy.resources.limits in compose.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Namespace, ResourceQuota, LimitRange, ComposeService]
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	some kind in ["requests", "limits"]
	some res in ["cpu", "memory"]
	not object.get(c.spec, ["resources", kind, res], null)
	v := {"check": "RES-01", "resource": r.id, "path": c.path,
		"message": sprintf("container %s sets no %s %s", [c.name, res, trim_suffix(kind, "s")])}
}
