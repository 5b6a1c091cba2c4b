resource "aws_ssm_parameter" "api_token" {
  name  = "/shop/api_token"
  type  = "String"
  value = "tok-1234567890"
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = "hunter2-but-longer"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "hunter2-but-longer"
}

resource "aws_db_instance" "app" {
  identifier     = "app"
  engine         = "postgres"
  instance_class = "db.t3.micro"
  username       = "app"
  password       = "hunter2-but-longer"
}
