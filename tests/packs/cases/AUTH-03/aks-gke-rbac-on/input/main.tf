# RBAC is on by default on both providers; ABAC off by default
resource "azurerm_kubernetes_cluster" "current" {
  name       = "current"
  dns_prefix = "current"
}

resource "azurerm_kubernetes_cluster" "old" {
  name       = "old"
  dns_prefix = "old"
  role_based_access_control {
    enabled = true
  }
}

resource "azurerm_kubernetes_cluster" "explicit" {
  name                              = "explicit"
  dns_prefix                        = "explicit"
  role_based_access_control_enabled = true
}

resource "google_container_cluster" "modern" {
  name               = "modern"
  location           = "europe-west1"
  enable_legacy_abac = false
}
