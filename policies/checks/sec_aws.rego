# SEC-01 on AWS Terraform: credentials in provider blocks, Lambda environments, instance
# user_data scripts, locals and module arguments. Messages name the setting, never its value.
package compliance.checks.sec

import data.compliance.lib
import rego.v1

# A secret-looking name with a literal value: no Terraform interpolation anywhere in it.
tf_secret(name, value) if {
	literal_secret(name, value)
	not contains(value, "${")
}

provider_key_fields := ["access_key", "secret_key", "token"]

violations contains v if {
	some r in lib.of_kind("provider.aws")
	fields := [f | some f in provider_key_fields; tf_literal(object.get(r.body, f, null))]
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
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": name,
		"message": sprintf("local value %s is a literal secret", [name])}
}

violations contains v if {
	some r in lib.of_kind("terraform_module")
	some name, value in r.body
	tf_secret(name, value)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": name,
		"message": sprintf("module %s is given a literal secret in %s", [r.name, name])}
}
