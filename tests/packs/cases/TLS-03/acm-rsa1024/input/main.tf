resource "aws_acm_certificate" "web" {
  domain_name       = "shop.example.com"
  validation_method = "DNS"
  key_algorithm     = "RSA_1024"
}
