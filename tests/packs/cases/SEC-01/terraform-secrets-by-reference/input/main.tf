resource "aws_ssm_parameter" "api_token" {
  name  = "/shop/api_token"
  type  = "SecureString"
  value = var.api_token
}

resource "aws_ssm_parameter" "region" {
  name  = "/shop/region"
  type  = "String"
  value = "eu-west-1"
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ password = random_password.db.result })
}

variable "api_token" {
  type      = string
  sensitive = true
}
