resource "aws_db_instance" "orders" {
  identifier          = "orders"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  publicly_accessible = true
}

resource "aws_rds_cluster_instance" "reader" {
  identifier          = "reader"
  cluster_identifier  = "main"
  instance_class      = "db.r6g.large"
  publicly_accessible = true
}

resource "azurerm_kubernetes_cluster" "open" {
  name       = "open"
  dns_prefix = "open"
}

resource "azurerm_kubernetes_cluster" "world" {
  name       = "world"
  dns_prefix = "world"
  api_server_access_profile {
    authorized_ip_ranges = ["0.0.0.0/0"]
  }
}

resource "google_container_cluster" "open" {
  name     = "open"
  location = "europe-west1"
}

resource "google_container_cluster" "world" {
  name     = "world"
  location = "europe-west1"
  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = "0.0.0.0/0"
      display_name = "everyone"
    }
  }
}
