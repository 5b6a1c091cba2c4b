provider "aws" {
  region     = "eu-central-1"
  access_key = "AKIAZ7Q3EXAMPLEKEY05"
}

variable "deploy_key" {
  type    = string
  default = "AKIAZ7Q3EXAMPLEKEY02"
}

resource "aws_instance" "worker" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  user_data     = "export SLACK_HOOK_TOKEN=xoxp-000000000000-fixture-example-hook"
}
