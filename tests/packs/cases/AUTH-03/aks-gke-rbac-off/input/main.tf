resource "azurerm_kubernetes_cluster" "current" {
  name                              = "current"
  dns_prefix                        = "current"
  role_based_access_control_enabled = false
}

resource "azurerm_kubernetes_cluster" "old" {
  name       = "old"
  dns_prefix = "old"
  role_based_access_control {
    enabled = false
  }
}

resource "google_container_cluster" "legacy" {
  name               = "legacy"
  location           = "europe-west1"
  enable_legacy_abac = true
}
