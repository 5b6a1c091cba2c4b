variable "cluster_enabled_log_types" {
  type    = list(string)
  default = ["api"]
}

variable "multi_region" {
  type    = bool
  default = false
}

resource "aws_eks_cluster" "this" {
  name                      = "app"
  role_arn                  = "arn:aws:iam::111122223333:role/eks"
  enabled_cluster_log_types = var.cluster_enabled_log_types
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}

resource "aws_cloudtrail" "this" {
  name                  = "trail"
  s3_bucket_name        = "org-trail"
  is_multi_region_trail = var.multi_region
}
