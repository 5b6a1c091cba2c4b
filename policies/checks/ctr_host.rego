# CTR-01 host access: hostPath volumes and compose bind mounts of the node's root, container
# runtime sockets and system paths. The check's METADATA is in ctr.rego; privileged,
# capabilities and host namespaces are judged there and in NET-03.
#
# Judgements: a runtime socket (or the folder holding it) gives control of every container on
# the node, read-only or not: critical. The node's root is critical, high when mounted
# read-only in every container that mounts it. System paths (/proc, /etc, /sys, /dev,
# kubelet and runtime state, /root, /boot) are high, medium read-only. Any other host path is
# medium, low read-only.
package compliance.checks.ctr

import data.compliance.lib
import rego.v1

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
	is_object(vol)
	p := host_path(object.get(vol, ["hostPath", "path"], null))
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
