resource "aws_cognito_user_pool" "users" {
  name = "users"
}

resource "aws_cognito_user_pool" "staff" {
  name              = "staff"
  mfa_configuration = "OPTIONAL"
}
