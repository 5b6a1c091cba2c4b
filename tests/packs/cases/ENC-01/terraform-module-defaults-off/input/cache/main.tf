# Another module: its defaults say nothing about the db module's.
variable "storage_encrypted" {
  type    = bool
  default = true
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = "cache"
  description                = "cache"
  at_rest_encryption_enabled = var.storage_encrypted
}
