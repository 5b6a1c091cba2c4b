resource "aws_security_group" "node" {
  name = "node"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port        = 22
    to_port          = 22
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }
}

resource "aws_security_group_rule" "all" {
  type              = "ingress"
  from_port         = 0
  to_port           = 65535
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}

resource "aws_vpc_security_group_ingress_rule" "db" {
  security_group_id = "sg-1"
  ip_protocol       = "tcp"
  from_port         = 5000
  to_port           = 6000
  cidr_ipv4         = "0.0.0.0/0"
}
