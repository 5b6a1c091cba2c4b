# A reusable module: no provider block, no trail of its own (the root declares one).
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = "arn:aws:logs:eu-central-1:111122223333:log-group:flow"
}
