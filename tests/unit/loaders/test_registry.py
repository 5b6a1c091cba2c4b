from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from compliance.inputs import FORMATS, LoadOptions, load_paths, load_stream
from compliance.inputs.registry import kind_by_name
from compliance.model.notes import Skipped

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "bpi"
OPTS = LoadOptions(env={})


def _errors(result):
    return [(e.file, e.line, e.message) for e in result.errors]


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    return tmp_path / "in"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Dockerfile", "dockerfile"),
        ("api.Dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("compose.yaml", "compose"),
        ("docker-compose.override.yml", "compose"),
        ("main.tf", "terraform"),
        ("node.toml", "securityconfig"),
        ("deploy.YAML", "yaml"),
        ("plan.json", "yaml"),
        ("README.md", None),
        ("main.tf.bak", None),
    ],
)
def test_kind_by_name(name, kind):
    assert kind_by_name(name) == kind


def test_formats_list_every_loader():
    assert set(FORMATS) == {"k8s", "dockerfile", "compose", "terraform", "securityconfig"}


def test_k8s_multi_doc_and_list(work, fixtures):
    shutil.copy(fixtures / "k8s-multi.yaml", work / "app.yaml")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == []
    assert [(r.id, r.source.file, r.source.line) for r in result.resources] == [
        ("k8s:v1/Namespace:demo", "in/app.yaml", 1),
        ("k8s:v1/ConfigMap:demo/cm", "in/app.yaml", 11),
        ("k8s:apps/v1/Deployment:demo/web", "in/app.yaml", 18),
    ]
    deploy = result.resources[2]
    assert deploy.namespace == "demo"
    assert deploy.line_for("spec.template.spec.containers[0].image") == 28
    assert deploy.line_for("spec.template.spec.containers[0].securityContext") == 27
    assert deploy.facts["containers"][0]["image"] == "nginx:1.27"
    assert result.resources[0].namespace is None
    (ref,) = result.inputs
    assert (ref.file, ref.format, ref.resources) == ("in/app.yaml", "k8s", 3)


def test_examples_load_without_errors(monkeypatch):
    monkeypatch.chdir(EXAMPLES.parent.parent)
    result = load_paths(["examples/bpi"], OPTS)
    assert _errors(result) == []
    kinds = {r.kind for r in result.resources}
    assert {
        "StatefulSet",
        "Deployment",
        "Ingress",
        "ClusterRoleBinding",
        "NetworkPolicy",
        "Dockerfile",
        "ComposeService",
        "aws_security_group",
        "aws_db_instance",
        "SecurityConfig",
    } <= kinds
    assert len({r.id for r in result.resources}) == len(result.resources)
    configs = {r.name: r for r in result.resources if r.kind == "SecurityConfig"}
    assert configs["node"].facts["certificate"]["key_type"] == "RSA"
    assert configs["node"].facts["certificate"]["self_signed"] is True
    assert configs["enterprise"].facts["certificate"]["curve"] == "secp256r1"
    assert configs["enterprise"].facts["certificate"]["self_signed"] is False
    assert {s.file for s in result.skipped} == {
        "examples/bpi/README.md",
        "examples/bpi/config/certs/ca.pem",
        "examples/bpi/config/certs/enterprise.pem",
        "examples/bpi/config/certs/node.pem",
    }


