resource "azurerm_key_vault" "app" {
  name                     = "app"
  sku_name                 = "standard"
  tenant_id                = "00000000-0000-0000-0000-000000000000"
  purge_protection_enabled = true
}

resource "azurerm_key_vault" "metrics_only" {
  name                     = "metrics_only"
  sku_name                 = "standard"
  tenant_id                = "00000000-0000-0000-0000-000000000000"
  purge_protection_enabled = true
}

resource "azurerm_monitor_diagnostic_setting" "metrics_only" {
  name                       = "metrics_only"
  target_resource_id         = azurerm_key_vault.metrics_only.id
  log_analytics_workspace_id = "ws-1"
  metric {
    category = "AllMetrics"
  }
  log {
    category = "AuditEvent"
    enabled  = false
  }
}

resource "azurerm_mssql_server" "orders" {
  name    = "orders"
  version = "12.0"
}

resource "google_project_iam_audit_config" "project" {
  project = "acme"
  service = "allServices"
  audit_log_config {
    log_type = "ADMIN_READ"
  }
  audit_log_config {
    log_type         = "DATA_READ"
    exempted_members = ["user:batch@example.com", "serviceAccount:etl@acme.iam.gserviceaccount.com"]
  }
}
