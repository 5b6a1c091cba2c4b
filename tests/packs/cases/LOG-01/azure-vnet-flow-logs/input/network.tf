# Virtual network flow logs cover the groups of the subnets inside the network, whether the
# subnet is its own resource or a block of the network; a subnet flow log covers its subnet.
resource "azurerm_virtual_network" "core" {
  name          = "core"
  address_space = ["10.0.0.0/16"]
  subnet {
    name           = "edge"
    address_prefix = "10.0.9.0/24"
    security_group = azurerm_network_security_group.edge.id
  }
}

resource "azurerm_subnet" "app" {
  name                 = "app"
  virtual_network_name = azurerm_virtual_network.core.name
  address_prefixes     = ["10.0.1.0/24"]
}

resource "azurerm_network_security_group" "app" {
  name = "app"
}

resource "azurerm_network_security_group" "edge" {
  name = "edge"
}

resource "azurerm_subnet_network_security_group_association" "app" {
  subnet_id                 = azurerm_subnet.app.id
  network_security_group_id = azurerm_network_security_group.app.id
}

resource "azurerm_network_watcher_flow_log" "core" {
  name                 = "core"
  network_watcher_name = "watcher"
  target_resource_id   = azurerm_virtual_network.core.id
  storage_account_id   = "sa"
  enabled              = true
}

resource "azurerm_virtual_network" "batch" {
  name          = "batch"
  address_space = ["10.1.0.0/16"]
}

resource "azurerm_subnet" "jobs" {
  name                 = "jobs"
  virtual_network_name = azurerm_virtual_network.batch.name
  address_prefixes     = ["10.1.1.0/24"]
}

resource "azurerm_network_security_group" "jobs" {
  name = "jobs"
}

resource "azurerm_subnet_network_security_group_association" "jobs" {
  subnet_id                 = azurerm_subnet.jobs.id
  network_security_group_id = azurerm_network_security_group.jobs.id
}

resource "azurerm_network_watcher_flow_log" "jobs" {
  name                 = "jobs"
  network_watcher_name = "watcher"
  target_resource_id   = azurerm_subnet.jobs.id
  storage_account_id   = "sa"
}
