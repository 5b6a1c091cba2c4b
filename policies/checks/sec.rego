# Secrets handling: no plaintext secrets, rotation.
#
# Parameters (input.params, read through lib.param; defaults and allowed values are declared
# in policies/parameters.yaml):
#   secret_rotation_max_days  longest allowed Secrets Manager rotation interval (SEC-02)
#   kms_rotation_max_days     longest allowed KMS key rotation period (SEC-02)
package compliance.checks.sec

import data.compliance.lib
import rego.v1

# lib.literal_secret, minus settings about secrets that are not secrets themselves
# (TOKEN_TTL, PASSWORD_MIN_LENGTH, SECRET_NAME, API_KEY_ID, ...).
literal_secret(name, value) if {
	lib.literal_secret(name, value)
	not secret_setting(name)
}

secret_setting(name) if regex.match(`(?i)[_.-](ttl|length|len|min|max|timeout|expiry|expires|lifetime|age|seconds|minutes|hours|days|enabled|required|rotation|policy|name|id|arn|path|file|dir|url|uri|ref|version)$`, name)

# METADATA
# title: No plaintext secrets in configuration
# custom:
#   id: SEC-01
#   scope: resource
#   severity: critical
#   remediation: Take secrets from a secret store or mount them as files; never write them into env, ENV/ARG, compose files, ConfigMaps or Terraform.
#   kinds: [ComposeService, ConfigMap, CronJob, DaemonSet, Deployment, Dockerfile, Job, Pod, ReplicaSet, ReplicationController, Secret, StatefulSet, aws_db_instance, aws_instance, aws_lambda_function, aws_launch_configuration, aws_launch_template, aws_rds_cluster, aws_secretsmanager_secret_version, aws_ssm_parameter, azurerm_linux_virtual_machine, azurerm_linux_virtual_machine_scale_set, azurerm_mariadb_server, azurerm_mssql_server, azurerm_mysql_flexible_server, azurerm_mysql_server, azurerm_postgresql_flexible_server, azurerm_postgresql_server, azurerm_sql_server, azurerm_windows_virtual_machine, azurerm_windows_virtual_machine_scale_set, google_sql_user, provider.aws, terraform_locals, terraform_module, terraform_variable]
#   assesses:
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
#     ConfigMap: [body.data.*]
#     terraform_variable: [body.default]
#     aws_instance: [facts.user_data_env]
#     aws_lambda_function: [body.environment.variables]
#     aws_launch_configuration: [facts.user_data_env]
#     aws_launch_template: [facts.user_data_env]
#     azurerm_linux_virtual_machine: [body.admin_password]
#     azurerm_linux_virtual_machine_scale_set: [body.admin_password]
#     azurerm_mariadb_server: [body.administrator_login_password]
#     azurerm_mssql_server: [body.administrator_login_password]
#     azurerm_mysql_flexible_server: [body.administrator_password]
#     azurerm_mysql_server: [body.administrator_login_password]
#     azurerm_postgresql_flexible_server: [body.administrator_password]
#     azurerm_postgresql_server: [body.administrator_login_password]
#     azurerm_sql_server: [body.administrator_login_password]
#     azurerm_windows_virtual_machine: [body.admin_password]
#     azurerm_windows_virtual_machine_scale_set: [body.admin_password]
#     google_sql_user: [body.password]
#     provider.aws: [body.access_key, body.secret_key, body.token]
violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, env in object.get(c.spec, "env", [])
	literal_secret(env.name, object.get(env, "value", ""))
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
	literal_secret(key, value)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("data.%s", [key]),
		"message": sprintf("ConfigMap %s holds a secret-looking key %s in plaintext; use a Secret", [r.name, key])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("%s %s bakes a secret value into the image", [e.instruction, e.name])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	e.instruction == "ARG"
	lib.looks_secret(e.name)
	not literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "line": e.line,
		"message": sprintf("build argument %s carries a secret; build args are kept in the image history (use --mount=type=secret)", [e.name])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in r.facts.environment
	literal_secret(e.name, object.get(e, "value", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("compose service %s sets %s to a literal secret value", [r.name, e.name])}
}

