# Container hardening and image provenance.
package compliance.checks.ctr

import data.compliance.lib
import rego.v1

# METADATA
# title: Containers run unprivileged, as non-root, with a minimal attack surface
# custom:
#   id: CTR-01
#   severity: high
#   remediation: Run as a non-root user, never privileged, allowPrivilegeEscalation false, drop ALL capabilities, read-only root filesystem, seccomp RuntimeDefault.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Dockerfile, ComposeService]
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	object.get(c.spec, ["securityContext", "privileged"], false) == true
	v := {"check": "CTR-01", "resource": r.id, "severity": "critical", "path": sprintf("%s.securityContext.privileged", [c.path]),
		"message": sprintf("container %s runs privileged", [c.name])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	object.get(c.spec, ["securityContext", "allowPrivilegeEscalation"], true) != false
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s does not set allowPrivilegeEscalation: false", [c.name])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	not runs_as_non_root(lib.pod_spec(r), c.spec)
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s may run as root (no runAsNonRoot: true or non-zero runAsUser)", [c.name])}
}

# The container's own setting wins over the pod's.
effective(pod, container, field) := container.securityContext[field]

effective(pod, container, field) := pod.securityContext[field] if not has_key(object.get(container, "securityContext", {}), field)

has_key(obj, key) if _ = obj[key]

runs_as_non_root(pod, container) if {
	effective(pod, container, "runAsNonRoot") == true
	not effective(pod, container, "runAsUser") == 0
}

runs_as_non_root(pod, container) if effective(pod, container, "runAsUser") > 0

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	not "ALL" in object.get(c.spec, ["securityContext", "capabilities", "drop"], [])
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext.capabilities", [c.path]),
		"message": sprintf("container %s does not drop ALL capabilities", [c.name])}
}

dangerous_caps := {"SYS_ADMIN", "NET_ADMIN", "ALL", "SYS_PTRACE", "SYS_MODULE", "NET_RAW"}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some cap in object.get(c.spec, ["securityContext", "capabilities", "add"], [])
	dangerous_caps[upper(cap)]
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext.capabilities.add", [c.path]),
		"message": sprintf("container %s adds capability %s", [c.name, cap])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	object.get(c.spec, ["securityContext", "readOnlyRootFilesystem"], false) != true
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s has a writable root filesystem", [c.name])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.role != "ephemeral"
	not seccomp_confined(lib.pod_spec(r), c.spec)
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s has no seccomp profile (RuntimeDefault or Localhost)", [c.name])}
}

seccomp_confined(pod, container) if effective(pod, container, "seccompProfile").type in {"RuntimeDefault", "Localhost"}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	r.facts.final_user == null
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("stages[%d]", [r.facts.final_stage]),
		"message": "the final image stage sets no USER, so the container runs as root"}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	user := r.facts.final_user
	user != null
	root_user(user)
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("stages[%d]", [r.facts.final_stage]),
		"message": sprintf("the final image stage runs as USER %s (root)", [user])}
}

root_user(user) if split(user, ":")[0] in {"root", "0"}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	object.get(r.body, "privileged", false) == true
	v := {"check": "CTR-01", "resource": r.id, "severity": "critical", "path": "privileged",
		"message": sprintf("compose service %s runs privileged", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	user := object.get(r.body, "user", "")
	is_string(user)
	root_user(user)
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": "user",
		"message": sprintf("compose service %s runs as root (user: %s)", [r.name, user])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some i, cap in object.get(r.body, "cap_add", [])
	dangerous_caps[upper(cap)]
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("cap_add[%d]", [i]),
		"message": sprintf("compose service %s adds capability %s", [r.name, cap])}
}

# METADATA
# title: Image provenance - pinned images from allowed registries
# custom:
#   id: CTR-02
#   severity: medium
#   remediation: Pin images by digest (@sha256:...) or at least an explicit version tag (never latest); pull only from allowed registries.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Dockerfile, ComposeService]
violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some b in r.facts.base_images
	not b.is_stage_ref
	b.image != "scratch"
	b.digest == null
	b.tag in {null, "latest"}
	v := {"check": "CTR-02", "resource": r.id, "line": b.line,
		"message": sprintf("base image %s is not pinned (no version tag or digest)", [b.reference])}
}
