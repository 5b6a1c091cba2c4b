resource "azurerm_app_service" "legacy" {
  name                = "legacy"
  app_service_plan_id = "plan"
  site_config {
    min_tls_version = "1.0"
    ftps_state      = "AllAllowed"
  }
}

resource "azurerm_linux_web_app" "shop" {
  name            = "shop"
  service_plan_id = "plan"
  https_only      = false
  site_config {
    minimum_tls_version = "1.1"
  }
}

resource "azurerm_windows_web_app" "portal" {
  name            = "portal"
  service_plan_id = "plan"
  site_config {}
}
