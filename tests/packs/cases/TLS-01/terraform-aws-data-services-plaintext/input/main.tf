resource "aws_elasticsearch_domain" "search" {
  domain_name = "search"
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-0-2019-07"
  }
  node_to_node_encryption {
    enabled = false
  }
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "cache"
  description                = "sessions"
  at_rest_encryption_enabled = true
}
