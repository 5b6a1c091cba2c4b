resource "aws_kms_key" "data" {
  enable_key_rotation = true
}

resource "aws_db_instance" "app" {
  engine            = "postgres"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.data.arn
}

resource "aws_rds_cluster" "aurora" {
  engine            = "aurora-postgresql"
  storage_encrypted = true
}

resource "aws_ebs_encryption_by_default" "on" {
  enabled = true
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-central-1a"
  size              = 100
}

resource "aws_instance" "node" {
  ami           = "ami-123"
  instance_type = "t3.micro"
}

resource "aws_efs_file_system" "shared" {
  encrypted  = true
  kms_key_id = aws_kms_key.data.arn
}

resource "aws_dynamodb_table" "sessions" {
  name     = "sessions"
  hash_key = "id"
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
  }
}
