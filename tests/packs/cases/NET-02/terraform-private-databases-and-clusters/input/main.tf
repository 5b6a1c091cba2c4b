resource "aws_db_instance" "orders" {
  identifier          = "orders"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  publicly_accessible = false
}

# publicly_accessible defaults to false
resource "aws_rds_cluster_instance" "reader" {
  identifier         = "reader"
  cluster_identifier = "main"
  instance_class     = "db.r6g.large"
}

resource "azurerm_kubernetes_cluster" "private" {
  name                    = "private"
  dns_prefix              = "private"
  private_cluster_enabled = true
}

resource "azurerm_kubernetes_cluster" "office" {
  name       = "office"
  dns_prefix = "office"
  api_server_access_profile {
    authorized_ip_ranges = ["203.0.113.0/24"]
  }
}

resource "azurerm_kubernetes_cluster" "legacy" {
  name                            = "legacy"
  dns_prefix                      = "legacy"
  api_server_authorized_ip_ranges = ["198.51.100.10/32"]
}

resource "google_container_cluster" "office" {
  name     = "office"
  location = "europe-west1"
  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = "203.0.113.0/24"
      display_name = "office"
    }
  }
}

resource "google_container_cluster" "private" {
  name     = "private"
  location = "europe-west1"
  private_cluster_config {
    enable_private_endpoint = true
    enable_private_nodes    = true
  }
}
