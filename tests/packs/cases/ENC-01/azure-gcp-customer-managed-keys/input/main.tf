resource "azurerm_storage_account" "logs" {
  name                     = "logs"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  customer_managed_key {
    key_vault_key_id          = "kv-key-1"
    user_assigned_identity_id = "id-1"
  }
}

resource "azurerm_storage_account" "archive" {
  name                     = "archive"
  account_tier             = "Standard"
  account_replication_type = "GRS"
}

resource "azurerm_storage_account_customer_managed_key" "archive" {
  storage_account_id = azurerm_storage_account.archive.id
  key_vault_id       = "kv-1"
  key_name           = "archive"
}

resource "google_storage_bucket" "exports" {
  name     = "exports"
  location = "EU"
  encryption {
    default_kms_key_name = google_kms_crypto_key.exports.id
  }
}
