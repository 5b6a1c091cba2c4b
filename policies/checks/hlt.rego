# Availability: health checks, replicas, disruption budgets.
package compliance.checks.hlt

import data.compliance.lib
import rego.v1

# METADATA
# title: Health checks and redundancy
# custom:
#   id: HLT-01
#   severity: low
#   remediation: Define liveness and readiness probes (HEALTHCHECK / compose healthcheck); run at least 2 replicas with a PodDisruptionBudget.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodDisruptionBudget, Dockerfile, ComposeService]
violations contains v if {
	some r in lib.of_kind("Dockerfile")
	not r.facts.has_healthcheck
	v := {"check": "HLT-01", "resource": r.id, "path": sprintf("stages[%d]", [r.facts.final_stage]),
		"message": "the final image stage defines no HEALTHCHECK"}
}
