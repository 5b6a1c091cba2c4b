# CTR-01 container hardening: non-root users, privileges, capabilities, host access.
#
# Judgements: a Dockerfile whose final stage sets no USER but builds on a ":nonroot" image
# (distroless) is not reported.
#
# Host access: hostPath volumes and compose bind mounts of the node's root, container runtime
# sockets and system paths (privileged, capabilities and host namespaces are judged here and
# in NET-03). A runtime socket (or the folder holding it) gives control of every container on
# the node, read-only or not: critical. The node's root is critical, high when mounted
# read-only in every container that mounts it. System paths (/proc, /etc, /sys, /dev,
# kubelet and runtime state, /root, /boot) are high, medium read-only. Any other host path is
# medium, low read-only.
#
# METADATA
# title: Containers run unprivileged, as non-root, with a minimal attack surface
# custom:
#   id: CTR-01
#   scope: resource
#   severity: high
#   remediation: Run as a non-root user, never privileged, allowPrivilegeEscalation false, drop ALL capabilities, read-only root filesystem, seccomp RuntimeDefault.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Dockerfile, ComposeService]
package compliance.checks.ctr_01

import data.compliance.lib
import rego.v1

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	object.get(c.spec, ["securityContext", "privileged"], false) == true
	v := {"check": "CTR-01", "resource": r.id, "severity": "critical", "path": sprintf("%s.securityContext.privileged", [c.path]),
		"message": sprintf("container %s runs privileged", [c.name])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	object.get(c.spec, ["securityContext", "allowPrivilegeEscalation"], true) != false
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s does not set allowPrivilegeEscalation: false", [c.name])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	not runs_as_non_root(w.pod, c.spec)
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s may run as root (no runAsNonRoot: true or non-zero runAsUser)", [c.name])}
}

# The container's own setting wins over the pod's (null when neither sets it).
effective(pod, container, field) := object.get(
	security_context(container), field,
	object.get(security_context(pod), field, null),
)

# A securityContext left empty (`securityContext:`, null) sets nothing, as in Kubernetes.
security_context(spec) := sc if {
	sc := object.get(spec, "securityContext", {})
	is_object(sc)
} else := {}

runs_as_non_root(pod, container) if {
	effective(pod, container, "runAsNonRoot") == true
	not effective(pod, container, "runAsUser") == 0
}

runs_as_non_root(pod, container) if effective(pod, container, "runAsUser") > 0

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	not "ALL" in object.get(c.spec, ["securityContext", "capabilities", "drop"], [])
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext.capabilities", [c.path]),
		"message": sprintf("container %s does not drop ALL capabilities", [c.name])}
}

dangerous_caps := {"SYS_ADMIN", "NET_ADMIN", "ALL", "SYS_PTRACE", "SYS_MODULE", "NET_RAW"}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	some cap in object.get(c.spec, ["securityContext", "capabilities", "add"], [])
	dangerous_caps[upper(cap)]
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("%s.securityContext.capabilities.add", [c.path]),
		"message": sprintf("container %s adds capability %s", [c.name, cap])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	object.get(c.spec, ["securityContext", "readOnlyRootFilesystem"], false) != true
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s has a writable root filesystem", [c.name])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	c.role != "ephemeral"
	not seccomp_confined(w.pod, c.spec)
	v := {"check": "CTR-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.securityContext", [c.path]),
		"message": sprintf("container %s has no seccomp profile (RuntimeDefault or Localhost)", [c.name])}
}

seccomp_confined(pod, container) if effective(pod, container, "seccompProfile").type in {"RuntimeDefault", "Localhost"}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	r.facts.final_user == null
	not nonroot_base(r)
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

root_user(user) if split(sprintf("%v", [user]), ":")[0] in {"root", "0"}

