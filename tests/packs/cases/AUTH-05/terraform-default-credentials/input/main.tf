resource "aws_db_instance" "app" {
  identifier        = "app"
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  username          = "postgres"
  password          = "Postgres"
  storage_encrypted = true
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length = 8
  require_symbols         = true
}
