resource "random_password" "sql" {
  length = 32
}

resource "azurerm_mssql_server" "orders" {
  name                         = "orders"
  version                      = "12.0"
  administrator_login          = "sqladmin"
  administrator_login_password = random_password.sql.result
}

resource "azurerm_postgresql_flexible_server" "ledger" {
  name                   = "ledger"
  administrator_login    = "pgadmin"
  administrator_password = var.ledger_password
}

resource "azurerm_sql_server" "legacy" {
  name    = "legacy"
  version = "12.0"
  azuread_administrator {
    login_username = "dba"
    object_id      = "00000000-0000-0000-0000-000000000000"
  }
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = "reports"
  password = random_password.sql.result
}

resource "azurerm_linux_virtual_machine" "jump" {
  name                            = "jump"
  size                            = "Standard_B2s"
  admin_username                  = "azureuser"
  disable_password_authentication = true
  admin_ssh_key {
    username   = "azureuser"
    public_key = file("~/.ssh/id_ed25519.pub")
  }
}
