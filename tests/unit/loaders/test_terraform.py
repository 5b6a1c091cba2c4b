from __future__ import annotations

import json

import pytest

from compliance.errors import InputError
from compliance.inputs import terraform


@pytest.fixture
def resources(fixtures, make_ctx):
    path = fixtures / "main.tf"
    return {r.id: r for r in terraform.load(path.read_text(), make_ctx(path, "infra/main.tf"))}


def test_ids_kinds_lines(resources):
    assert {
        rid: (r.kind, r.name, r.source.line, r.source.end_line) for rid, r in resources.items()
    } == {
        "tf:aws_security_group.web": ("aws_security_group", "web", 9, 38),
        "tf:aws_security_group_rule.ssh": ("aws_security_group_rule", "ssh", 40, 47),
        "tf:aws_vpc_security_group_ingress_rule.https_v6": (
            "aws_vpc_security_group_ingress_rule",
            "https_v6",
            49,
            55,
        ),
        "tf:aws_instance.node": ("aws_instance", "node", 57, 72),
        "tf:data.aws_caller_identity.me": ("data.aws_caller_identity", "me", 7, 7),
        "tf:var.cidr": ("terraform_variable", "cidr", 1, 5),
    }
    assert all(r.source.format == "terraform" for r in resources.values())
    assert all(r.source.file == "infra/main.tf" for r in resources.values())


def test_body_is_plain_json(resources):
    sg = resources["tf:aws_security_group.web"].body
    assert sg == {
        "name": "web",
        "vpc_id": "${var.vpc_id}",
        "ingress": [
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
            {
                "from_port": 443,
                "to_port": 443,
                "protocol": "tcp",
                "cidr_blocks": ["${var.cidr}"],
                "ipv6_cidr_blocks": ["::/0"],
            },
        ],
        "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["10.0.0.0/8"]}],
        "tags": {"Name": "web-${var.env}"},
    }
    json.dumps(sg)


def test_single_blocks_unwrapped_and_heredoc(resources):
    node = resources["tf:aws_instance.node"].body
    assert node["root_block_device"] == {"encrypted": True}
    assert node["lifecycle"] == {"prevent_destroy": True}
    assert node["user_data"] == '#!/bin/sh\necho "{ not a brace }"'


def test_repeated_block_stays_a_list_even_when_single(make_ctx):
    text = 'resource "aws_security_group" "a" {\n  ingress {\n    from_port = 1\n  }\n}\n'
    (r,) = terraform.load(text, make_ctx("a.tf"))
    assert r.body["ingress"] == [{"from_port": 1}]
    assert r.lines["ingress[0]"] == 2
    assert r.lines["ingress[0].from_port"] == 3


def test_variable_body(resources):
    assert resources["tf:var.cidr"].body == {
        "type": "string",
        "default": "10.0.0.0/8",
        "sensitive": True,
    }


def test_lines(resources):
    sg = resources["tf:aws_security_group.web"]
    assert sg.lines["vpc_id"] == 11
    assert sg.lines["ingress[1].cidr_blocks"] == 24
    assert sg.lines["egress[0]"] == 28
    assert sg.lines["tags.Name"] == 36
    node = resources["tf:aws_instance.node"]
    assert node.lines["root_block_device.encrypted"] == 61
    assert node.lines["lifecycle.prevent_destroy"] == 70


def test_security_group_facts(resources):
    assert resources["tf:aws_security_group.web"].facts == {
        "ingress": [
            {
                "from_port": 22,
                "to_port": 22,
                "protocol": "tcp",
                "cidrs": ["0.0.0.0/0"],
                "world_open": True,
                "line": 13,
            },
            {
                "from_port": 443,
                "to_port": 443,
                "protocol": "tcp",
                "cidrs": ["${var.cidr}", "::/0"],
                "world_open": True,
                "line": 20,
            },
        ],
        "egress": [
            {
                "from_port": 0,
                "to_port": 0,
                "protocol": "-1",
                "cidrs": ["10.0.0.0/8"],
                "world_open": False,
                "line": 28,
            }
        ],
    }


def test_rule_resource_facts(resources):
    assert resources["tf:aws_security_group_rule.ssh"].facts == {
        "ingress": [
            {
                "from_port": 22,
                "to_port": 22,
                "protocol": "tcp",
                "cidrs": ["0.0.0.0/0"],
                "world_open": True,
                "line": 41,
            }
        ],
        "egress": [],
    }
    assert resources["tf:aws_vpc_security_group_ingress_rule.https_v6"].facts == {
        "ingress": [
            {
                "from_port": 443,
                "to_port": 443,
                "protocol": "tcp",
                "cidrs": ["::/0"],
                "world_open": True,
                "line": 51,
            }
        ],
        "egress": [],
    }
    assert resources["tf:aws_instance.node"].facts == {"user_data_env": []}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('resource "a" "b" {\n  x = \n}\n', 2),
        ('resource "a" "b" {\n  x = 1\n', 3),
    ],
)
def test_syntax_errors(text, line, make_ctx):
    with pytest.raises(InputError) as e:
        terraform.load(text, make_ctx("bad.tf", "tf/bad.tf"))
    assert e.value.message.startswith("invalid HCL")
    assert e.value.file == "tf/bad.tf"
    if line is not None:
        assert e.value.line == line


def test_is_plan():
    assert terraform.is_plan({"format_version": "1.2", "planned_values": {}})
    assert terraform.is_plan({"format_version": "1.0", "values": {}})
    assert not terraform.is_plan({"format_version": "1.2"})
    assert not terraform.is_plan({"planned_values": {}})
    assert not terraform.is_plan([1])


def test_load_plan(fixtures, make_ctx):
    value = json.loads((fixtures / "plan.json").read_text())
    resources = terraform.load_plan(value, make_ctx("plan.json"))
    assert [(r.id, r.kind, r.name, r.source.line) for r in resources] == [
        ("tf:aws_security_group.web", "aws_security_group", "web", 1),
        ("tf:data.aws_ami.debian", "data.aws_ami", "debian", 1),
        ("tf:module.db.aws_db_instance.main", "aws_db_instance", "main", 1),
    ]
    assert resources[0].facts["ingress"] == [
        {
            "from_port": 22,
            "to_port": 22,
            "protocol": "tcp",
            "cidrs": ["0.0.0.0/0"],
            "world_open": True,
            "line": None,
        }
    ]
    assert resources[2].body == {"storage_encrypted": False}


def test_plan_from_state_values(make_ctx):
    value = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_security_group_rule.r",
                        "mode": "managed",
                        "type": "aws_security_group_rule",
                        "name": "r",
                        "values": {
                            "type": "egress",
                            "from_port": 0,
                            "to_port": 0,
                            "protocol": "-1",
                            "cidr_blocks": None,
                            "ipv6_cidr_blocks": ["::/0"],
                        },
                    }
                ]
            }
        },
    }
    (r,) = terraform.load_plan(value, make_ctx("state.json"))
    assert r.facts["egress"] == [
        {
            "from_port": 0,
            "to_port": 0,
            "protocol": "-1",
            "cidrs": ["::/0"],
            "world_open": True,
            "line": None,
        }
    ]


def test_plan_without_root_module(make_ctx):
    with pytest.raises(InputError, match="root_module"):
        terraform.load_plan({"format_version": "1.2", "planned_values": {}}, make_ctx("p.json"))