violations contains v if {
	some r in lib.of_kind("terraform_variable")
	literal_secret(r.name, object.get(r.body, "default", ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": "default",
		"message": sprintf("variable %s has a literal secret default", [r.name])}
}

violations contains v if {
	some kind in {"aws_db_instance", "aws_rds_cluster"}
	some r in lib.of_kind(kind)
	some field in ["password", "master_password"]
	literal_secret(field, object.get(r.body, field, ""))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s has a literal %s; use manage_master_user_password or a secret store", [kind, r.name, field])}
}


violations contains v if {
	some r in lib.workloads
	some c in lib.containers(r)
	some i, source in object.get(c.spec, "envFrom", [])
	source.secretRef
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": sprintf("%s.envFrom[%d]", [c.path, i]),
		"message": sprintf("container %s exposes every key of Secret %s as environment variables; mount it as a file instead", [c.name, source.secretRef.name])}
}

# A Secret manifest with secret values is the secret in plain text in the repository (base64
# is an encoding, not encryption). Use SealedSecrets, External Secrets or SOPS instead. The
# values are judged, not the kind: a configuration file kept in a Secret (facts.secret_values,
# computed by the loader) counts only when a setting in it holds a secret; empty values do not.
# The finding itself is in sec_values.rego.

# A Terraform literal: a non-empty string with no interpolation or reference in it.
tf_literal(value) if {
	is_string(value)
	count(trim_space(value)) > 0
	not contains(value, "${")
}

violations contains v if {
	some r in lib.of_kind("aws_ssm_parameter")
	lib.looks_secret(r.body.name)
	upper(object.get(r.body, "type", "String")) != "SECURESTRING"
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": "type",
		"message": sprintf("SSM parameter %s looks like a secret but is stored as %s, not SecureString", [r.body.name, object.get(r.body, "type", "String")])}
}

violations contains v if {
	some r in lib.of_kind("aws_ssm_parameter")
	lib.looks_secret(object.get(r.body, "name", r.name))
	some field in ["value", "insecure_value"]
	tf_literal(object.get(r.body, field, null))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("SSM parameter %s has a literal secret %s in Terraform", [object.get(r.body, "name", r.name), field])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_version")
	some field in ["secret_string", "secret_string_wo"]
	tf_literal(object.get(r.body, field, null))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("secret version %s has a literal %s in Terraform; generate it (random_password) or set it outside Terraform", [r.name, field])}
}

# Scope global: a secret is rotated when an aws_secretsmanager_secret_rotation in any file
# names it (rotated_secrets).

