resource "aws_s3_bucket" "trail" {
  bucket = "org-trail"
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = aws_s3_bucket.trail.id
}

resource "aws_cloudtrail" "other" {
  name                       = "other"
  s3_bucket_name             = "org-trail"
  enable_log_file_validation = true
}
