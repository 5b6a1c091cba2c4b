resource "aws_db_instance" "none" {
  engine                  = "postgres"
  backup_retention_period = 0
}

resource "aws_db_instance" "short" {
  engine                  = "postgres"
  backup_retention_period = 3
}

resource "aws_rds_cluster" "default" {
  engine = "aurora-postgresql"
}

resource "aws_backup_plan" "daily" {
  name = "daily"
  rule {
    rule_name         = "daily"
    target_vault_name = "main"
    schedule          = "cron(0 5 * * ? *)"
    lifecycle {
      delete_after = 5
    }
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "data"
}
