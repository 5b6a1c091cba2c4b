# Shared helpers for the check library. No violations here.
package compliance.lib

import rego.v1

workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}

# Resources of one kind; checks iterate by kind, never over every resource.
of_kind(kind) := object.get(input.kinds, kind, [])

workloads contains r if {
	some kind in workload_kinds
	some r in of_kind(kind)
	r.facts.pod_spec_path
}

pod_spec(r) := object.get(r.body, split(r.facts.pod_spec_path, "."), {})

# Each container of a workload: facts (name, image, role, path) plus its spec.
containers(r) := [object.union(c, {"spec": spec}) |
	pod := pod_spec(r)
	some c in r.facts.containers
	specs := pod[c.field]
	spec := specs[c.index]
]

# Every container of every workload, derived once per evaluation: the workload (resource),
# its pod spec (pod) and the container as containers(r) gives it (container).
workload_containers := [{"resource": r, "pod": pod, "container": c} |
	some r in workloads
	pod := pod_spec(r)
	some c in containers(r)
]

# The workload containers of workloads that run a control-plane binary (facts.control_plane:
# kube-apiserver, kubelet or etcd, found by the loader as runs finds them); the checks of
# control-plane flags look only at these.
control_plane_containers := [w | some w in workload_containers; w.resource.facts.control_plane]

param(name, default_value) := object.get(input.params, name, default_value)

admin_ports := param("admin_ports", [22, 3389, 1433, 3306, 5432, 6379, 27017, 9200])

world_cidrs := {"0.0.0.0/0", "::/0"}

secret_name_pattern := `(?i)(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key|auth[_-]?key)`

looks_secret(name) if regex.match(secret_name_pattern, name)

# A value that is a reference to something else (not a literal secret).
is_reference(value) if regex.match(`^\s*(\$\{[^}]+\}|\$\([^)]+\)|\$[A-Za-z_][A-Za-z0-9_]*)\s*$`, value)

literal_secret(name, value) if {
	is_string(value)
	count(trim_space(value)) > 0
	looks_secret(name)
	not points_to_file(name, value)
	not is_reference(value)
}

tls_rank := {"1.0": 10, "1.1": 11, "1.2": 12, "1.3": 13}

port_in_range(port, from, to) if {
	port >= from
	port <= to
}

# NAME_FILE=/run/secrets/x is the file-mounted pattern, not a secret value.
points_to_file(name, _) if regex.match(`(?i)_(file|path|dir)$`, name)

points_to_file(_, value) if {
	is_string(value)
	regex.match(`^/(run|var/run)/secrets/`, value)
}

# Command and arguments of a container as one list of strings.
command_line(spec) := array.concat(object.get(spec, "command", []), object.get(spec, "args", []))

# The container runs `binary`: a word of its command line that is the binary or a path to it.
# Flags are not words: --kubelet-service=kube-system/kubelet does not run the kubelet.
runs(spec, binary) if {
	some arg in command_line(spec)
	not startswith(arg, "-")
	regex.match(sprintf(`(^|/)%s$`, [binary]), arg)
}

# Terraform kinds judged alike, with the words a message names them by.
db_kinds := {"aws_db_instance": "database instance", "aws_rds_cluster": "database cluster"}

search_kinds := {"aws_elasticsearch_domain": "Elasticsearch domain", "aws_opensearch_domain": "OpenSearch domain"}
