# SEC-01 no plaintext secrets: workload and compose environments, Dockerfiles, ConfigMaps,
# Kubernetes Secret manifests judged by their values (facts.secret_values), the files a compose
# service takes variables from (its env_file entries and the project's .env, and the values its
# environment gets by interpolating ${NAME} from that .env or an inline default); on AWS Terraform
# credentials in provider blocks, Lambda environments, instance user_data scripts, locals and
# module arguments; on Azure and GCP literal database and virtual machine administrator
# passwords. Messages name the setting, never its value.
#
# METADATA
# title: No plaintext secrets in configuration
# description: A literal value under a secret-looking name. Where the same value has a known credential shape (facts.secret_shapes at that path or line) SEC-03 reports it and SEC-01 does not.
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
package compliance.checks.sec_01

import data.compliance.lib
import rego.v1

# lib.literal_secret, minus settings about secrets that are not secrets themselves
# (TOKEN_TTL, PASSWORD_MIN_LENGTH, SECRET_NAME, API_KEY_ID, ...).
literal_secret(name, value) if {
	lib.literal_secret(name, value)
	not secret_setting(name)
}

secret_setting(name) if regex.match(`(?i)[_.-](ttl|length|len|min|max|timeout|expiry|expires|lifetime|age|seconds|minutes|hours|days|enabled|required|rotation|policy|name|id|arn|path|file|dir|url|uri|ref|version)$`, name)

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	some i, env in object.get(c.spec, "env", [])
	literal_secret(env.name, object.get(env, "value", ""))
	not shape_at(r, sprintf("%s.env[%d]", [c.path, i]))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s sets %s to a literal secret value in its environment", [c.name, env.name])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	some i, env in object.get(c.spec, "env", [])
	env.valueFrom.secretKeyRef
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": sprintf("%s.env[%d]", [c.path, i]),
		"message": sprintf("container %s exposes Secret %s as environment variable %s; mount it as a file instead", [c.name, env.valueFrom.secretKeyRef.name, env.name])}
}

# The distinct keys of ConfigMap data that look like secret names, each judged once (the
# same keys recur across ConfigMaps).
configmap_keys := {key | some r in lib.of_kind("ConfigMap"); some key, _ in object.get(r.body, "data", {})}

configmap_secret_keys := {key | some key in configmap_keys; lib.looks_secret(key)}

violations contains v if {
	some r in lib.of_kind("ConfigMap")
	some key, value in object.get(r.body, "data", {})
	configmap_secret_keys[key]
	literal_secret(key, value)
	not shape_at(r, sprintf("data.%s", [key]))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("data.%s", [key]),
		"message": sprintf("ConfigMap %s holds a secret-looking key %s in plaintext; use a Secret", [r.name, key])}
}

violations contains v if {
	some r in lib.of_kind("Dockerfile")
	some e in r.facts.env
	literal_secret(e.name, object.get(e, "value", ""))
	not shape_on_line(r, e.line)
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
	not shape_on_line(r, e.line)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("compose service %s sets %s to a literal secret value", [r.name, e.name])}
}

violations contains v if {
	some r in lib.of_kind("terraform_variable")
	literal_secret(r.name, object.get(r.body, "default", ""))
	not shape_at(r, "default")
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": "default",
		"message": sprintf("variable %s has a literal secret default", [r.name])}
}

violations contains v if {
	some kind in {"aws_db_instance", "aws_rds_cluster"}
	some r in lib.of_kind(kind)
	some field in ["password", "master_password"]
	literal_secret(field, object.get(r.body, field, ""))
	not shape_at(r, field)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s has a literal %s; use manage_master_user_password or a secret store", [kind, r.name, field])}
}

violations contains v if {
	some w in lib.workload_containers
	r := w.resource
	c := w.container
	some i, source in object.get(c.spec, "envFrom", [])
	source.secretRef
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": sprintf("%s.envFrom[%d]", [c.path, i]),
		"message": sprintf("container %s exposes every key of Secret %s as environment variables; mount it as a file instead", [c.name, source.secretRef.name])}
}

