resource "aws_neptune_cluster" "graph" {
  cluster_identifier = "graph"
}

resource "aws_redshift_cluster" "warehouse" {
  cluster_identifier = "warehouse"
  node_type          = "ra3.xlplus"
  encrypted          = false
}

resource "aws_elasticsearch_domain" "search" {
  domain_name = "search"
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  encrypt_at_rest {
    enabled = false
  }
}

resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
}

resource "aws_eks_cluster" "partial" {
  name     = "partial"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
  encryption_config {
    resources = ["configmaps"]
    provider {
      key_arn = "arn:aws:kms:eu-central-1:111122223333:key/eks"
    }
  }
}

resource "aws_ecr_repository" "images" {
  name = "images"
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_sqs_queue" "jobs" {
  name                    = "jobs"
  sqs_managed_sse_enabled = false
}

resource "aws_sqs_queue" "events" {
  name = "events"
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id = "cache"
  description          = "sessions"
}

resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
  dynamic "server_side_encryption" {
    for_each = []
    content {
      enabled = true
    }
  }
}
