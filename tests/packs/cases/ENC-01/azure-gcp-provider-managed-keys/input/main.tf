resource "azurerm_storage_account" "logs" {
  name                     = "logs"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "google_storage_bucket" "exports" {
  name     = "exports"
  location = "EU"
}
