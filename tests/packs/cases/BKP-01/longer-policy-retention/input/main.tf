resource "aws_db_instance" "app" {
  engine                  = "postgres"
  backup_retention_period = 14
}
