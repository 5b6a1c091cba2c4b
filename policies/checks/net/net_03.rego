# NET-03 workload isolation: host network and host namespaces.
#
# METADATA
# title: Workload isolation - no host namespaces or host ports
# custom:
#   id: NET-03
#   scope: resource
#   severity: high
#   remediation: Do not use hostNetwork, hostPID, hostIPC or hostPort; in compose avoid network_mode/pid/ipc host; deploy workloads into dedicated namespaces, not default.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ComposeService]
package compliance.checks.net_03

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.workloads
	pod := lib.pod_spec(r)
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	object.get(pod, field, false) == true
	v := {"check": "NET-03", "resource": r.id, "path": sprintf("%s.%s", [r.facts.pod_spec_path, field]),
		"message": sprintf("%s %s shares the node's namespaces (%s: true)", [r.kind, r.name, field])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
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
