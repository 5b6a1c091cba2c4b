resource "aws_s3_bucket" "trail" {
  bucket              = "org-trail"
  object_lock_enabled = true
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/aws/cloudtrail"
  retention_in_days = 400
  kms_key_id        = "arn:aws:kms:eu-central-1:111122223333:key/trail"
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = aws_s3_bucket.trail.id
  enable_log_file_validation = true
  is_multi_region_trail      = true
  kms_key_id                 = "arn:aws:kms:eu-central-1:111122223333:key/trail"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_flow_log" "main" {
  vpc_id          = aws_vpc.main.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.trail.arn
}

resource "aws_s3_bucket" "access_logs" {
  bucket = "org-access-logs"
}

resource "aws_s3_bucket_logging" "trail" {
  bucket        = aws_s3_bucket.trail.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "trail/"
}
