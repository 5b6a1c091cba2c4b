"""Values the engine cannot take, odd parser failures and odd YAML: errors of their file,
with a line; YAML that Kubernetes accepts loads."""

from __future__ import annotations

import pytest

from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.safety import find_unsafe

OK = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, namespace: t}\ndata: {a: b}\n"


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.yaml").write_text(OK)
    return tmp_path / "in"


def _load(*paths: str, sets: tuple[str, ...] = ()):
    result = load_paths(list(paths) or ["in"], LoadOptions(env={}, sets=sets))
    return result, [(e.file, e.line, e.message) for e in result.errors]


def _names(result) -> list[str]:
    return sorted(r.name for r in result.resources)


def test_an_integer_beyond_64_bits_in_yaml_is_an_error_of_its_file_at_its_line(work):
    (work / "big.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {}\nreplicas: "
        "99999999999999999999999\n"
    )
    result, errors = _load()
    assert errors == [
        (
            "in/big.yaml",
            5,
            "integer of 23 digits is outside the 64-bit range the policy engine takes",
        )
    ]
    assert _names(result) == ["fine"]


def test_64_bit_edges_load(work):
    (work / "edges.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edges}\n"
        "x: [18446744073709551615, -9223372036854775808]\n"
    )
    result, errors = _load()
    assert errors == []
    edges = next(r for r in result.resources if r.name == "edges")
    assert edges.body["x"] == [2**64 - 1, -(2**63)]


def test_a_100000_digit_integer_is_an_error_with_its_line_in_yaml_json_and_toml(work):
    digits = "7" * 100_000
    (work / "a.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\nn: {digits}\n"
    )
    (work / "b.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"},\n'
        f'"n": {digits}}}\n'
    )
    (work / "c.toml").write_text(f"[security]\n\n[security.auth_config]\nx = {digits}\n")
    result, errors = _load()
    assert errors == [
        ("in/a.yaml", 4, "integer of 100000 characters is too large to read"),
        ("in/b.json", 2, "integer of more than 4300 digits is too large to read"),
        ("in/c.toml", 4, "integer of more than 4300 digits is too large to read"),
    ]
    assert _names(result) == ["fine"]


def test_a_lone_surrogate_in_json_is_an_error_with_its_line(work):
    (work / "s.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "s"},\n'
        ' "data": {"x": "a\\ud800b", "pair": "\\ud83d\\ude00"}}\n'
    )
    result, errors = _load()
    assert errors == [
        (
            "in/s.json",
            3,
            "data.x: string holds a lone UTF-16 surrogate, which the policy engine cannot take",
        )
    ]
    assert _names(result) == ["fine"]


def test_a_surrogate_pair_in_json_loads(work):
    (work / "p.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"},'
        ' "data": {"x": "\\ud83d\\ude00"}}'
    )
    result, errors = _load()
    assert errors == []
    assert next(r for r in result.resources if r.name == "p").body["data"]["x"] == "\U0001f600"


def test_a_big_integer_in_a_terraform_plan_is_an_error_of_the_plan(work):
    (work / "plan.json").write_text(
        '{"format_version": "1.2", "terraform_version": "1.9.0",\n'
        ' "planned_values": {"root_module": {"resources": [\n'
        '  {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket",'
        ' "name": "b",\n   "values": {"n": 123456789012345678901234}}]}}}\n'
    )
    result, errors = _load()
    assert [(f, line) for f, line, _ in errors] == [("in/plan.json", 4)]
    assert "outside the 64-bit range" in errors[0][2]
    assert _names(result) == ["fine"]


def test_toml_nested_too_deeply_names_file_and_line(work):
    (work / "deep.toml").write_text("[security]\n\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    result, errors = _load()
    assert errors == [("in/deep.toml", 3, "nested too deeply (more than 100 levels)")]
    assert _names(result) == ["fine"]


def test_a_set_override_beyond_64_bits_is_an_error_of_the_config(work):
    (work / "app.toml").write_text("[security.auth_config]\nmfa_required = true\n")
    result, errors = _load(sets=("security.auth_config.session_timeout_minutes=" + "9" * 30,))
    assert len(errors) == 1 and errors[0][0] == "in/app.toml"
    assert "security.auth_config.session_timeout_minutes" in errors[0][2]
    assert "64-bit" in errors[0][2]
    assert _names(result) == ["fine"]


CRD_WITH_EQUALS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rules.example.com}
spec:
  group: example.com
  names: {kind: Rule, plural: rules}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            op:
              type: string
              enum:
                - =
                - "!="
                - =~
---
apiVersion: v1
kind: ConfigMap
metadata: {name: after-crd, namespace: t}
data: {enabled: yes, merge: <<}
"""


def test_a_bare_equals_list_item_loads_every_document(work):
    (work / "crd.yaml").write_text(CRD_WITH_EQUALS)
    result, errors = _load()
    assert errors == []
    assert _names(result) == ["after-crd", "fine", "rules.example.com"]
    crd = next(r for r in result.resources if r.kind == "CustomResourceDefinition")
    schema = crd.body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schema["properties"]["op"]["enum"] == ["=", "!=", "=~"]
    cm = next(r for r in result.resources if r.name == "after-crd")
    assert cm.body["data"] == {"enabled": True, "merge": "<<"}  # YAML 1.1 booleans as before


@pytest.mark.parametrize("line", ["FROM", "FROM --platform=linux/amd64"])
def test_dockerfile_from_without_an_image_is_an_error_with_its_line(work, line):
    (work / "Dockerfile").write_text(f"# base\n{line}\nRUN true\n")
    result, errors = _load()
    assert errors == [("in/Dockerfile", 2, "FROM without an image")]
    assert _names(result) == ["fine"]


def test_find_unsafe_reports_the_first_path():
    assert find_unsafe({"a": [1, {"b": 2**64}]}) == (
        "a[1].b",
        "integer of 20 digits is outside the 64-bit range the policy engine takes",
    )
    assert find_unsafe({"a": -(2**63) - 1}) is not None
    assert find_unsafe({"k\udc00": 1})[1].startswith("string holds a lone")  # type: ignore[index]
    assert find_unsafe({"a": [True, None, 1.5, "ok", 2**64 - 1]}) is None
