resource "azurerm_storage_account" "logs" {
  name                      = "logs"
  account_tier              = "Standard"
  account_replication_type  = "LRS"
  min_tls_version           = "TLS1_0"
  enable_https_traffic_only = false
}

resource "azurerm_mssql_server" "orders" {
  name                = "orders"
  version             = "12.0"
  minimum_tls_version = "1.1"
}

resource "azurerm_postgresql_server" "ledger" {
  name                             = "ledger"
  sku_name                         = "B_Gen5_1"
  ssl_enforcement_enabled          = false
  ssl_minimal_tls_version_enforced = "TLSEnforcementDisabled"
}

resource "azurerm_redis_cache" "sessions" {
  name                = "sessions"
  capacity            = 1
  enable_non_ssl_port = true
}

resource "google_sql_database_instance" "reports" {
  database_version = "MYSQL_8_0"
  settings {
    tier = "db-f1-micro"
  }
}