def test_one_bad_file_does_not_stop_others(work):
    (work / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    (work / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [\n")
    (work / "c.tf").write_text('resource "aws_s3_bucket" "c" {\n  bucket = "c"\n}\n')
    result = load_paths(["in"], OPTS)
    assert [r.id for r in result.resources] == ["k8s:v1/ConfigMap:a", "tf:aws_s3_bucket.c"]
    assert len(result.errors) == 1
    assert result.errors[0].file == "in/b.yaml"
    assert result.errors[0].line == 5
    assert result.errors[0].message.startswith("invalid YAML")
    assert [i.file for i in result.inputs] == ["in/a.yaml", "in/c.tf"]


def test_one_bad_document_keeps_the_others(work):
    (work / "m.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"
    )
    result = load_paths(["in"], OPTS)
    assert [r.id for r in result.resources] == ["k8s:v1/ConfigMap:ok"]
    assert _errors(result) == [("in/m.yaml", 1, "ConfigMap without metadata.name")]


def test_bad_list_item(work):
    (work / "l.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n  - just a string\n")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == [("in/l.yaml", 4, "List item 0 is not a Kubernetes object")]


def test_duplicate_keys(work):
    (work / "d.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
    )
    (work / "d.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret"}')
    result = load_paths(["in"], OPTS)
    assert sorted(_errors(result)) == [
        ("in/d.json", None, "invalid JSON: duplicate key 'kind'"),
        ("in/d.yaml", 5, "duplicate key 'name'"),
    ]


def test_alias_bomb_is_an_error(work):
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 10):
        text += f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    (work / "bomb.yaml").write_text(text)
    result = load_paths(["in"], OPTS)
    assert len(result.errors) == 1
    assert "alias bomb" in result.errors[0].message


@pytest.mark.parametrize(
    ("name", "text", "line", "prefix"),
    [
        ("bad.yaml", "a: 1\n b: 2\n", 2, "invalid YAML"),
        ("bad.json", '{\n  "a": 1,\n}\n', 3, "invalid JSON"),
        ("bad.toml", "[security]\nenabled = \n", 2, "invalid TOML"),
        ("bad.tf", 'resource "a" "b" {\n  x = \n}\n', 2, "invalid HCL"),
        ("compose.yaml", "services:\n  a: [\n", 3, "invalid YAML"),
    ],
)
def test_malformed_inputs_report_line(work, name, text, line, prefix):
    (work / name).write_text(text)
    result = load_paths(["in"], OPTS)
    ((file, got_line, message),) = _errors(result)
    assert (file, got_line) == (f"in/{name}", line)
    assert message.startswith(prefix)
    assert result.resources == []


def test_json_k8s_and_plan(work, fixtures):
    (work / "cm.json").write_text(
        json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}, indent="\t"
        )
    )
    shutil.copy(fixtures / "plan.json", work / "plan.json")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == []
    assert [r.id for r in result.resources] == [
        "k8s:v1/ConfigMap:j",
        "tf:aws_security_group.web",
        "tf:data.aws_ami.debian",
        "tf:module.db.aws_db_instance.main",
    ]
    assert [(i.file, i.format) for i in result.inputs] == [
        ("in/cm.json", "k8s"),
        ("in/plan.json", "terraform"),
    ]


