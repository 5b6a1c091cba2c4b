resource "aws_db_instance" "app" {
  engine            = "postgres"
  storage_encrypted = false
}

resource "aws_rds_cluster" "aurora" {
  engine = "aurora-postgresql"
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-central-1a"
  size              = 100
}

resource "aws_instance" "node" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  root_block_device {
    volume_size = 50
  }
  ebs_block_device {
    device_name = "/dev/sdf"
    encrypted   = true
  }
  ebs_block_device {
    device_name = "/dev/sdg"
  }
}

resource "aws_instance" "bare" {
  ami           = "ami-123"
  instance_type = "t3.micro"
}

resource "aws_efs_file_system" "shared" {
  creation_token = "shared"
}

resource "aws_dynamodb_table" "sessions" {
  name     = "sessions"
  hash_key = "id"
}

resource "aws_s3_bucket" "raw" {
  bucket = "raw-data"
}

resource "aws_s3_bucket" "legacy" {
  bucket = "legacy-data"
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }
}
