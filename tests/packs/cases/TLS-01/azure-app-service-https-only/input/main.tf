variable "https_only" {
  default = true
}

resource "azurerm_app_service" "legacy" {
  name                = "legacy"
  app_service_plan_id = "plan"
  https_only          = true
  site_config {
    min_tls_version = "1.2"
    ftps_state      = "FtpsOnly"
  }
}

resource "azurerm_linux_web_app" "shop" {
  name            = "shop"
  service_plan_id = "plan"
  https_only      = true
  site_config {
    minimum_tls_version = "1.3"
    ftps_state          = "Disabled"
  }
}

# https_only from a variable is not judged; the default TLS version (1.2) is not a finding
resource "azurerm_windows_web_app" "portal" {
  name            = "portal"
  service_plan_id = "plan"
  https_only      = var.https_only
  site_config {}
}
