resource "aws_acm_certificate" "web" {
  domain_name       = "shop.example.com"
  validation_method = "DNS"
}

resource "aws_acm_certificate" "api" {
  domain_name       = "api.example.com"
  validation_method = "DNS"
  key_algorithm     = "EC_prime256v1"
}
