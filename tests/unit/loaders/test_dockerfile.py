from __future__ import annotations

import pytest

from compliance.errors import InputError
from compliance.inputs import dockerfile


@pytest.fixture
def resource(fixtures, make_ctx):
    path = fixtures / "Dockerfile.multistage"
    return dockerfile.load(path.read_text(), make_ctx(path, "app/Dockerfile.multistage"))[0]


def test_identity_and_source(resource):
    assert resource.id == "dockerfile:app/Dockerfile.multistage"
    assert resource.kind == "Dockerfile"
    assert resource.name == "app/Dockerfile.multistage"
    assert resource.source.format == "dockerfile"
    assert (resource.source.line, resource.source.end_line) == (1, 20)


def test_stages(resource):
    stages = resource.body["stages"]
    assert [(s["index"], s["name"], s["from"], s["line"]) for s in stages] == [
        (0, "builder", "rust:${BASE_TAG}", 3),
        (1, "runtime", "debian@sha256:0123456789abcdef", 13),
        (2, None, "runtime", 18),
    ]
    assert stages[1]["instructions"] == [
        {"instruction": "FROM", "value": "debian@sha256:0123456789abcdef AS runtime", "line": 13},
        {"instruction": "COPY", "value": "--from=builder /out/app /app", "line": 14},
        {"instruction": "USER", "value": "app", "line": 15},
        {"instruction": "HEALTHCHECK", "value": 'CMD ["/app", "health"]', "line": 16},
    ]


def test_flat_instructions_and_lines(resource):
    flat = resource.body["instructions"]
    assert len(flat) == 15
    assert flat[0] == {"instruction": "ARG", "value": "BASE_TAG=1.79", "line": 2, "stage": None}
    assert flat[6] == {
        "instruction": "RUN",
        "value": "cargo build       --release",
        "line": 9,
        "stage": 0,
    }
    assert [i["stage"] for i in flat].count(2) == 3
    assert resource.lines["instructions[0]"] == 2
    assert resource.lines["instructions[6]"] == 9
    assert resource.lines["stages[2].instructions[1]"] == 19
    assert resource.line_for("instructions[14].value") == 20


def test_final_stage_user_and_healthcheck_none(resource):
    facts = resource.facts
    assert facts["final_stage"] == 2
    assert facts["final_user"] == "1000:1000"
    assert facts["has_healthcheck"] is False


def test_base_images(resource):
    assert resource.facts["base_images"] == [
        {
            "image": "rust",
            "tag": "1.79",
            "digest": None,
            "reference": "rust:1.79",
            "stage": 0,
            "line": 3,
            "is_stage_ref": False,
            "stage_ref": None,
        },
        {
            "image": "debian",
            "tag": None,
            "digest": "sha256:0123456789abcdef",
            "reference": "debian@sha256:0123456789abcdef",
            "stage": 1,
            "line": 13,
            "is_stage_ref": False,
            "stage_ref": None,
        },
        {
            "image": "runtime",
            "tag": None,
            "digest": None,
            "reference": "runtime",
            "stage": 2,
            "line": 18,
            "is_stage_ref": True,
            "stage_ref": 1,
        },
    ]


def test_env_pairs(resource):
    assert resource.facts["env"] == [
        {"name": "BASE_TAG", "value": "1.79", "line": 2, "instruction": "ARG"},
        {"name": "NPM_TOKEN", "value": None, "line": 4, "instruction": "ARG"},
        {"name": "MODE", "value": "release", "line": 5, "instruction": "ARG"},
        {"name": "CARGO_HOME", "value": "/cargo", "line": 6, "instruction": "ENV"},
        {"name": "PATH", "value": "/cargo/bin:$PATH", "line": 6, "instruction": "ENV"},
        {"name": "LABEL", "value": "two words", "line": 6, "instruction": "ENV"},
        {"name": "LEGACY", "value": "some value here", "line": 8, "instruction": "ENV"},
    ]


def _load(text, make_ctx):
    return dockerfile.load(text, make_ctx("Dockerfile"))[0]


def test_user_and_healthcheck_inherited_from_stage_ref(make_ctx):
    r = _load(
        "FROM alpine:3.20 AS base\nUSER app\nHEALTHCHECK CMD true\nFROM base\nRUN true\n", make_ctx
    )
    assert r.facts["final_user"] == "app"
    assert r.facts["has_healthcheck"] is True


def test_no_user_no_healthcheck(make_ctx):
    r = _load("FROM ubuntu\nRUN apt-get update\n", make_ctx)
    assert r.facts["final_user"] is None
    assert r.facts["has_healthcheck"] is False
    assert r.facts["base_images"][0]["tag"] is None


def test_registry_port_is_not_a_tag(make_ctx):
    r = _load("FROM registry.local:5000/team/app\n", make_ctx)
    assert r.facts["base_images"][0]["image"] == "registry.local:5000/team/app"
    assert r.facts["base_images"][0]["tag"] is None


def test_lowercase_instructions_and_arg_list(make_ctx):
    r = _load("from alpine:latest as base\narg A B=2\n", make_ctx)
    assert r.body["stages"][0]["name"] == "base"
    assert r.facts["base_images"][0]["tag"] == "latest"
    assert [(e["name"], e["value"]) for e in r.facts["env"]] == [("A", None), ("B", "2")]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("", "empty Dockerfile", 1),
        ("# only a comment\n", "empty Dockerfile", 1),
        ("ARG X=1\n", "no FROM instruction", 1),
        ("RUN echo hi\nFROM alpine\n", "RUN before the first FROM", 1),
    ],
)
def test_errors(text, message, line, make_ctx):
    with pytest.raises(InputError) as e:
        dockerfile.load(text, make_ctx("Dockerfile", "svc/Dockerfile"))
    assert message in e.value.message
    assert e.value.file == "svc/Dockerfile"
    assert e.value.line == line
