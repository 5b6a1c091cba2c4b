provider "aws" {
  region = "eu-central-1"
}

variable "deploy_key" {
  type      = string
  sensitive = true
}

resource "aws_instance" "worker" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  user_data     = "export SLACK_HOOK_TOKEN=$(aws ssm get-parameter --name /hooks/slack)"
}
