resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "*", Resource = "*" },
    ]
  })
}

resource "aws_iam_role_policy" "deployer" {
  name   = "deployer"
  role   = "deployer"
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}
  ]
}
POLICY
}

resource "aws_iam_user_policy" "ops" {
  name   = "ops"
  user   = "ops"
  policy = data.aws_iam_policy_document.ops.json
}

data "aws_iam_policy_document" "ops" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_user_policy_attachment" "ops_readonly" {
  user       = "ops"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_policy_attachment" "legacy" {
  name       = "legacy"
  users      = ["alice"]
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
