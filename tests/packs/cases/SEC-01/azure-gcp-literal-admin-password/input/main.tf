resource "azurerm_mssql_server" "orders" {
  name                         = "orders"
  version                      = "12.0"
  administrator_login          = "sqladmin"
  administrator_login_password = "Winter2024!"
}

resource "azurerm_postgresql_flexible_server" "ledger" {
  name                   = "ledger"
  administrator_login    = "pgadmin"
  administrator_password = "changeme-please"
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = "reports"
  password = "app-password-1"
}

resource "azurerm_windows_virtual_machine" "jump" {
  name           = "jump"
  size           = "Standard_B2s"
  admin_username = "azureuser"
  admin_password = "P@ssw0rd1234!"
}
