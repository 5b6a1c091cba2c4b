provider "aws" {
  region     = "eu-central-1"
  access_key = "EXAMPLEACCESSKEYID00"
  secret_key = "example/secret/key/for/a/test/only/000000"
}

resource "aws_lambda_function" "billing" {
  function_name = "billing"
  role          = "arn:aws:iam::111122223333:role/billing"
  handler       = "index.handler"
  runtime       = "python3.12"

  environment {
    variables = {
      STAGE       = "prod"
      DB_PASSWORD = "hunter2-but-longer"
    }
  }
}

resource "aws_instance" "bastion" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = <<-EOF
    #!/bin/bash
    export AWS_SECRET_ACCESS_KEY=example0secret0value0for0tests
    aws s3 sync s3://tools /opt/tools
  EOF
}

resource "aws_launch_template" "workers" {
  name_prefix = "workers"
  user_data = base64encode(<<-EOT
    #!/bin/bash
    API_TOKEN="example-token-value"
    /opt/start.sh
  EOT
  )
}

locals {
  region       = "eu-central-1"
  admin_secret = "example-local-secret"
}

module "database" {
  source      = "./database"
  db_password = "example-module-password"
}