def test_non_utf8(work):
    (work / "x.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == [("in/x.yaml", 2, "not valid UTF-8 (byte 0xe9)")]


def test_binary_file(work):
    (work / "Dockerfile").write_bytes(b"FROM x\n\x00\x01\x02")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == [
        ("in/Dockerfile", None, "binary file (NUL bytes), not a configuration file")
    ]


def test_utf8_bom_is_accepted(work):
    (work / "Dockerfile").write_bytes("\ufeffFROM alpine:3.20\n".encode())
    result = load_paths(["in"], OPTS)
    assert _errors(result) == []
    assert result.resources[0].facts["base_images"][0]["tag"] == "3.20"


def test_over_large_file(work):
    (work / "big.yaml").write_text("a: " + "x" * 200 + "\n")
    (work / "small.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: s\n")
    result = load_paths(["in"], LoadOptions(env={}, max_file_bytes=100))
    assert _errors(result) == [("in/big.yaml", None, "file is 204 bytes, over the 100-byte limit")]
    assert [r.id for r in result.resources] == ["k8s:v1/Namespace:s"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlinks(work, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: outside\n")
    (work / "inside.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: inside\n"
    )
    (work / "escape.yaml").symlink_to(outside)
    (work / "alias.yaml").symlink_to(work / "inside.yaml")
    (work / "dir").symlink_to(tmp_path)
    (work / "sub").mkdir()
    (work / "sublink").symlink_to(work / "sub")
    (work / "dangling.yaml").symlink_to(tmp_path / "nope.yaml")
    (work / "loop.yaml").symlink_to(work / "loop.yaml")
    result = load_paths(["in"], OPTS)
    errors = {e.file: e.message for e in result.errors}
    assert errors["in/escape.yaml"].startswith("symlink leaves the scanned root")
    assert errors["in/dangling.yaml"] == "dangling symlink"
    assert errors["in/loop.yaml"] in {"symlink loop", "dangling symlink"}
    assert errors["in/dir"].startswith("symlink leaves the scanned root")
    assert Skipped("in/sublink", "symlink to a directory (not followed)") in result.skipped
    assert sorted(r.source.file for r in result.resources) == ["in/alias.yaml", "in/inside.yaml"]


def test_explicit_unrecognised_file(work):
    (work / "notes.txt").write_text("just some text\n")
    (work / "other.yaml").write_text("foo: bar\n")
    result = load_paths(["in/notes.txt", "in/other.yaml"], OPTS)
    assert _errors(result) == [
        (
            "in/notes.txt",
            1,
            "not a recognised input: expected a Kubernetes object (apiVersion, kind) "
            "or a SecurityConfig (security table)",
        ),
        (
            "in/other.yaml",
            1,
            "not a recognised input: expected a Kubernetes object (apiVersion, kind) "
            "or a SecurityConfig (security table)",
        ),
    ]
    assert result.inputs == []


def test_explicit_empty_file_is_an_error(work):
    (work / "empty.yaml").write_text("# nothing\n")
    result = load_paths(["in/empty.yaml"], OPTS)
    assert _errors(result) == [("in/empty.yaml", None, "empty file: no YAML/JSON documents")]


def test_unrecognised_files_in_a_folder_are_skipped_with_reason(work):
    (work / "README.md").write_text("# hi\n")
    (work / "values.yaml").write_text("replicas: 3\n")
    (work / "empty.yaml").write_text("")
    (work / "Cargo.toml").write_text('[package]\nname = "x"\n')
    (work / ".git").mkdir()
    (work / ".git" / "config.yaml").write_text("apiVersion: v1\n")
    result = load_paths(["in"], OPTS)
    assert result.errors == []
    assert result.resources == []
    assert result.skipped == [
        Skipped("in/Cargo.toml", "TOML without a [security] table"),
        Skipped("in/README.md", "not a recognised input kind"),
        Skipped("in/empty.yaml", "empty file"),
        Skipped("in/values.yaml", "YAML/JSON without Kubernetes objects or a SecurityConfig"),
    ]


def test_missing_path():
    result = load_paths(["does/not/exist"], OPTS)
    assert _errors(result) == [("does/not/exist", None, "no such file or directory")]


def test_yaml_securityconfig_and_compose_by_name(work, fixtures):
    shutil.copy(fixtures / "config.yaml", work / "config.yaml")
    shutil.copy(fixtures / "compose.yaml", work / "compose.yaml")
    result = load_paths(["in"], OPTS)
    assert _errors(result) == []
    assert [r.id for r in result.resources] == [
        "compose:in/compose.yaml#web",
        "compose:in/compose.yaml#db",
        "compose:in/compose.yaml#worker",
        "config:in/config.yaml",
    ]


def test_texts_and_digests(work):
    (work / "Dockerfile").write_text("FROM alpine\n")
    result = load_paths(["in"], OPTS)
    assert result.texts == {"in/Dockerfile": "FROM alpine\n"}
    assert result.inputs[0].sha256 == hashlib.sha256(b"FROM alpine\n").hexdigest()


def test_load_stream():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"
    result = load_stream(text, options=OPTS)
    assert [(r.id, r.source.file, r.source.line) for r in result.resources] == [
        ("k8s:v1/Namespace:a", "-", 1),
        ("k8s:v1/Namespace:b", "-", 6),
    ]
