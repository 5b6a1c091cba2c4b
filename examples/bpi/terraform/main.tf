# AWS footprint of a BPI node and the enterprise server.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "vpc_id" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"]
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

resource "aws_kms_key" "bpi" {
  description             = "BPI data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_security_group" "bpi_node" {
  name        = "bpi-node"
  description = "BPI node"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "SSH for the node operators"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port        = 0
    to_port          = 0
    protocol         = "-1"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  tags = {
    Name = "bpi-node"
  }
}

resource "aws_instance" "bpi_node" {
  ami                    = data.aws_ami.debian.id
  instance_type          = "m6i.xlarge"
  vpc_security_group_ids = [aws_security_group.bpi_node.id]

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    volume_size = 200
    volume_type = "gp3"
    encrypted   = true
    kms_key_id  = aws_kms_key.bpi.arn
  }

  tags = {
    Name = "bpi-core-0"
  }
}

resource "aws_db_instance" "pravyom" {
  identifier              = "pravyom"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.t4g.medium"
  allocated_storage       = 100
  username                = "pravyom"
  password                = var.db_password
  storage_encrypted       = false
  backup_retention_period = 7
  publicly_accessible     = false
  deletion_protection     = true
  skip_final_snapshot     = false
}

resource "aws_s3_bucket" "evidence" {
  bucket = "bpi-audit-evidence"
}

resource "aws_s3_bucket_versioning" "evidence" {
  bucket = aws_s3_bucket.evidence.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "evidence" {
  bucket = aws_s3_bucket.evidence.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.bpi.arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "evidence" {
  bucket                  = aws_s3_bucket.evidence.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_cloudtrail" "main" {
  name                          = "bpi-trail"
  s3_bucket_name                = aws_s3_bucket.evidence.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.bpi.arn
}

resource "aws_cloudwatch_log_group" "bpi" {
  name              = "/bpi/node"
  retention_in_days = 90
  kms_key_id        = aws_kms_key.bpi.arn
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = "${var.region}-placeholder"
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
  certificate_arn   = "arn:aws:acm:eu-central-1:123456789012:certificate/bpi"

  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/bpi/1"
  }
}
