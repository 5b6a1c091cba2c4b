# AUTH-05 password policy.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   password_min_length  shortest allowed password
#
# METADATA
# title: Password policy and no default credentials
# custom:
#   id: AUTH-05
#   scope: resource
#   severity: medium
#   remediation: Require passwords of at least 14 characters (password_min_length) and replace every default or well-known credential with a generated secret.
#   kinds: [SecurityConfig, aws_iam_account_password_policy, aws_db_instance, aws_rds_cluster, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ComposeService, Dockerfile]
#   assesses:
#     SecurityConfig: [facts.auth_methods.password]
#     Pod: [facts.containers.*.env]
#     Deployment: [facts.containers.*.env]
#     StatefulSet: [facts.containers.*.env]
#     DaemonSet: [facts.containers.*.env]
#     ReplicaSet: [facts.containers.*.env]
#     ReplicationController: [facts.containers.*.env]
#     Job: [facts.containers.*.env]
#     CronJob: [facts.containers.*.env]
#     ComposeService: [facts.environment.*]
#     Dockerfile: [facts.env.*]
package compliance.checks.auth_05

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	have := r.body.security.auth_config.password_min_length
	is_number(have)
	want := lib.param("password_min_length", 14)
	have < want
	v := {"check": "AUTH-05", "resource": r.id, "path": "security.auth_config.password_min_length",
		"message": sprintf("passwords may be %d characters long; at least %d are required", [have, want])}
}

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	"password" in r.body.security.auth_config.methods
	r.body.security.auth_config.password_min_length == null
	v := {"check": "AUTH-05", "resource": r.id, "path": "security.auth_config",
		"message": sprintf("password logins have no minimum length (password_min_length is unset); at least %d is required", [lib.param("password_min_length", 14)])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_account_password_policy")
	have := object.get(r.body, "minimum_password_length", 6)
	is_number(have)
	want := lib.param("password_min_length", 14)
	have < want
	v := {"check": "AUTH-05", "resource": r.id, "path": "minimum_password_length",
		"message": sprintf("IAM password policy allows %d-character passwords; at least %d are required", [have, want])}
}

# Well-known default passwords (compared case-insensitively; never echoed).
default_passwords := {
	"admin", "password", "passw0rd", "postgres", "root", "changeme", "change_me", "secret", "123456",
	"12345678", "default", "test", "guest", "letmein", "mysql", "toor", "qwerty", "administrator",
}

default_password(value) if {
	is_string(value)
	default_passwords[lower(trim_space(value))]
}

violations contains v if {
	some kind in {"aws_db_instance", "aws_rds_cluster"}
	some r in lib.of_kind(kind)
	some field in ["password", "master_password"]
	default_password(object.get(r.body, field, null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "path": field,
		"message": sprintf("%s %s uses a well-known default %s", [kind, r.name, field])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	some i, env in object.get(c.spec, "env", [])
	lib.looks_secret(env.name)
	default_password(object.get(env, "value", null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s sets %s to a well-known default password", [c.name, env.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in r.facts.environment
	lib.looks_secret(e.name)
	default_password(e.value)
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("compose service %s sets %s to a well-known default password", [r.name, e.name])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	lib.looks_secret(e.name)
	default_password(object.get(e, "value", null))
	v := {"check": "AUTH-05", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("%s %s is a well-known default password", [e.instruction, e.name])}
}
