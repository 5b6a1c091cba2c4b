# TLS-05 mutual TLS where clients must be authenticated.
#
# METADATA
# title: Mutual TLS for service-to-service and control-plane traffic
# custom:
#   id: TLS-05
#   scope: resource
#   severity: high
#   remediation: Require client certificates (client_auth = "require") on service endpoints, and configure client-certificate authentication for etcd, the API server and kubelets.
#   kinds: [SecurityConfig, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   assesses:
#     SecurityConfig: [facts.enabled.tls, facts.auth_methods.mtls]
#     Pod: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     Deployment: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     StatefulSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     DaemonSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     ReplicaSet: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     ReplicationController: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     Job: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
#     CronJob: [facts.control_plane.kube-apiserver, facts.control_plane.kubelet, facts.control_plane.etcd]
package compliance.checks.tls_05

import data.compliance.lib
import data.compliance.lib.tls as tls_lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	r.body.security.tls_config.enabled
	mode := r.body.security.tls_config.client_auth
	mode != "require"
	v := {"check": "TLS-05", "resource": r.id, "severity": client_auth_severity(mode), "path": "security.tls_config.client_auth",
		"message": sprintf("client certificates are not required (client_auth = %s): peers are not authenticated by mutual TLS", [mode])}
}

client_auth_severity(mode) := "medium" if mode == "request"
else := "high"

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.security.tls_config.enabled
	"mtls" in r.body.security.auth_config.methods
	v := {"check": "TLS-05", "resource": r.id, "severity": "high", "path": "security.auth_config.methods",
		"message": "authentication method mtls is configured but TLS is disabled, so no client certificate can be checked"}
}

# Control-plane flags: each component, the flag it needs, and what it protects.
mtls_flags := [
	{"binary": "kube-apiserver", "flag": "client-ca-file", "what": "clients are not verified by certificate"},
	{"binary": "kube-apiserver", "flag": "kubelet-client-certificate", "what": "the API server does not authenticate to kubelets with a client certificate"},
	{"binary": "kube-apiserver", "flag": "etcd-certfile", "what": "the API server does not authenticate to etcd with a client certificate"},
	{"binary": "kube-apiserver", "flag": "etcd-cafile", "what": "the API server does not verify etcd's certificate"},
	{"binary": "etcd", "flag": "client-cert-auth", "what": "etcd accepts clients without a certificate"},
	{"binary": "etcd", "flag": "peer-client-cert-auth", "what": "etcd accepts peers without a certificate"},
	{"binary": "kubelet", "flag": "client-ca-file", "what": "the kubelet does not verify clients by certificate"},
]

violations contains v if {
	some w in lib.control_plane_containers
	r := w.resource
	c := w.container
	some f in mtls_flags
	lib.runs(c.spec, f.binary)
	not flag_enabled(lib.command_line(c.spec), f.flag)
	v := {"check": "TLS-05", "resource": r.id, "severity": "high", "path": c.path,
		"message": sprintf("container %s runs %s without --%s: %s", [c.name, f.binary, f.flag, f.what])}
}

flag_enabled(cmd, name) if {
	value := tls_lib.flag_value(cmd, name)
	value != ""
	value != "false"
}
