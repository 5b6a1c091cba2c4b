# A disabled virtual network flow log covers nothing; a flow log on another network does not
# cover this one's subnets; a group on no subnet is covered by no network's flow log.
resource "azurerm_virtual_network" "core" {
  name          = "core"
  address_space = ["10.0.0.0/16"]
  subnet {
    name           = "edge"
    address_prefix = "10.0.9.0/24"
    security_group = azurerm_network_security_group.edge.id
  }
}

resource "azurerm_virtual_network" "other" {
  name          = "other"
  address_space = ["10.2.0.0/16"]
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

resource "azurerm_network_security_group" "loose" {
  name = "loose"
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
  enabled              = false
}

resource "azurerm_network_watcher_flow_log" "other" {
  name                 = "other"
  network_watcher_name = "watcher"
  target_resource_id   = azurerm_virtual_network.other.id
  storage_account_id   = "sa"
}
