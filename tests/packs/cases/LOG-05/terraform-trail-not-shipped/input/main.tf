resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "org-trail"
  enable_log_file_validation = true
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/app"
  retention_in_days = 365
}
