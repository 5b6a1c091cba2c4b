resource "aws_network_acl" "public" {
  vpc_id = "vpc-1"
  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 3389
    to_port    = 3389
  }
}

resource "aws_network_acl_rule" "everything" {
  network_acl_id = "acl-1"
  rule_number    = 300
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  ipv6_cidr_block = "::/0"
}
