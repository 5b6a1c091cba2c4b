resource "azurerm_storage_account" "logs" {
  name                       = "logs"
  account_tier               = "Standard"
  account_replication_type   = "LRS"
  min_tls_version            = "TLS1_2"
  https_traffic_only_enabled = true
}

resource "azurerm_mssql_server" "orders" {
  name                = "orders"
  version             = "12.0"
  minimum_tls_version = "1.2"
}

resource "azurerm_mysql_server" "ledger" {
  name                             = "ledger"
  sku_name                         = "B_Gen5_1"
  ssl_enforcement_enabled          = true
  ssl_minimal_tls_version_enforced = "TLS1_2"
}

resource "azurerm_redis_cache" "sessions" {
  name                = "sessions"
  capacity            = 1
  minimum_tls_version = "1.2"
}

resource "google_sql_database_instance" "reports" {
  database_version = "MYSQL_8_0"
  settings {
    tier = "db-f1-micro"
    ip_configuration {
      require_ssl = true
    }
  }
}
