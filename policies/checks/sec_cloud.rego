# SEC-01 on Azure and GCP: literal database and virtual machine administrator passwords in
# Terraform.
# The check's METADATA is in sec.rego.
package compliance.checks.sec

import data.compliance.lib
import rego.v1

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
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s has a literal %s; generate it (random_password) or read it from a secret store", [kind, r.name, field])}
}
