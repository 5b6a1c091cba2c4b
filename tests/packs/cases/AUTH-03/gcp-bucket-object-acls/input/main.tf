resource "google_storage_bucket" "exports" {
  name     = "exports"
  location = "EU"
}

resource "google_storage_bucket" "legacy" {
  name                        = "legacy"
  location                    = "EU"
  uniform_bucket_level_access = false
}
