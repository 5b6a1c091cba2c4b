# SEC-03 known credential shapes (input.shaped) anywhere a value is set.
#
# METADATA
# title: No known credential formats in configuration values
# description: Every known credential shape is reported here, also under a secret-looking name; SEC-01 leaves those values to SEC-03, so one value gives one finding.
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
package compliance.checks.sec_03

import rego.v1

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

# A value a compose service takes from another file (.env, env_file) is found at the compose
# line that brings it in; ``from`` names the files and lines that hold it.
origin(s) := sprintf(" (from %s)", [concat("; ", [sprintf("%s, line %d", [o.file, o.line]) | some o in s.from])]) if {
	count(object.get(s, "from", [])) > 0
} else := ""

violations contains v if {
	some r in object.get(input, "shaped", [])
	some s in r.facts.secret_shapes
	v := {"check": "SEC-03", "resource": r.id, "severity": object.get(shape_severity, s.shape, "critical"), "line": s.line, "path": s.path,
		"message": sprintf("%s %s holds %s at %s%s", [r.kind, r.name, object.get(shape_labels, s.shape, s.shape), s.path, origin(s)])}
}
