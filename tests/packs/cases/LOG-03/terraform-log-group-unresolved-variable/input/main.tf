variable "log_days" {
  type    = number
  default = 90
}

# A value written as a variable is not judged here (a caller may set it).
resource "aws_cloudwatch_log_group" "app" {
  name              = "/app"
  retention_in_days = var.log_days
}
