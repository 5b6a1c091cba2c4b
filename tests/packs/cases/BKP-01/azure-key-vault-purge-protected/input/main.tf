resource "azurerm_key_vault" "app" {
  name                       = "app"
  sku_name                   = "standard"
  tenant_id                  = "00000000-0000-0000-0000-000000000000"
  resource_group_name        = "rg"
  location                   = "westeurope"
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
}
