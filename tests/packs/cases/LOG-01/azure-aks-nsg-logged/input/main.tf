resource "azurerm_kubernetes_cluster" "main" {
  name       = "main"
  dns_prefix = "main"
  oms_agent {
    log_analytics_workspace_id = "workspace"
  }
}

resource "azurerm_kubernetes_cluster" "old" {
  name       = "old"
  dns_prefix = "old"
  addon_profile {
    oms_agent {
      enabled = true
    }
  }
}

# control-plane logs through a diagnostic setting instead of the agent
resource "azurerm_kubernetes_cluster" "audited" {
  name       = "audited"
  dns_prefix = "audited"
}

resource "azurerm_monitor_diagnostic_setting" "audited" {
  name               = "audited"
  target_resource_id = azurerm_kubernetes_cluster.audited.id
  enabled_log {
    category = "kube-audit"
  }
}

resource "azurerm_network_security_group" "web" {
  name = "web"
}

resource "azurerm_network_watcher_flow_log" "web" {
  name                      = "web"
  network_watcher_name      = "watcher"
  network_security_group_id = azurerm_network_security_group.web.id
  storage_account_id        = "sa"
  enabled                   = true
}
