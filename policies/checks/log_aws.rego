# LOG-01 on AWS Terraform: CloudTrail per root configuration and across regions; S3 server
# access logs, load balancer access logs, EKS control-plane logs, Elasticsearch/OpenSearch logs.
# A setting written as `var.x` is judged by that variable's default (lib.tf_value).
package compliance.checks.log

import data.compliance.lib
import rego.v1

# A root configuration is a folder with a default (unaliased) aws provider block: a module
# (which declares none) is not an account, so it gets no "no CloudTrail" finding.
root_providers contains r if {
	some r in lib.of_kind("provider.aws")
	not is_string(object.get(r.body, "alias", null))
}

violations contains v if {
	count(lib.of_kind("aws_cloudtrail")) == 0
	count(aws_resource_ids) > 0
	some r in root_providers
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("the root configuration of %s (provider aws) declares AWS resources but no aws_cloudtrail; make sure an (organisation) trail records API activity", [r.file])}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	not lib.tf_value(r, object.get(r.body, "is_multi_region_trail", false)) == true
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "is_multi_region_trail",
		"message": sprintf("CloudTrail %s records only its own region (is_multi_region_trail is not true)", [r.name])}
}

# S3 server access logs: inline logging (provider v3) or an aws_s3_bucket_logging naming the
# bucket. A bucket other buckets log into is a log bucket and is not asked to log itself.
logged_buckets contains k if {
	some c in lib.of_kind("aws_s3_bucket_logging")
	k := object.get(c.body, "bucket", "")
}

log_targets contains k if {
	some c in lib.of_kind("aws_s3_bucket_logging")
	k := object.get(c.body, "target_bucket", "")
}

log_targets contains k if {
	some b in lib.of_kind("aws_s3_bucket")
	some l in as_list(object.get(b.body, "logging", []))
	k := object.get(l, "target_bucket", "")
}

violations contains v if {
	some b in lib.of_kind("aws_s3_bucket")
	not b.body.logging
	keys := bucket_keys(b)
	count({k | some k in keys; logged_buckets[k]}) == 0
	count({k | some k in keys; log_targets[k]}) == 0
	v := {"check": "LOG-01", "resource": b.id, "severity": "low",
		"message": sprintf("S3 bucket %s has no server access logging (add aws_s3_bucket_logging)", [b.name])}
}

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

lb_kinds := {"aws_lb", "aws_alb"}

violations contains v if {
	some kind in lb_kinds
	some r in lib.of_kind(kind)
	object.get(r.body, "load_balancer_type", "application") != "gateway"
	not lib.tf_value(r, object.get(r.body, ["access_logs", "enabled"], false)) == true
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "access_logs",
		"message": sprintf("load balancer %s does not write access logs (access_logs.enabled is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_elb")
	not elb_logged(r)
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "access_logs",
		"message": sprintf("classic load balancer %s does not write access logs (no enabled access_logs block)", [r.name])}
}

elb_logged(r) if {
	logs := r.body.access_logs
	is_object(logs)
	object.get(logs, "enabled", true) != false
}

eks_required_logs := ["api", "audit", "authenticator"]

violations contains v if {
	some r in lib.of_kind("aws_eks_cluster")
	types := lib.tf_value(r, object.get(r.body, "enabled_cluster_log_types", []))
	is_array(types)
	missing := [t | some t in eks_required_logs; not t in types]
	count(missing) > 0
	v := {"check": "LOG-01", "resource": r.id, "severity": eks_log_severity(missing), "path": "enabled_cluster_log_types",
		"message": sprintf("EKS cluster %s does not send the %s control-plane logs to CloudWatch (enabled_cluster_log_types)", [r.name, concat(", ", missing)])}
}

eks_log_severity(missing) := "high" if "audit" in missing
else := "medium"

search_kinds := {"aws_elasticsearch_domain": "Elasticsearch domain", "aws_opensearch_domain": "OpenSearch domain"}

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	not search_logs(r)
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "log_publishing_options",
		"message": sprintf("%s %s publishes no logs to CloudWatch (no enabled log_publishing_options)", [what, r.name])}
}

search_logs(r) if {
	some o in as_list(object.get(r.body, "log_publishing_options", []))
	object.get(o, "enabled", true) != false
}

search_logs(r) if {
	some d in as_list(object.get(r.body, "dynamic", []))
	d.log_publishing_options
}
