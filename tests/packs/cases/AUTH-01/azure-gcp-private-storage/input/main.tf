resource "azurerm_storage_account" "private" {
  name                            = "private"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  allow_nested_items_to_be_public = false
}

resource "azurerm_storage_container" "images" {
  name                  = "images"
  storage_account_name  = "private"
  container_access_type = "private"
}

resource "google_storage_bucket_iam_member" "reader" {
  bucket = "exports"
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:reports@example.iam.gserviceaccount.com"
}

resource "google_storage_bucket_iam_binding" "readers" {
  bucket  = "exports"
  role    = "roles/storage.objectViewer"
  members = ["group:readers@example.com"]
}
