resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_s3_bucket" "data" {
  bucket = "data"
}

provider "aws" {
  region = "eu-central-1"
}
