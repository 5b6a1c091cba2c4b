# LOG-01 audit logging enabled: SecurityConfig and control-plane audit flags; on AWS
# Terraform CloudTrail per root configuration and across regions, VPC flow logs, S3 server
# access logs, load balancer access logs, EKS control-plane logs and Elasticsearch/OpenSearch
# logs; on Azure and GCP diagnostic settings, SQL auditing, NSG and virtual network flow logs
# and audit log exemptions. A setting written as `var.x` is judged by that variable's default
# (lib.tf_value).
#
# Cross-resource judgements: input that declares aws_* resources but no aws_cloudtrail is a
# medium finding on each root configuration's default `provider "aws"` block (a reusable
# module declares no provider and gets none; the trail may live in an organisation account:
# hence medium, not critical). A VPC without an aws_flow_log that references it is medium.
#
# Judgements: a Key Vault without an azurerm_monitor_diagnostic_setting whose
# target_resource_id refers to it is medium (its access is not logged), as a VPC without flow
# logs is; an Azure SQL server without extended auditing (inline or a separate
# azurerm_mssql_server_extended_auditing_policy) is medium; a diagnostic setting that enables
# no log category is high; a GCP audit config that exempts members is medium.
#
# METADATA
# title: Audit logging enabled
# custom:
#   id: LOG-01
#   scope: global
#   severity: critical
#   remediation: Enable audit logging (application audit_config, Kubernetes API server --audit-log-path and --audit-policy-file, CloudTrail, VPC flow logs).
#   kinds: [Pod, SecurityConfig, aws_alb, aws_cloudtrail, aws_eks_cluster, aws_elasticsearch_domain, aws_elb, aws_flow_log, aws_lb, aws_opensearch_domain, aws_s3_bucket, aws_s3_bucket_logging, aws_vpc, azurerm_key_vault, azurerm_kubernetes_cluster, azurerm_monitor_diagnostic_setting, azurerm_mssql_server, azurerm_mssql_server_extended_auditing_policy, azurerm_network_security_group, azurerm_network_watcher_flow_log, azurerm_sql_server, azurerm_subnet, azurerm_subnet_network_security_group_association, azurerm_virtual_network, google_folder_iam_audit_config, google_organization_iam_audit_config, google_project_iam_audit_config, provider.aws, terraform_variable]
#   assesses:
#     Pod: [facts.control_plane.kube-apiserver]
#     terraform_variable: [body.default]
package compliance.checks.log_01

import data.compliance.lib
import data.compliance.lib.log as log_lib
import rego.v1

# Scope global: "no aws_cloudtrail" is an absence over the whole input, reported on the
# smallest aws_* id anywhere, and a VPC is covered by an aws_flow_log in any file.

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not log_lib.audit(r).enabled
	v := {"check": "LOG-01", "resource": r.id, "path": "security.audit_config.enabled",
		"message": "audit logging is disabled (security.audit_config.enabled is false)"}
}

violations contains v if {
	some r in lib.of_kind("aws_cloudtrail")
	object.get(r.body, "enable_logging", true) == false
	v := {"check": "LOG-01", "resource": r.id, "path": "enable_logging",
		"message": sprintf("CloudTrail %s has logging turned off", [r.name])}
}

aws_resource_ids contains r.id if {
	some kind, resources in input.kinds
	startswith(kind, "aws_")
	some r in resources
}

flow_logged := {ref | some f in lib.of_kind("aws_flow_log"); ref := object.get(f.body, "vpc_id", "")}

violations contains v if {
	some r in lib.of_kind("aws_vpc")
	not flow_logged[sprintf("${aws_vpc.%s.id}", [r.name])]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("VPC %s has no aws_flow_log recording its traffic", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("Pod")
	some c in lib.containers(r)
	args := apiserver_args(c)
	some flag in ["--audit-log-path", "--audit-policy-file"]
	not has_flag(args, flag)
	not has_flag(args, "--audit-webhook-config-file")
	v := {"check": "LOG-01", "resource": r.id, "path": c.path,
		"message": sprintf("kube-apiserver in %s runs without %s, so API requests are not audited", [r.name, flag])}
}

apiserver_args(c) := lib.command_line(c.spec) if lib.runs(c.spec, "kube-apiserver")

has_flag(args, flag) if {
	some a in args
	startswith(a, concat("", [flag, "="]))
}

has_flag(args, flag) if flag in args

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
	some l in lib.as_list(object.get(b.body, "logging", []))
	k := object.get(l, "target_bucket", "")
}

violations contains v if {
	some b in lib.of_kind("aws_s3_bucket")
	not b.body.logging
	keys := lib.bucket_keys(b)
	count({k | some k in keys; logged_buckets[k]}) == 0
	count({k | some k in keys; log_targets[k]}) == 0
	v := {"check": "LOG-01", "resource": b.id, "severity": "low",
		"message": sprintf("S3 bucket %s has no server access logging (add aws_s3_bucket_logging)", [b.name])}
}

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

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	not search_logs(r)
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "log_publishing_options",
		"message": sprintf("%s %s publishes no logs to CloudWatch (no enabled log_publishing_options)", [what, r.name])}
}

search_logs(r) if {
	some o in lib.as_list(object.get(r.body, "log_publishing_options", []))
	object.get(o, "enabled", true) != false
}

search_logs(r) if {
	some d in lib.as_list(object.get(r.body, "dynamic", []))
	d.log_publishing_options
}

diagnosed(type) := {name |
	some d in lib.of_kind("azurerm_monitor_diagnostic_setting")
	some name in lib.referenced(type, object.get(d.body, "target_resource_id", ""))
}

