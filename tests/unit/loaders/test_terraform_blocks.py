"""provider, module, locals blocks; policy statements and user_data variables as facts."""

from __future__ import annotations

import base64

import pytest

from compliance.inputs import terraform
from compliance.inputs.terraform_facts import policy_document, script_text, script_variables

CONFIG = """\
provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

module "network" {
  source      = "./network"
  db_password = var.db_password
}

locals {
  name = "app"
}

locals {
  api_token = "t0ken"
}

resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_role_policy" "heredoc" {
  role   = "r"
  policy = <<EOF
{"Statement": {"Effect": "Deny", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"}}
EOF
}

resource "aws_iam_user_policy" "by_reference" {
  user   = "u"
  policy = data.aws_iam_policy_document.doc.json
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["iam:PassRole"]
    resources = ["*"]
  }
}

resource "aws_instance" "web" {
  ami       = "ami-1"
  user_data = base64encode(<<-EOT
    #!/bin/bash
    export AWS_SECRET_ACCESS_KEY="not-a-real-key"
    REGION=eu-west-1
  EOT
  )
}
"""


@pytest.fixture
def resources(make_ctx, tmp_path):
    path = tmp_path / "main.tf"
    return {r.id: r for r in terraform.load(CONFIG, make_ctx(path, "infra/main.tf"))}


def test_block_ids_kinds_and_lines(resources):
    got = {
        rid: (r.kind, r.name, r.source.line)
        for rid, r in resources.items()
        if not rid.startswith(("tf:aws_", "tf:data."))
    }
    assert got == {
        "tf:provider.aws": ("provider.aws", "aws", 1),
        "tf:provider.aws.us": ("provider.aws", "aws", 5),
        "tf:module.network": ("terraform_module", "network", 10),
        "tf:locals:infra/main.tf:15": ("terraform_locals", "locals", 15),
        "tf:locals:infra/main.tf:19": ("terraform_locals", "locals", 19),
    }
    assert resources["tf:provider.aws.us"].body == {"alias": "us", "region": "us-east-1"}
    assert resources["tf:module.network"].body["db_password"] == "${var.db_password}"
    assert resources["tf:locals:infra/main.tf:19"].body == {"api_token": "t0ken"}
    assert resources["tf:locals:infra/main.tf:19"].line_for("api_token") == 20


def test_policy_statements(resources):
    assert resources["tf:aws_iam_policy.admin"].facts["policy_statements"] == [
        {
            "effect": "Allow",
            "actions": ["*"],
            "not_actions": [],
            "resources": ["*"],
            "path": "policy",
        }
    ]
    assert resources["tf:aws_iam_role_policy.heredoc"].facts["policy_statements"] == [
        {
            "effect": "Deny",
            "actions": ["s3:*"],
            "not_actions": [],
            "resources": ["arn:aws:s3:::b"],
            "path": "policy",
        }
    ]
    assert resources["tf:aws_iam_user_policy.by_reference"].facts["policy_statements"] == []
    assert resources["tf:data.aws_iam_policy_document.doc"].facts["policy_statements"] == [
        {
            "effect": "Allow",
            "actions": ["iam:PassRole"],
            "not_actions": [],
            "resources": ["*"],
            "path": "statement[0]",
        }
    ]


def test_user_data_variables(resources):
    assert resources["tf:aws_instance.web"].facts["user_data_env"] == [
        {
            "name": "AWS_SECRET_ACCESS_KEY",
            "value": "not-a-real-key",
            "script_line": 2,
            "path": "user_data",
        },
        {"name": "REGION", "value": "eu-west-1", "script_line": 3, "path": "user_data"},
    ]


def test_script_text_forms():
    script = "#!/bin/sh\nexport TOKEN=abc\n"
    encoded = base64.b64encode(script.encode()).decode()
    assert script_text(encoded) == script
    assert script_text('${base64encode("export A=1\\nB=2")}') == "export A=1\nB=2"
    assert script_text('${base64encode(templatefile("x.sh", {}))}') is None
    assert script_text("plain text") == "plain text"
    assert script_variables("aws configure set aws_secret_access_key abc123\n") == [
        {"name": "aws_secret_access_key", "value": "abc123", "script_line": 1}
    ]


@pytest.mark.parametrize(
    "value",
    ["${data.aws_iam_policy_document.x.json}", "{not json", '${jsonencode("x")}', 42],
)
def test_policy_document_not_a_document(value):
    assert policy_document(value) is None


def test_plan_providers(make_ctx, tmp_path):
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": []}},
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "expressions": {
                        "region": {"constant_value": "eu-west-1"},
                        "access_key": {"references": ["var.key"]},
                    },
                },
                "module.child:aws": {"name": "aws", "module_address": "module.child"},
            }
        },
    }
    out = terraform.load_plan(plan, make_ctx(tmp_path / "plan.json", "plan.json"))
    assert [(r.id, r.kind, r.body) for r in out] == [
        ("tf:provider.aws", "provider.aws", {"region": "eu-west-1"})
    ]
