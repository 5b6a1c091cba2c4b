resource "aws_secretsmanager_secret" "api" {
  name = "shop/api"
}

resource "aws_secretsmanager_secret_rotation" "api" {
  secret_id = aws_secretsmanager_secret.api.arn

  rotation_rules {
    schedule_expression = "rate(120 days)"
  }
}
