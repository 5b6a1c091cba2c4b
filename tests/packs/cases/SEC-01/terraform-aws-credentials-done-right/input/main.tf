provider "aws" {
  region  = "eu-central-1"
  profile = "deploy"
}

provider "aws" {
  alias      = "legacy"
  region     = "us-east-1"
  access_key = var.legacy_access_key
  secret_key = var.legacy_secret_key
}

resource "aws_lambda_function" "billing" {
  function_name = "billing"
  role          = "arn:aws:iam::111122223333:role/billing"
  handler       = "index.handler"
  runtime       = "python3.12"

  environment {
    variables = {
      STAGE              = "prod"
      DB_PASSWORD_SECRET = aws_secretsmanager_secret.db.arn
      API_TOKEN          = var.api_token
      AUTH_HEADER_SECRET = "Bearer ${var.api_token}"
    }
  }
}

resource "aws_instance" "bastion" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = <<-EOF
    #!/bin/bash
    export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)
    REGION=eu-central-1
  EOF
}

resource "aws_launch_template" "workers" {
  name_prefix = "workers"
  user_data = base64encode(<<-EOT
    #!/bin/bash
    API_TOKEN="${var.api_token}"
  EOT
  )
}

locals {
  region          = "eu-central-1"
  password_length = 24
  db_password     = "${var.env}-${random_password.db.result}"
}

module "database" {
  source      = "./database"
  db_password = random_password.db.result
}
