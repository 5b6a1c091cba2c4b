resource "azurerm_network_security_rule" "odd" {
  direction = 1
  access = true
  source_address_prefix = 5
}
resource "google_compute_firewall" "odd" {
  direction = var.dir
  allow {
    protocol = 6
    ports = var.ports
  }
  source_ranges = var.ranges
}
resource "azurerm_storage_container" "odd" {
  container_access_type = 3
}
resource "google_sql_database_instance" "odd" {
  settings = var.settings
}