violations contains v if {
	some r in lib.of_kind("azurerm_key_vault")
	not diagnosed("azurerm_key_vault")[r.name]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("Key Vault %s has no azurerm_monitor_diagnostic_setting recording its access (AuditEvent)", [r.name])}
}

enabled_logs(body) := [l |
	some l in lib.blocks(body, "enabled_log")
] if count(lib.blocks(body, "enabled_log")) > 0

enabled_logs(body) := [l |
	some l in lib.blocks(body, "log")
	object.get(l.block, "enabled", true) != false
] if count(lib.blocks(body, "enabled_log")) == 0

violations contains v if {
	some r in lib.of_kind("azurerm_monitor_diagnostic_setting")
	count(enabled_logs(r.body)) == 0
	v := {"check": "LOG-01", "resource": r.id, "severity": "high",
		"message": sprintf("diagnostic setting %s enables no log category (only metrics, or every log disabled)", [r.name])}
}

audited_sql_servers := {name |
	some a in lib.of_kind("azurerm_mssql_server_extended_auditing_policy")
	some name in lib.referenced("azurerm_mssql_server", object.get(a.body, "server_id", ""))
}

violations contains v if {
	some kind in ["azurerm_mssql_server", "azurerm_sql_server"]
	some r in lib.of_kind(kind)
	count(lib.blocks(r.body, "extended_auditing_policy")) == 0
	not audited_sql_servers[r.name]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("%s %s has no auditing (no extended_auditing_policy and no azurerm_mssql_server_extended_auditing_policy refers to it)", [kind, r.name])}
}

violations contains v if {
	some kind in ["google_project_iam_audit_config", "google_organization_iam_audit_config", "google_folder_iam_audit_config"]
	some r in lib.of_kind(kind)
	some c in lib.blocks(r.body, "audit_log_config")
	count(lib.strings_of(c.block, ["exempted_members"])) > 0
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": sprintf("%s.exempted_members", [c.path]),
		"message": sprintf("audit config %s exempts %d member(s) from %s audit logs", [r.name, count(lib.strings_of(c.block, ["exempted_members"])), object.get(c.block, "log_type", "")])}
}

# AKS: no Container Insights agent (oms_agent on azurerm 3.x, addon_profile.oms_agent before)
# and no diagnostic setting for the cluster: neither workload nor control-plane logs are kept.
aks_oms_agent(r) if count(lib.blocks(r.body, "oms_agent")) > 0

aks_oms_agent(r) if {
	some a in lib.blocks(r.body, "addon_profile")
	some o in lib.blocks(a.block, "oms_agent")
	object.get(o.block, "enabled", false) == true
}

violations contains v if {
	some r in lib.of_kind("azurerm_kubernetes_cluster")
	not aks_oms_agent(r)
	not diagnosed("azurerm_kubernetes_cluster")[r.name]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("AKS cluster %s keeps no logs: no oms_agent and no azurerm_monitor_diagnostic_setting refers to it", [r.name])}
}

# Azure NSG flow logs: an azurerm_network_watcher_flow_log names its network security group in
# network_security_group_id (or target_resource_id); a group no enabled flow log names records
# no traffic, as a VPC without flow logs.
enabled_flow_logs contains f if {
	some f in lib.of_kind("azurerm_network_watcher_flow_log")
	object.get(f.body, "enabled", true) != false
}

flow_logged_nsgs contains name if {
	some f in enabled_flow_logs
	some field in ["network_security_group_id", "target_resource_id"]
	some name in lib.referenced("azurerm_network_security_group", object.get(f.body, field, ""))
}

# Virtual network flow logs (NSG flow logs' successor): a flow log whose target_resource_id is an
# azurerm_virtual_network or an azurerm_subnet records the traffic of every group associated
# with a subnet it covers, through azurerm_subnet_network_security_group_association or a
# subnet block written inside the virtual network (security_group).
flow_log_targets(type) := {name |
	some f in enabled_flow_logs
	some name in lib.referenced(type, object.get(f.body, "target_resource_id", ""))
}

flow_logged_subnets contains name if {
	some name in flow_log_targets("azurerm_subnet")
}

flow_logged_subnets contains s.name if {
	some s in lib.of_kind("azurerm_subnet")
	some network in lib.referenced("azurerm_virtual_network", object.get(s.body, "virtual_network_name", ""))
	flow_log_targets("azurerm_virtual_network")[network]
}

flow_logged_nsgs contains name if {
	some a in lib.of_kind("azurerm_subnet_network_security_group_association")
	some subnet in lib.referenced("azurerm_subnet", object.get(a.body, "subnet_id", ""))
	flow_logged_subnets[subnet]
	some name in lib.referenced("azurerm_network_security_group", object.get(a.body, "network_security_group_id", ""))
}

flow_logged_nsgs contains name if {
	some network in lib.of_kind("azurerm_virtual_network")
	flow_log_targets("azurerm_virtual_network")[network.name]
	some subnet in lib.blocks(network.body, "subnet")
	some name in lib.referenced("azurerm_network_security_group", object.get(subnet.block, "security_group", ""))
}

violations contains v if {
	some r in lib.of_kind("azurerm_network_security_group")
	not flow_logged_nsgs[r.name]
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium",
		"message": sprintf("network security group %s has no enabled azurerm_network_watcher_flow_log recording its traffic", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_network_watcher_flow_log")
	object.get(r.body, "enabled", true) == false
	v := {"check": "LOG-01", "resource": r.id, "severity": "medium", "path": "enabled",
		"message": sprintf("network watcher flow log %s is disabled (enabled is false)", [r.name])}
}
