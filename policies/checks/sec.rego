# Secrets handling: no plaintext secrets, rotation.
package compliance.checks.sec

import data.compliance.lib
import rego.v1

# METADATA
# title: No plaintext secrets in configuration
# custom:
#   id: SEC-01
#   severity: critical
#   remediation: Take secrets from a secret store or mount them as files; never write them into env, ENV/ARG, compose files, ConfigMaps or Terraform.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ConfigMap, Dockerfile, ComposeService, terraform_variable, aws_db_instance, aws_rds_cluster]
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, env in object.get(c.spec, "env", [])
	lib.literal_secret(env.name, object.get(env, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s sets %s to a literal secret value in its environment", [c.name, env.name])}
}

violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, env in object.get(c.spec, "env", [])
	env.valueFrom.secretKeyRef
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s exposes Secret %s as environment variable %s; mount it as a file instead", [c.name, env.valueFrom.secretKeyRef.name, env.name])}
}

violations contains v if {
	some r in lib.of_kind("ConfigMap")
	some key, value in object.get(r.body, "data", {})
	lib.literal_secret(key, value)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("data.%s", [key]),
		"message": sprintf("ConfigMap %s holds a secret-looking key %s in plaintext; use a Secret", [r.name, key])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	lib.literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("%s %s bakes a secret value into the image", [e.instruction, e.name])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	e.instruction == "ARG"
	lib.looks_secret(e.name)
	not lib.literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("build argument %s carries a secret; build args are kept in the image history (use --mount=type=secret)", [e.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in r.facts.environment
	lib.literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("compose service %s sets %s to a literal secret value", [r.name, e.name])}
}

violations contains v if {
	some r in lib.of_kind("terraform_variable")
	lib.literal_secret(r.name, object.get(r.body, "default", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": "default",
		"message": sprintf("variable %s has a literal secret default", [r.name])}
}

violations contains v if {
	some kind in {"aws_db_instance", "aws_rds_cluster"}
	some r in lib.of_kind(kind)
	some field in ["password", "master_password"]
	lib.literal_secret(field, object.get(r.body, field, ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s has a literal %s; use manage_master_user_password or a secret store", [kind, r.name, field])}
}

# METADATA
# title: Secrets and keys are rotated
# custom:
#   id: SEC-02
#   severity: medium
#   remediation: Enable automatic rotation for KMS keys (enable_key_rotation = true) and for Secrets Manager secrets, at most every 90 days.
#   kinds: [aws_kms_key, aws_secretsmanager_secret, aws_secretsmanager_secret_rotation]
violations contains v if {
	some r in lib.of_kind("aws_kms_key")
	object.get(r.body, "key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
	object.get(r.body, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	not object.get(r.body, "enable_key_rotation", false) == true
	v := {"check": "SEC-02", "resource": r.id, "path": "enable_key_rotation",
		"message": sprintf("KMS key %s does not rotate automatically (enable_key_rotation is not true)", [r.name])}
}
