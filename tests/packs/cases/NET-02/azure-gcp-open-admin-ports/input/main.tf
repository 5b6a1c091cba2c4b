resource "azurerm_network_security_group" "web" {
  name = "web"
  security_rule {
    name                       = "https"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
  security_rule {
    name                       = "rdp"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_ranges    = ["3380-3390", "8080"]
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_rule" "ssh" {
  name                        = "ssh"
  priority                    = 120
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefixes     = ["10.0.0.0/8", "0.0.0.0/0"]
  destination_address_prefix  = "*"
  resource_group_name         = "rg"
  network_security_group_name = "web"
}

resource "google_compute_firewall" "admin" {
  name    = "admin"
  network = "default"
  allow {
    protocol = "tcp"
    ports    = ["80", "5400-5500"]
  }
  allow {
    protocol = "icmp"
  }
  source_ranges = ["0.0.0.0/0"]
}

resource "google_compute_firewall" "everything" {
  name    = "everything"
  network = "default"
  allow {
    protocol = "all"
  }
}

resource "google_sql_database_instance" "orders" {
  database_version = "POSTGRES_15"
  settings {
    tier = "db-f1-micro"
    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
      authorized_networks {
        name  = "office"
        value = "203.0.113.0/24"
      }
      authorized_networks {
        name  = "anyone"
        value = "0.0.0.0/0"
      }
    }
  }
}

resource "azurerm_mssql_firewall_rule" "anyone" {
  name             = "anyone"
  server_id        = "sql-1"
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}

resource "azurerm_postgresql_firewall_rule" "azure_services" {
  name                = "azure_services"
  resource_group_name = "rg"
  server_name         = "pg"
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}
