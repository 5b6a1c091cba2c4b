# LOG-01 on Azure and GCP: diagnostic settings, SQL auditing, audit log exemptions.
# The check's METADATA is in log.rego.
#
# Judgements: a Key Vault without an azurerm_monitor_diagnostic_setting whose
# target_resource_id refers to it is medium (its access is not logged), as a VPC without flow
# logs is; an Azure SQL server without extended auditing (inline or a separate
# azurerm_mssql_server_extended_auditing_policy) is medium; a diagnostic setting that enables
# no log category is high; a GCP audit config that exempts members is medium.
package compliance.checks.log

import data.compliance.lib
import rego.v1

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
