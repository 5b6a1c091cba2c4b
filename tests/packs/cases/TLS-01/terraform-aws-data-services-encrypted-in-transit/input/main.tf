resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }
  node_to_node_encryption {
    enabled = true
  }
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "cache"
  description                = "sessions"
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
}
