# CTR-02 image provenance.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   allowed_registries  image registries/prefixes images may come from ([] = any),
#                       e.g. ["ghcr.io/bpi", "registry.internal:5000"]. Images without a
#                       registry host come from docker.io.
#
# Judgements: compose services built locally (with `build:`) name the image they produce, so
# they are skipped. A version tag without a digest is a low finding; no tag or :latest is
# medium.
#
# METADATA
# title: Image provenance - pinned images from allowed registries
# custom:
#   id: CTR-02
#   scope: resource
#   severity: medium
#   remediation: Pin images by digest (@sha256:...) or at least an explicit version tag (never latest); pull only from allowed registries (allowed_registries).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Dockerfile, ComposeService]
package compliance.checks.ctr_02

import data.compliance.lib
import rego.v1

# Scope resource: `images` spans every resource, but each image carries the resource it
# comes from, and its findings depend on that image reference alone.

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

# Each distinct reference split once (images repeat across workloads).
references := {image.reference | some image in images}

reference_parts[reference] := parts(reference) if some reference in references

provenance(image) := {finding(image, "medium", sprintf("%s uses image %s without a version tag or digest (implicitly latest)", [image.what, image.reference]))} if {
	p := reference_parts[image.reference]
	p.digest == null
	p.tag == null
}

provenance(image) := {finding(image, "medium", sprintf("%s uses image %s: the mutable latest tag", [image.what, image.reference]))} if {
	p := reference_parts[image.reference]
	p.digest == null
	p.tag == "latest"
}

provenance(image) := {finding(image, "low", sprintf("%s uses image %s pinned by tag only; pin it by digest (@sha256:...)", [image.what, image.reference]))} if {
	p := reference_parts[image.reference]
	p.digest == null
	not p.tag in {null, "latest"}
}

violations contains v if {
	allowed := lib.param("allowed_registries", [])
	count(allowed) > 0
	some image in images
	name := reference_parts[image.reference].name
	not from_allowed(name, allowed)
	v := finding(image, "medium", sprintf("%s uses image %s from registry %s, which is not in allowed_registries", [image.what, image.reference, registry(name)]))
}

from_allowed(name, allowed) if registry(name) in allowed

from_allowed(name, allowed) if {
	some prefix in allowed
	startswith(name, concat("", [trim_suffix(prefix, "/"), "/"]))
}
