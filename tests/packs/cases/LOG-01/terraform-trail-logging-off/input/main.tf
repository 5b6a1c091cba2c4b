resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "org-trail"
  enable_logging = false

  is_multi_region_trail = true
}
