# TLS-01 on Azure and GCP: storage accounts and SQL servers that accept plaintext or old TLS.
# The check's METADATA is in tls.rego.
#
# Judgements: only what a resource says is judged; provider defaults (HTTPS only, TLS 1.2 on
# current azurerm) are not findings. A Cloud SQL instance that neither sets require_ssl nor an
# encrypting ssl_mode accepts unencrypted connections: Cloud SQL's default.
package compliance.checks.tls

import data.compliance.lib
import rego.v1

azure_min_tls_fields := {
	"azurerm_storage_account": "min_tls_version",
	"azurerm_mssql_server": "minimum_tls_version",
	"azurerm_postgresql_server": "ssl_minimal_tls_version_enforced",
	"azurerm_mysql_server": "ssl_minimal_tls_version_enforced",
	"azurerm_redis_cache": "minimum_tls_version",
}

violations contains v if {
	some kind, field in azure_min_tls_fields
	some r in lib.of_kind(kind)
	have := lib.azure_tls_version(object.get(r.body, field, ""))
	want := lib.param("tls_min_version", "1.2")
	lib.tls_rank_of(have) < lib.tls_rank_of(want)
	v := {"check": "TLS-01", "resource": r.id, "severity": tls_version_severity(have), "path": field,
		"message": sprintf("%s %s allows TLS %s (%s); at least %s is required", [kind, r.name, have, field, want])}
}

violations contains v if {
	some kind, field in azure_min_tls_fields
	some r in lib.of_kind(kind)
	object.get(r.body, field, "") in {"Disabled", "TLSEnforcementDisabled"}
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("%s %s does not enforce a minimum TLS version (%s is %s)", [kind, r.name, field, r.body[field]])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_storage_account")
	some field in ["enable_https_traffic_only", "https_traffic_only_enabled"]
	object.get(r.body, field, true) == false
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": field,
		"message": sprintf("storage account %s accepts plaintext HTTP (%s is false)", [r.name, field])}
}

violations contains v if {
	some kind in ["azurerm_postgresql_server", "azurerm_mysql_server"]
	some r in lib.of_kind(kind)
	object.get(r.body, "ssl_enforcement_enabled", true) == false
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "ssl_enforcement_enabled",
		"message": sprintf("%s %s accepts unencrypted connections (ssl_enforcement_enabled is false)", [kind, r.name])}
}

violations contains v if {
	some r in lib.of_kind("azurerm_redis_cache")
	object.get(r.body, "enable_non_ssl_port", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "enable_non_ssl_port",
		"message": sprintf("Redis cache %s opens its plaintext port (enable_non_ssl_port is true)", [r.name])}
}

gcp_ssl_modes := {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}

gcp_sql_ip_config(r) := ip.block if {
	some settings in lib.blocks(r.body, "settings")
	some ip in lib.blocks(settings.block, "ip_configuration")
}

gcp_sql_requires_ssl(r) if gcp_sql_ip_config(r).require_ssl == true

gcp_sql_requires_ssl(r) if gcp_sql_ip_config(r).ssl_mode in gcp_ssl_modes

violations contains v if {
	some r in lib.of_kind("google_sql_database_instance")
	not is_string(r.body.settings) # settings from a variable or module: not judged
	not gcp_sql_requires_ssl(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "settings",
		"message": sprintf("Cloud SQL instance %s accepts unencrypted connections (no require_ssl = true or ssl_mode ENCRYPTED_ONLY)", [r.name])}
}
