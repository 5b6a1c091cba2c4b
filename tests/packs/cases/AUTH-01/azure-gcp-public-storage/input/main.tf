resource "azurerm_storage_account" "public" {
  name                            = "public"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  allow_nested_items_to_be_public = true
}

resource "azurerm_storage_account" "unset" {
  name                     = "unset"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_storage_container" "images" {
  name                  = "images"
  storage_account_name  = "public"
  container_access_type = "blob"
}

resource "google_storage_bucket_iam_member" "everyone" {
  bucket = "exports"
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket_iam_binding" "google_accounts" {
  bucket  = "exports"
  role    = "roles/storage.objectViewer"
  members = ["group:readers@example.com", "allAuthenticatedUsers"]
}

resource "google_storage_default_object_access_control" "public_read" {
  bucket = "exports"
  role   = "READER"
  entity = "allUsers"
}
