resource "aws_security_group" "app" {
  name = "app"
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_egress_rule" "all6" {
  security_group_id = "sg-123"
  ip_protocol       = "-1"
  cidr_ipv6         = "::/0"
}

resource "aws_default_security_group" "default" {
  vpc_id = "vpc-123"
  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
}
