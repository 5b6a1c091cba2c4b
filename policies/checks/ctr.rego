# Container hardening and image provenance.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   allowed_registries  image registries/prefixes images may come from (CTR-02; [] = any),
#                       e.g. ["ghcr.io/bpi", "registry.internal:5000"]. Images without a
#                       registry host come from docker.io.
#
# Judgements: a Dockerfile whose final stage sets no USER but builds on a ":nonroot" image
# (distroless) is not reported. Compose services built locally (with `build:`) name the image
# they produce, so CTR-02 skips them. A version tag without a digest is a low CTR-02 finding;
# no tag or :latest is medium.
package compliance.checks.ctr

import data.compliance.lib
import rego.v1

# METADATA
# title: Containers run unprivileged, as non-root, with a minimal attack surface
# custom:
#   id: CTR-01
#   scope: resource
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

# The container's own setting wins over the pod's (null when neither sets it).
effective(pod, container, field) := object.get(
	object.get(container, "securityContext", {}), field,
	object.get(object.get(pod, "securityContext", {}), field, null),
)

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

# Scope resource: `images` spans every resource, but each image carries the resource it
# comes from, and its findings depend on that image reference alone.

# METADATA
# title: Image provenance - pinned images from allowed registries
# custom:
#   id: CTR-02
#   scope: resource
#   severity: medium
#   remediation: Pin images by digest (@sha256:...) or at least an explicit version tag (never latest); pull only from allowed registries (allowed_registries).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Dockerfile, ComposeService]
violations contains v if {
	some image in images
	some v in provenance(image)
}

# Every image reference a run pulls: {resource, reference, where (path or line), what}.
images contains {"resource": r.id, "reference": c.image, "path": sprintf("%s.image", [c.path]), "what": sprintf("container %s", [c.name])} if {
	some r in lib.workloads
	some c in r.facts.containers
	is_string(c.image)
	c.image != ""
}

images contains {"resource": r.id, "reference": b.reference, "line": b.line, "what": sprintf("stage %d", [b.stage])} if {
	some r in lib.of_kind("Dockerfile")
	some b in r.facts.base_images
	not b.is_stage_ref
	lower(b.image) != "scratch"
	not contains(b.reference, "$")
}

images contains {"resource": r.id, "reference": r.facts.image, "path": "image", "what": sprintf("compose service %s", [r.name])} if {
	some r in lib.of_kind("ComposeService")
	is_string(r.facts.image)
	not r.body.build
	not contains(r.facts.image, "$")
}

# name[:tag][@digest] split the way Docker does: the tag follows the last ':' after the last '/'.
parts(reference) := {"name": name, "tag": tag, "digest": digest} if {
	at := split(reference, "@")
	name_tag := at[0]
	digest := nth(at, 1)
	segments := split(name_tag, "/")
	last := segments[count(segments) - 1]
	colon := split(last, ":")
	tag := nth(colon, 1)
	name := trim_suffix(name_tag, tag_suffix(tag))
}

nth(array, i) := array[i]

nth(array, i) := null if count(array) <= i

tag_suffix(null) := ""

tag_suffix(tag) := concat("", [":", tag]) if tag != null

registry(name) := segments[0] if {
	segments := split(name, "/")
	count(segments) > 1
	regex.match(`[.:]|^localhost$`, segments[0])
}

registry(name) := "docker.io" if {
	segments := split(name, "/")
	not regex.match(`[.:]|^localhost$`, segments[0])
}

registry(name) := "docker.io" if count(split(name, "/")) == 1

where(image) := {"path": image.path} if image.path

where(image) := {"line": image.line} if not image.path

finding(image, severity, message) := object.union(where(image), {"check": "CTR-02", "resource": image.resource, "severity": severity, "message": message})

provenance(image) := {finding(image, "medium", sprintf("%s uses image %s without a version tag or digest (implicitly latest)", [image.what, image.reference]))} if {
	p := parts(image.reference)
	p.digest == null
	p.tag == null
}

provenance(image) := {finding(image, "medium", sprintf("%s uses image %s: the mutable latest tag", [image.what, image.reference]))} if {
	p := parts(image.reference)
	p.digest == null
	p.tag == "latest"
}

provenance(image) := {finding(image, "low", sprintf("%s uses image %s pinned by tag only; pin it by digest (@sha256:...)", [image.what, image.reference]))} if {
	p := parts(image.reference)
	p.digest == null
	not p.tag in {null, "latest"}
}

violations contains v if {
	some image in images
	allowed := lib.param("allowed_registries", [])
	count(allowed) > 0
	name := parts(image.reference).name
	not from_allowed(name, allowed)
	v := finding(image, "medium", sprintf("%s uses image %s from registry %s, which is not in allowed_registries", [image.what, image.reference, registry(name)]))
}

from_allowed(name, allowed) if registry(name) in allowed

from_allowed(name, allowed) if {
	some prefix in allowed
	startswith(name, concat("", [trim_suffix(prefix, "/"), "/"]))
}
