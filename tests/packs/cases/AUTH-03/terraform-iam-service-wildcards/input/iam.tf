resource "aws_iam_role_policy" "builder" {
  name = "builder"
  role = "builder"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["ec2:*"], Resource = "*" },
    ]
  })
}

resource "aws_iam_policy" "bucket_owner" {
  name = "bucket-owner"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "s3:*", Resource = "arn:aws:s3:::reports/*" },
      { Effect = "Deny", Action = "kms:*", Resource = "*" },
    ]
  })
}
