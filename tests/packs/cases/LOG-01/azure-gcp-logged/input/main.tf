resource "azurerm_key_vault" "app" {
  name                     = "app"
  sku_name                 = "standard"
  tenant_id                = "00000000-0000-0000-0000-000000000000"
  purge_protection_enabled = true
}

resource "azurerm_monitor_diagnostic_setting" "app" {
  name                       = "app"
  target_resource_id         = azurerm_key_vault.app.id
  log_analytics_workspace_id = "ws-1"
  enabled_log {
    category = "AuditEvent"
  }
}

resource "azurerm_mssql_server" "orders" {
  name    = "orders"
  version = "12.0"
}

resource "azurerm_mssql_server_extended_auditing_policy" "orders" {
  server_id              = azurerm_mssql_server.orders.id
  log_monitoring_enabled = true
}

resource "azurerm_sql_server" "legacy" {
  name    = "legacy"
  version = "12.0"
  extended_auditing_policy {
    retention_in_days = 400
  }
}

resource "google_project_iam_audit_config" "project" {
  project = "acme"
  service = "allServices"
  audit_log_config {
    log_type = "DATA_READ"
  }
}
