resource "aws_kms_key" "data" {
  description = "data key"
}

resource "aws_kms_key" "off" {
  description         = "explicitly off"
  enable_key_rotation = false
}

resource "aws_kms_key" "signing" {
  description              = "asymmetric keys cannot rotate"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_NIST_P256"
}
