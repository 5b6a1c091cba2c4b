# Known credential formats in configuration values (SEC-03). It reads ``input.shaped``: every
# resource of any kind that holds a known credential shape, with its ``facts.secret_shapes``
# only (the engine input carries it whatever kinds the other checks read).
package compliance.checks.secfmt

import rego.v1

# Known credential formats (facts.secret_shapes, computed by the loaders with the same
# detector that redaction uses): each entry names the value's path and its shape, never
# the value. Any value of any resource can hold a credential.
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
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ConfigMap, Secret, Service, Ingress, Dockerfile, ComposeService, SecurityConfig, terraform_variable, aws_instance, aws_lambda_function, aws_db_instance, aws_ssm_parameter, aws_secretsmanager_secret_version, aws_launch_template]
violations contains v if {
	some r in object.get(input, "shaped", [])
	some s in r.facts.secret_shapes
	v := {"check": "SEC-03", "resource": r.id, "severity": object.get(shape_severity, s.shape, "critical"), "line": s.line, "path": s.path,
		"message": sprintf("%s %s holds %s at %s", [r.kind, r.name, object.get(shape_labels, s.shape, s.shape), s.path])}
}