# METADATA
# title: Secrets and keys are rotated
# custom:
#   id: SEC-02
#   scope: global
#   severity: medium
#   remediation: Enable automatic rotation for KMS keys (enable_key_rotation = true) and for Secrets Manager secrets (aws_secretsmanager_secret_rotation), at most every 90 days.
#   kinds: [aws_kms_key, aws_secretsmanager_secret, aws_secretsmanager_secret_rotation]
violations contains v if {
	some r in lib.of_kind("aws_kms_key")
	object.get(r.body, "key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
	object.get(r.body, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	not object.get(r.body, "enable_key_rotation", false) == true
	v := {"check": "SEC-02", "resource": r.id, "path": "enable_key_rotation",
		"message": sprintf("KMS key %s does not rotate automatically (enable_key_rotation is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_kms_key")
	object.get(r.body, "enable_key_rotation", false) == true
	days := object.get(r.body, "rotation_period_in_days", 365)
	want := lib.param("kms_rotation_max_days", 365)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "severity": "low", "path": rotation_period_path(r),
		"message": sprintf("KMS key %s rotates every %d days; at most %d are allowed", [r.name, days, want])}
}

rotation_period_path(r) := "rotation_period_in_days" if r.body.rotation_period_in_days
else := "enable_key_rotation"

# Secrets named in some rotation resource (secret_id = aws_secretsmanager_secret.<name>.id/arn).
rotated_secrets contains name if {
	some rot in lib.of_kind("aws_secretsmanager_secret_rotation")
	parts := regex.find_all_string_submatch_n(`aws_secretsmanager_secret\.([A-Za-z0-9_-]+)\.`, object.get(rot.body, "secret_id", ""), -1)
	some m in parts
	name := m[1]
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret")
	not rotated_secrets[r.name]
	not r.body.rotation_rules
	v := {"check": "SEC-02", "resource": r.id,
		"message": sprintf("secret %s has no automatic rotation (no aws_secretsmanager_secret_rotation refers to it)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_rotation")
	days := r.body.rotation_rules.automatically_after_days
	want := lib.param("secret_rotation_max_days", 90)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "path": "rotation_rules.automatically_after_days",
		"message": sprintf("secret rotation %s runs every %d days; at most %d are allowed", [r.name, days, want])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_rotation")
	expression := r.body.rotation_rules.schedule_expression
	m := regex.find_all_string_submatch_n(`^rate\((\d+) days?\)$`, expression, 1)
	days := to_number(m[0][1])
	want := lib.param("secret_rotation_max_days", 90)
	days > want
	v := {"check": "SEC-02", "resource": r.id, "path": "rotation_rules.schedule_expression",
		"message": sprintf("secret rotation %s runs every %d days (%s); at most %d are allowed", [r.name, days, expression, want])}
}

# Known credential formats (facts.secret_shapes, computed by the loaders with the same
# detector that redaction uses): each entry names the value's path and its shape, never
# the value. Any value of any resource can hold a credential: the rule reads ``input.shaped``,
# every resource of any kind holding a shape (its shapes only), which the engine input
# carries whatever kinds the other checks read.
shape_labels := {
	"aws-access-key-id": "an AWS access key id",
	"github-token": "a GitHub token",
	"slack-token": "a Slack token",
	"stripe-key": "a Stripe secret key",
	"gitlab-token": "a GitLab access token",
	"jwt": "a JSON Web Token",
	"private-key": "a PEM private key",
	"url-credentials": "a password inside a URL",
}

shape_severity := {"url-credentials": "high", "jwt": "high"}

# METADATA
# title: No known credential formats in configuration values
# custom:
#   id: SEC-03
#   scope: resource
#   severity: critical
#   remediation: Remove the credential from the file, revoke and rotate it (it is in the repository's history), and take it from a secret store at deploy time; in URLs, pass the password separately (a secret reference or a file).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ConfigMap, Secret, Service, Ingress, Dockerfile, ComposeService, SecurityConfig, terraform_variable, terraform_locals, terraform_module, provider.aws, aws_instance, aws_lambda_function, aws_db_instance, aws_ssm_parameter, aws_secretsmanager_secret_version, aws_launch_template]
#   assesses:
#     Pod: [facts.containers.*.env, facts.secret_shapes.*]
#     Deployment: [facts.containers.*.env, facts.secret_shapes.*]
#     StatefulSet: [facts.containers.*.env, facts.secret_shapes.*]
#     DaemonSet: [facts.containers.*.env, facts.secret_shapes.*]
#     ReplicaSet: [facts.containers.*.env, facts.secret_shapes.*]
#     ReplicationController: [facts.containers.*.env, facts.secret_shapes.*]
#     Job: [facts.containers.*.env, facts.secret_shapes.*]
#     CronJob: [facts.containers.*.env, facts.secret_shapes.*]
#     Service: [body.metadata.annotations, facts.secret_shapes.*]
#     Ingress: [body.metadata.annotations, facts.secret_shapes.*]
violations contains v if {
	some r in object.get(input, "shaped", [])
	some s in r.facts.secret_shapes
	v := {"check": "SEC-03", "resource": r.id, "severity": object.get(shape_severity, s.shape, "critical"), "line": s.line, "path": s.path,
		"message": sprintf("%s %s holds %s at %s", [r.kind, r.name, object.get(shape_labels, s.shape, s.shape), s.path])}
}
