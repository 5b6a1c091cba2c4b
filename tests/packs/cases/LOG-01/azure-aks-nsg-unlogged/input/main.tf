resource "azurerm_kubernetes_cluster" "main" {
  name       = "main"
  dns_prefix = "main"
}

resource "azurerm_kubernetes_cluster" "old" {
  name       = "old"
  dns_prefix = "old"
  addon_profile {
    oms_agent {
      enabled = false
    }
  }
}

resource "azurerm_network_security_group" "web" {
  name = "web"
}

resource "azurerm_network_security_group" "db" {
  name = "db"
}

resource "azurerm_network_watcher_flow_log" "db" {
  name                      = "db"
  network_watcher_name      = "watcher"
  network_security_group_id = azurerm_network_security_group.db.id
  storage_account_id        = "sa"
  enabled                   = false
}
