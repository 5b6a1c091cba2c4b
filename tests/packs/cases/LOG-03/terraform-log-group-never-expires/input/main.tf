resource "aws_cloudwatch_log_group" "app" {
  name = "/app"
}

resource "aws_cloudwatch_log_group" "audit" {
  name              = "/audit"
  retention_in_days = 731
}