# A Secret manifest with secret values is the secret in plain text in the repository (base64
# is an encoding, not encryption). Use SealedSecrets, External Secrets or SOPS instead. The
# values are judged, not the kind: a configuration file kept in a Secret (facts.secret_values,
# computed by the loader) counts only when a setting in it holds a secret; empty values do not.

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
	not shape_at(r, field)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("SSM parameter %s has a literal secret %s in Terraform", [object.get(r.body, "name", r.name), field])}
}

violations contains v if {
	some r in lib.of_kind("aws_secretsmanager_secret_version")
	some field in ["secret_string", "secret_string_wo"]
	tf_literal(object.get(r.body, field, null))
	not shape_at(r, field)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("secret version %s has a literal %s in Terraform; generate it (random_password) or set it outside Terraform", [r.name, field])}
}

# A secret-looking name with a literal value: no Terraform interpolation anywhere in it.
tf_secret(name, value) if {
	literal_secret(name, value)
	not contains(value, "${")
}

provider_key_fields := ["access_key", "secret_key", "token"]

violations contains v if {
	some r in lib.of_kind("provider.aws")
	fields := [f | some f in provider_key_fields; tf_literal(object.get(r.body, f, null)); not shape_at(r, f)]
	count(fields) > 0
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": fields[0],
		"message": sprintf("provider aws%s has literal credentials (%s); use a profile, environment variables or an assumed role", [provider_alias(r), concat(", ", fields)])}
}

provider_alias(r) := sprintf(" (alias %s)", [r.body.alias]) if is_string(r.body.alias)
else := ""

violations contains v if {
	some r in lib.of_kind("aws_lambda_function")
	variables := object.get(r.body, ["environment", "variables"], {})
	is_object(variables)
	some name, value in variables
	tf_secret(name, value)
	not shape_at(r, sprintf("environment.variables.%s", [name]))
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": sprintf("environment.variables.%s", [name]),
		"message": sprintf("Lambda function %s sets %s to a literal secret value in its environment; read it from Secrets Manager or SSM at run time", [r.name, name])}
}

user_data_kinds := {"aws_instance": "instance", "aws_launch_template": "launch template", "aws_launch_configuration": "launch configuration"}

violations contains v if {
	some kind, what in user_data_kinds
	some r in lib.of_kind(kind)
	some e in object.get(r.facts, "user_data_env", [])
	literal_secret(e.name, e.value)
	not contains(e.value, "$")
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": e.path,
		"message": sprintf("%s %s writes a literal %s into its user_data script (line %d); use an instance profile or fetch it from a secret store", [what, r.name, e.name, e.script_line])}
}

violations contains v if {
	some r in lib.of_kind("terraform_locals")
	some name, value in r.body
	tf_secret(name, value)
	not shape_at(r, name)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": name,
		"message": sprintf("local value %s is a literal secret", [name])}
}

violations contains v if {
	some r in lib.of_kind("terraform_module")
	some name, value in r.body
	tf_secret(name, value)
	not shape_at(r, name)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": name,
		"message": sprintf("module %s is given a literal secret in %s", [r.name, name])}
}

cloud_password_fields := {
	"azurerm_mssql_server": "administrator_login_password",
	"azurerm_sql_server": "administrator_login_password",
	"azurerm_postgresql_server": "administrator_login_password",
	"azurerm_mysql_server": "administrator_login_password",
	"azurerm_mariadb_server": "administrator_login_password",
	"azurerm_postgresql_flexible_server": "administrator_password",
	"azurerm_mysql_flexible_server": "administrator_password",
	"google_sql_user": "password",
	"azurerm_linux_virtual_machine": "admin_password",
	"azurerm_windows_virtual_machine": "admin_password",
	"azurerm_linux_virtual_machine_scale_set": "admin_password",
	"azurerm_windows_virtual_machine_scale_set": "admin_password",
}

