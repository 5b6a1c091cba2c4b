resource "aws_secretsmanager_secret" "db" {
  name = "shop/db"
}

resource "aws_secretsmanager_secret_rotation" "db" {
  secret_id           = aws_secretsmanager_secret.db.id
  rotation_lambda_arn = aws_lambda_function.rotate.arn

  rotation_rules {
    automatically_after_days = 30
  }
}

resource "aws_secretsmanager_secret" "api" {
  name = "shop/api"
}

resource "aws_secretsmanager_secret_rotation" "api" {
  secret_id = aws_secretsmanager_secret.api.arn

  rotation_rules {
    schedule_expression = "rate(60 days)"
  }
}
