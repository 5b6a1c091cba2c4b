resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "org-trail"
  enable_logging = false
}
