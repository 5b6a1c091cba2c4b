resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "org-trail"
  enable_log_file_validation = true
}

resource "aws_s3_bucket" "uploads" {
  bucket = "uploads"
}

resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "application"
  access_logs {
    bucket  = "lb-logs"
    enabled = false
  }
}

resource "aws_elb" "legacy" {
  name               = "legacy"
  availability_zones = ["eu-central-1a"]
  listener {
    instance_port     = 443
    instance_protocol = "tcp"
    lb_port           = 443
    lb_protocol       = "tcp"
  }
}

resource "aws_eks_cluster" "main" {
  name                      = "main"
  role_arn                  = "arn:aws:iam::111122223333:role/eks"
  enabled_cluster_log_types = ["api"]
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
}

resource "aws_eks_cluster" "quiet" {
  name     = "quiet"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  enabled_cluster_log_types = ["api", "audit"]
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
}

resource "aws_opensearch_domain" "logs" {
  domain_name = "logs"
}
