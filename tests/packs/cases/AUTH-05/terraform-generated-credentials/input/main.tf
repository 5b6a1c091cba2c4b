resource "aws_db_instance" "app" {
  identifier                  = "app"
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  username                    = "app"
  manage_master_user_password = true
  storage_encrypted           = true
}

resource "aws_rds_cluster" "reports" {
  cluster_identifier = "reports"
  engine             = "aurora-postgresql"
  master_username    = "reports"
  master_password    = var.reports_password
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length = 14
}