violations contains v if {
	some kind, field in cloud_password_fields
	some r in lib.of_kind(kind)
	lib.tf_literal(object.get(r.body, field, null))
	not shape_at(r, field)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s has a literal %s; generate it (random_password) or read it from a secret store", [kind, r.name, field])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some f in object.get(r.facts, "env_files", [])
	some e in f.entries
	literal_secret(e.name, e.value)
	not shape_from(r, f.file, e.line)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": f.line,
		"message": sprintf("compose service %s reads %s from env_file %s (line %d), which holds a literal secret value", [r.name, e.name, f.file, e.line])}
}

# A compose variable whose value interpolates (${NAME}, ${NAME:-default}, ${NAME-default}, ...)
# is judged by what compose would set: the value the loader resolved (facts.environment[*].resolved)
# from the project .env beside the compose file and the defaults written inline. The finding is
# at the compose line that sets the variable and names the .env variable and its .env line; a
# variable set nowhere resolves to empty and is not a finding.
interpolated_secret(e) if {
	is_string(object.get(e, "resolved", null))
	not literal_secret(e.name, object.get(e, "value", ""))
	literal_secret(e.name, e.resolved)
}

interpolation_source(e) := sprintf("from .env (%s)", [concat(", ", [sprintf("%s, line %d", [s.name, s.line]) | some s in e.sources])]) if {
	count(e.sources) > 0
} else := "from a default written in the compose file"

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in r.facts.environment
	interpolated_secret(e)
	not shape_on_line(r, e.line)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": e.line,
		"message": sprintf("compose service %s sets %s to a literal secret value %s", [r.name, e.name, interpolation_source(e)])}
}

# A .env variable already reported through the compose variable it sets.
reported_through_environment(r, name) if {
	some e in r.facts.environment
	interpolated_secret(e)
	some s in e.sources
	s.name == name
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in object.get(r.facts, ["dotenv", "entries"], [])
	literal_secret(e.name, e.value)
	not reported_through_environment(r, e.name)
	not shape_from(r, ".env", e.line)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical",
		"message": sprintf("compose service %s interpolates %s from .env (line %d), which holds a literal secret value", [r.name, e.name, e.line])}
}

# What a key of a Secret commits: undefined when it holds no secret.
committed(e) := e.key if {
	not e.config
	not e.empty
}

committed(e) := sprintf("%s [%s]", [e.key, concat(", ", e.secrets)]) if {
	e.config
	count(e.secrets) > 0
}

violations contains v if {
	some r in lib.of_kind("Secret")
	some field in ["data", "stringData"]
	keys := [k | some e in object.get(r.facts, "secret_values", []); e.field == field; not whole_value_shaped(r, field, e); k := committed(e)]
	count(keys) > 0
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": field,
		"message": sprintf("Secret manifest %s commits %d value(s) in %s (%s); base64 is not encryption, keep the values out of the repository", [r.name, count(keys), field, concat(", ", sort(keys))])}
}

# SEC-01 and SEC-03 never report one value twice: a literal at a path (or, for compose
# environment entries and Dockerfile ENV/ARG, on a line) where the resource holds a known
# credential shape (facts.secret_shapes, the resource's own) is reported by SEC-03 alone,
# which names the shape. Both checks map to the same controls in every pack. A value that
# is one of several settings in one string (a user_data script, an .env or env_file) is
# judged by each check on its own, and so is a configuration file kept in a Secret key.
shape_at(r, path) if {
	some s in object.get(r.facts, "secret_shapes", [])
	under(s.path, path)
}

under(p, path) if p == path

under(p, path) if startswith(p, concat("", [path, "."]))

under(p, path) if startswith(p, concat("", [path, "["]))

# A Secret key whose whole value is a known credential (not a configuration file in which
# one setting is).
whole_value_shaped(r, field, e) if {
	not e.config
	shape_at(r, sprintf("%s.%s", [field, e.key]))
}

shape_on_line(r, line) if {
	some s in object.get(r.facts, "secret_shapes", [])
	s.line == line
}

# A value SEC-03 reports where another file (.env, env_file) holds it.
shape_from(r, file, line) if {
	some s in object.get(r.facts, "secret_shapes", [])
	some o in object.get(s, "from", [])
	o.file == file
	o.line == line
}