# The final stage (or the stage it is built from) starts from an image whose tag says it runs
# as non-root, like gcr.io/distroless/static:nonroot.
nonroot_base(r) if {
	some b in r.facts.base_images
	b.stage == r.facts.final_stage
	is_string(b.tag)
	contains(lower(b.tag), "nonroot")
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	object.get(r.body, "privileged", false) == true
	v := {"check": "CTR-01", "resource": r.id, "severity": "critical", "path": "privileged",
		"message": sprintf("compose service %s runs privileged", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	user := object.get(r.body, "user", "")
	user != ""
	root_user(user)
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": "user",
		"message": sprintf("compose service %s runs as root (user: %v)", [r.name, user])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some i, cap in object.get(r.body, "cap_add", [])
	dangerous_caps[upper(cap)]
	v := {"check": "CTR-01", "resource": r.id, "severity": "high", "path": sprintf("cap_add[%d]", [i]),
		"message": sprintf("compose service %s adds capability %s", [r.name, cap])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	object.get(r.body, "read_only", false) != true
	v := {"check": "CTR-01", "resource": r.id, "severity": "low",
		"message": sprintf("compose service %s has a writable root filesystem (read_only is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	not no_new_privileges(r)
	v := {"check": "CTR-01", "resource": r.id, "severity": "low",
		"message": sprintf("compose service %s does not set security_opt no-new-privileges:true", [r.name])}
}

no_new_privileges(r) if {
	some opt in object.get(r.body, "security_opt", [])
	lower(replace(opt, "=", ":")) in {"no-new-privileges:true", "no-new-privileges"}
}

runtime_sockets := {
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock",
	"/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/var/run/podman/podman.sock",
	"/run/podman/podman.sock", "/var/run", "/run", "/var/run/containerd", "/run/containerd",
	"/var/run/docker", "/run/docker",
}

system_paths := {
	"/proc", "/etc", "/sys", "/dev", "/root", "/boot", "/var/lib/kubelet", "/var/lib/docker",
	"/var/lib/containerd", "/etc/kubernetes", "/var/lib/etcd", "/usr", "/lib", "/bin", "/sbin", "/var/log",
}

# A host path without trailing slashes ("/" stays "/").
host_path(p) := "/" if {
	is_string(p)
	trim_right(p, "/") == ""
	startswith(p, "/")
}

host_path(p) := trim_right(p, "/") if {
	is_string(p)
	trim_right(p, "/") != ""
}

# What a host path exposes and the finding's severity: [what, writable severity, read-only severity].
host_exposure(p) := ["the container runtime socket", "critical", "critical"] if runtime_sockets[p]

host_exposure(p) := ["the host's root filesystem", "critical", "high"] if p == "/"

host_exposure(p) := ["a host system path", "high", "medium"] if {
	not runtime_sockets[p]
	p != "/"
	system_under(p)
}

host_exposure(p) := ["a host path", "medium", "low"] if {
	not runtime_sockets[p]
	p != "/"
	not system_under(p)
}

system_under(p) if system_paths[p]

system_under(p) if {
	some s in system_paths
	startswith(p, concat("", [s, "/"]))
}

# Kubernetes: every container mounting the volume does so read-only (and at least one does).
k8s_read_only(r, name) if {
	mounts := [m | some c in lib.containers(r); some m in object.get(c.spec, "volumeMounts", []); m.name == name]
	count(mounts) > 0
	count([m | some m in mounts; object.get(m, "readOnly", false) != true]) == 0
}

severity_of(exposure, true) := exposure[2]

severity_of(exposure, false) := exposure[1]

mode_word(true) := "read-only"

mode_word(false) := "writable"

violations contains v if {
	some r in data.compliance.lib.workloads
	some i, vol in object.get(lib.pod_spec(r), "volumes", [])
	p := host_path(vol.hostPath.path)
	exposure := host_exposure(p)
	read_only := k8s_read_only_flag(r, vol.name)
	v := {"check": "CTR-01", "resource": r.id, "severity": severity_of(exposure, read_only),
		"path": sprintf("%s.volumes[%d].hostPath.path", [r.facts.pod_spec_path, i]),
		"message": sprintf("%s %s mounts %s (hostPath %s, %s)", [r.kind, r.name, exposure[0], p, mode_word(read_only)])}
}

k8s_read_only_flag(r, name) := true if k8s_read_only(r, name)

k8s_read_only_flag(r, name) := false if not k8s_read_only(r, name)

# Compose: short syntax "SOURCE:TARGET[:MODE]" (a bind mount when SOURCE is a path) or long
# syntax {type: bind, source, target, read_only}.
compose_bind(item) := {"source": parts[0], "read_only": compose_ro_mode(parts)} if {
	is_string(item)
	parts := split(item, ":")
	count(parts) >= 2
	startswith(parts[0], "/")
}

compose_bind(item) := {"source": item.source, "read_only": object.get(item, "read_only", false) == true} if {
	is_object(item)
	object.get(item, "type", "") == "bind"
	is_string(item.source)
	startswith(item.source, "/")
}

compose_ro_mode(parts) := true if {
	count(parts) >= 3
	"ro" in split(parts[2], ",")
}

compose_ro_mode(parts) := false if {
	count(parts) >= 3
	not "ro" in split(parts[2], ",")
}

compose_ro_mode(parts) := false if count(parts) < 3

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some i, item in object.get(r.body, "volumes", [])
	bind := compose_bind(item)
	p := host_path(bind.source)
	exposure := host_exposure(p)
	v := {"check": "CTR-01", "resource": r.id, "severity": severity_of(exposure, bind.read_only), "path": sprintf("volumes[%d]", [i]),
		"message": sprintf("compose service %s mounts %s (bind mount %s, %s)", [r.name, exposure[0], p, mode_word(bind.read_only)])}
}
