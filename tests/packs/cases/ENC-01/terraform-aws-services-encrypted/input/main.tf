variable "enable_secrets_encryption" {
  type    = bool
  default = true
}

resource "aws_neptune_cluster" "graph" {
  cluster_identifier = "graph"
  storage_encrypted  = true
  kms_key_arn        = "arn:aws:kms:eu-central-1:111122223333:key/neptune"
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier = "warehouse"
  node_type          = "ra3.xlplus"
  encrypted          = true
  kms_key_id         = "arn:aws:kms:eu-central-1:111122223333:key/redshift"
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  encrypt_at_rest {
    enabled    = true
    kms_key_id = "arn:aws:kms:eu-central-1:111122223333:key/search"
  }
}

# A module-style cluster: Secrets encryption through a dynamic block that is on by default.
resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
  dynamic "encryption_config" {
    for_each = var.enable_secrets_encryption ? [1] : []
    content {
      resources = ["secrets"]
      provider {
        key_arn = "arn:aws:kms:eu-central-1:111122223333:key/eks"
      }
    }
  }
}

resource "aws_ecr_repository" "images" {
  name = "images"
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = "arn:aws:kms:eu-central-1:111122223333:key/ecr"
  }
}

resource "aws_sns_topic" "alerts" {
  name              = "alerts"
  kms_master_key_id = "alias/sns"
}

resource "aws_sqs_queue" "jobs" {
  name              = "jobs"
  kms_master_key_id = "alias/sqs"
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "cache"
  description                = "sessions"
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  kms_key_id                 = "arn:aws:kms:eu-central-1:111122223333:key/cache"
}

resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
  dynamic "server_side_encryption" {
    for_each = [1]
    content {
      enabled     = true
      kms_key_arn = "arn:aws:kms:eu-central-1:111122223333:key/dynamodb"
    }
  }
}

resource "aws_efs_file_system" "shared" {
  encrypted  = true
  kms_key_id = "arn:aws:kms:eu-central-1:111122223333:key/efs"
}
