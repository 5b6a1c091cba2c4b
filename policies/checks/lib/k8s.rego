# Helpers shared by the namespace-scoped Kubernetes checks (HLT-01, NET-01, RES-01): a
# resource's namespace, the workloads and Namespace objects of each namespace, and the
# resource a per-namespace finding is reported on. No violations here.
package compliance.lib.k8s

import rego.v1

ns_of(r) := r.namespace if is_string(r.namespace)

ns_of(r) := "default" if not is_string(r.namespace)

# One pass over the workloads (a comprehension per workload over every workload was
# quadratic: 2,000 Deployments in one namespace took a minute).
workload_ids_by_ns[ns] contains r.id if {
	some r in data.compliance.lib.workloads
	ns := ns_of(r)
}

# Two Namespace objects of one name (two installs of one app) both stay: the first id reports.
namespace_ids[r.name] contains r.id if {
	some r in data.compliance.lib.of_kind("Namespace")
}

# A namespace's finding goes on its Namespace object, else on its smallest workload id.
report_on(ns) := min(namespace_ids[ns])

report_on(ns) := min(workload_ids_by_ns[ns]) if not namespace_ids[ns]
