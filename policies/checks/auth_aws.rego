# AUTH-03 on AWS IAM: administrator policies ("Action": "*" on "Resource": "*"), iam:PassRole
# on every role, and permissions given to IAM users directly instead of through groups or
# roles. Statements come from facts.policy_statements (JSON strings, heredocs, jsonencode(...)
# and aws_iam_policy_document data sources, parsed by the loader).
package compliance.checks.auth

import data.compliance.lib
import rego.v1

policy_kinds := {
	"aws_iam_policy": "IAM policy",
	"aws_iam_role_policy": "role policy",
	"aws_iam_user_policy": "user policy",
	"aws_iam_group_policy": "group policy",
	"aws_iam_role": "role",
	"data.aws_iam_policy_document": "policy document",
}

allows(s) if lower(s.effect) == "allow"

every_resource(s) if "*" in s.resources

violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	allows(s)
	some a in s.actions
	a in {"*", "*:*"}
	every_resource(s)
	v := {"check": "AUTH-03", "resource": r.id, "severity": "critical", "path": s.path,
		"message": sprintf("%s %s allows every action on every resource (\"Action\": \"*\", \"Resource\": \"*\"): administrator access", [what, r.name])}
}

# Every action of one service ("ec2:*", "s3:*") on every resource; iam:* is the PassRole rule's.
violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	allows(s)
	every_resource(s)
	some a in s.actions
	is_string(a)
	endswith(a, ":*")
	service := substring(a, 0, count(a) - 2)
	not service in {"", "*", "iam"}
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": s.path,
		"message": sprintf("%s %s allows every %s action on every resource (\"Action\": \"%s\", \"Resource\": \"*\")", [what, r.name, service, a])}
}

pass_role_actions := {"iam:passrole", "iam:pass*", "iam:*"}

violations contains v if {
	some kind, what in policy_kinds
	some r in lib.of_kind(kind)
	some s in object.get(r.facts, "policy_statements", [])
	allows(s)
	every_resource(s)
	some a in s.actions
	lower(a) in pass_role_actions
	v := {"check": "AUTH-03", "resource": r.id, "severity": "high", "path": s.path,
		"message": sprintf("%s %s allows %s on every role (\"Resource\": \"*\"): whoever holds it can pass any role to a service and act as it", [what, r.name, a])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_user_policy")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "user",
		"message": sprintf("inline policy %s is attached to an IAM user; grant permissions through groups or roles", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_user_policy_attachment")
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "user",
		"message": sprintf("policy attachment %s attaches a policy directly to an IAM user; grant permissions through groups or roles", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_iam_policy_attachment")
	users := object.get(r.body, "users", [])
	users != []
	users != null
	v := {"check": "AUTH-03", "resource": r.id, "severity": "medium", "path": "users",
		"message": sprintf("policy attachment %s attaches a policy directly to IAM users; grant permissions through groups or roles", [r.name])}
}
