"""The one detector: names, references, known credential shapes, and the shapes fact."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.registry import collect_secrets
from compliance.secrets import SHAPES, find_shapes, looks_secret_name, shapes_of
from compliance.secrets.collect import add_with_decoded

EXAMPLES = {
    "aws-access-key-id": ["AKIAZ7Q3EXAMPLEKEY01", "ASIAZ7Q3EXAMPLEKEY01"],
    "github-token": [
        "ghp_" + "a1B2c3D4e5" * 4,
        "gho_" + "a1B2c3D4e5" * 4,
        "github_pat_" + "11ABCDEFG0_" * 4,
    ],
    "slack-token": ["xoxb-000000000000-fixture-example", "xoxp-1234567890-abcdefghij"],
    "stripe-key": ["sk_live_" + "a1B2c3D4" * 3, "rk_test_" + "a1B2c3D4" * 3],
    "gitlab-token": ["glpat-" + "Ab1_" * 6],
    "jwt": ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ"],
    "private-key": [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----",
    ],
    "url-credentials": ["postgres://u:Fixture-pw-1@db:5432/x", "mysql://root:pw12@db"],
}


def test_every_shape_has_examples_and_a_description() -> None:
    assert set(EXAMPLES) == set(SHAPES)
    assert all(SHAPES.values())


@pytest.mark.parametrize(("shape", "value"), [(s, v) for s, vs in EXAMPLES.items() for v in vs])
def test_each_known_shape_is_found_in_context(shape: str, value: str) -> None:
    assert shapes_of(value) == [shape]
    assert shapes_of(f"prefix {value} suffix") == [shape]
    spans = list(find_shapes(f"x={value}"))
    assert spans and spans[0][0] == shape


@pytest.mark.parametrize(
    "value",
    [
        "AKIA-not-a-key",
        "xAKIAZ7Q3EXAMPLEKEY01",  # inside a longer word
        "ghp_short",
        "postgres://u:${DB_PASSWORD}@db/x",  # a reference, not a password
        "postgres://u:$(cat /run/secrets/pw)@db/x",
        "https://user@example.com/",  # no password
        "mysql://root:{{ .Values.password }}@db",
        "https://example.com/a:b@c",  # ':' and '@' in the path, not in the authority
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----",
        "a plain configuration value",
    ],
)
def test_lookalikes_are_not_shapes(value: str) -> None:
    assert shapes_of(value) == []


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("api_key", True),
        ("GITHUB_TOKEN", True),
        ("secretName", False),
        ("PASSWORD_FILE", False),
        ("password_min_length", False),
        ("automountServiceAccountToken", False),
        ("image", False),
    ],
)
def test_secret_looking_names(name: str, secret: bool) -> None:
    assert looks_secret_name(name) is secret


def test_non_ascii_secret_data_is_kept_undecoded() -> None:
    """17.1: a value outside ASCII is not base64; collecting it never raises."""
    values: set[str] = set()
    add_with_decoded(values, "pässwörd", decode=True)
    assert values == {"pässwörd"}


def test_a_secret_with_non_ascii_data_loads_and_evaluates(tmp_path: Path) -> None:
    """17.1: one Secret whose ``data`` holds a non-ASCII character: the file loads, its
    value is still collected for redaction, nothing aborts."""
    (tmp_path / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
        'data:\n  pw: "pässwörd-Fixture"\n  ok: c2VjcmV0LXZhbHVl\n',
        encoding="utf-8",
    )
    loaded = load_paths([str(tmp_path)], LoadOptions(env={}))
    assert not loaded.errors
    (resource,) = loaded.resources
    values = set().union(*collect_secrets([resource]).values())
    assert {"pässwörd-Fixture", "c2VjcmV0LXZhbHVl", "secret-value"} <= values
    assert resource.facts["secret_shapes"] == []


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


AKIA = "AKIAZ7Q3EXAMPLEKEY03"
GH = "ghp_" + "Q9w8E7r6T5" * 4
SHAPED_INPUTS = {
    "k8s/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"
        f"data:\n  a: {AKIA}\n  url: postgres://app:Fixture-pw-9@db/x\n"
    ),
    "k8s/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
        "data:\n  gh: Z2hwX1E5dzhFN3I2VDVROXc4RTdyNlQ1UTl3OEU3cjZUNVE5dzhFN3I2VDU=\n"
    ),
    "compose.yaml": f"services:\n  web:\n    image: a:1\n    environment:\n      K: {GH}\n",
    "Dockerfile": f"FROM a:1\nENV K={AKIA}\n",
    "main.tf": f'resource "aws_instance" "w" {{\n  user_data = "export K={AKIA}"\n}}\n',
    "node.toml": f'[node]\nk = "{GH}"\n[security.tls_config]\nenabled = true\n',
}


def test_the_shapes_fact_names_paths_and_shapes_never_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, SHAPED_INPUTS)
    monkeypatch.chdir(tmp_path)
    loaded = load_paths(["."], LoadOptions(env={}))
    assert not loaded.errors, loaded.errors
    facts = {r.id: r.facts["secret_shapes"] for r in loaded.resources}
    got = {(rid, s["path"], s["shape"]) for rid, shapes in facts.items() for s in shapes}
    assert got == {
        ("k8s:v1/ConfigMap:n/c", "data.a", "aws-access-key-id"),
        ("k8s:v1/ConfigMap:n/c", "data.url", "url-credentials"),
        ("k8s:v1/Secret:n/s", "data.gh", "github-token"),
        ("compose:compose.yaml#web", "environment.K", "github-token"),
        ("dockerfile:Dockerfile", "instructions[1].value", "aws-access-key-id"),
        ("tf:aws_instance.w", "user_data", "aws-access-key-id"),
        ("config:node.toml", "node.k", "github-token"),
    }
    text = repr(facts)
    for value in (AKIA, GH, "Fixture-pw-9"):
        assert value not in text


def test_sec03_messages_never_carry_the_value(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from compliance.cli.main import cli

    _write(tmp_path, SHAPED_INPUTS)
    result = CliRunner().invoke(
        cli,
        ["evaluate", str(tmp_path), "--no-cache", "--format", "json", "--fail-on", "none"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    import json

    findings = [f for f in json.loads(result.stdout)["findings"] if f["check_id"] == "SEC-03"]
    assert len(findings) == 7
    for value in (AKIA, GH, "Fixture-pw-9"):
        assert value not in result.stdout


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "cm.json",
            '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"},'
            ' "data": {"k": "\\u0041KIAZ7Q3EXAMPLEKEY04"}}',
        ),
        (
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"
            'data:\n  k: "\\x41KIAZ7Q3EXAMPLEKEY04"\n',
        ),
    ],
)
def test_a_shape_spelled_with_escapes_is_found(
    name: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file-level prefilter never hides a shape that an escape sequence spells."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loaded = load_paths(["."], LoadOptions(env={}))
    (resource,) = loaded.resources
    assert [s["shape"] for s in resource.facts["secret_shapes"]] == ["aws-access-key-id"]
    from compliance.evidence.bundle import redact_inputs

    texts, _, _ = redact_inputs(loaded)
    assert "KIAZ7Q3EXAMPLEKEY04" not in texts[name]


def test_loaders_do_not_import_the_evidence_code() -> None:
    """The detector is shared, not borrowed: loading never imports compliance.evidence
    (once an import cycle, loaders.registry <-> evidence.redact)."""
    import subprocess
    import sys

    code = (
        "import sys, compliance.inputs.registry, compliance.inputs.k8s; "
        "print(sorted(m for m in sys.modules if m.startswith('compliance.evidence')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_admitted_object_is_judged_on_its_shapes_and_non_ascii_data() -> None:
    """Admission builds resources from AdmissionReview objects, not files: the shapes fact
    is set there too (SEC-03 judges it), and a Secret with non-ASCII data is decided (17.1)."""
    from compliance.runner import RunOptions
    from compliance.server.evaluators import build

    evaluators = build(RunOptions())
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "n"},
        "data": {"k": AKIA},
    }
    result = evaluators.admit(cm, "admission", {})
    assert [f.check_id for f in result.findings if f.check_id == "SEC-03"] == ["SEC-03"]
    assert AKIA not in " ".join(f.model_dump_json() for f in result.findings)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "n"},
        "data": {"pw": "pässwörd"},
    }
    decided = evaluators.admit(secret, "admission", {})
    assert not decided.errors


def test_sec03_sees_kinds_no_check_reads_cold_and_warm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ServiceMonitor (no check reads its kind, so it is not sent to the engine whole)
    that gains a token is a SEC-03 finding, with and without the cache."""
    import json

    from click.testing import CliRunner

    from compliance.cli.main import cli

    monkeypatch.chdir(tmp_path)
    sm = tmp_path / "in" / "sm.yaml"
    sm.parent.mkdir()
    text = (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: sm, namespace: n}\nspec:\n  endpoints:\n    - port: web\n"
    )
    sm.write_text(text)

    def sec03(*args: str) -> list[str]:
        result = CliRunner().invoke(
            cli,
            ["evaluate", "in", "--format", "json", "--fail-on", "none", *args],
            catch_exceptions=False,
        )
        findings = json.loads(result.stdout)["findings"]
        return [f["message"] for f in findings if f["check_id"] == "SEC-03"]

    assert sec03("--cache-dir", "c") == []
    sm.write_text(text + f"      bearerToken: {GH}\n")
    want = ["ServiceMonitor sm holds a GitHub token at spec.endpoints[0].bearerToken"]
    assert sec03("--cache-dir", "c") == want
    assert sec03("--no-cache") == want
