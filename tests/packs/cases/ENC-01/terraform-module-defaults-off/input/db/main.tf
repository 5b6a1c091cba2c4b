resource "aws_rds_cluster" "this" {
  cluster_identifier = "app"
  storage_encrypted  = var.storage_encrypted
}

resource "aws_eks_cluster" "this" {
  name     = "app"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
  dynamic "encryption_config" {
    for_each = var.encryption_config
    content {
      resources = encryption_config.value.resources
    }
  }
}
