"""17.4: secret values that span lines are masked on their source span in a bundle's
``inputs/`` copies, for every format, and the copies keep their line counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.evidence.bundle import redact_inputs
from compliance.inputs import LoadOptions, load_paths
from compliance.secrets.detect import MASK

CASES: dict[str, tuple[str, str, list[str], list[str]]] = {
    # name: (file, text, fragments that must be gone, lines that must stay)
    "yaml-block-scalar-outside-a-secret": (
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata:\n"
        "  client_secret: |\n    Fixture-block-line-one\n    Fixture-block-line-two\n"
        "  mode: strict\n",
        ["Fixture-block-line-one", "Fixture-block-line-two"],
        ["  mode: strict"],
    ),
    "compose-folded-scalar-under-a-password": (
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_PASSWORD: >-\n        Fixture-folded-one\n        Fixture-folded-two\n"
        "      POSTGRES_DB: shop\n",
        ["Fixture-folded-one", "Fixture-folded-two"],
        ["      POSTGRES_DB: shop"],
    ),
    "terraform-user-data-script-keeps-its-other-lines": (
        "ec2.tf",
        'resource "aws_instance" "web" {\n  ami = "ami-1"\n  user_data = <<EOF\n#! /bin/bash\n'
        "sudo apt-get update\nexport AWS_ACCESS_KEY_ID=AKIAFIXTUREKEY00AAAA\n"
        "export AWS_SECRET_ACCESS_KEY=Fixture/secret+access+key+0000000000000\n"
        "export AWS_DEFAULT_REGION=us-west-2\nEOF\n}\n",
        ["AKIAFIXTUREKEY00AAAA", "Fixture/secret+access+key+0000000000000"],
        ["sudo apt-get update", "export AWS_DEFAULT_REGION=us-west-2", "#! /bin/bash"],
    ),
    "yaml-script-holding-a-token-and-a-key-keeps-its-other-lines": (
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata:\n"
        "  setup.sh: |\n    #!/bin/sh\n"
        '    curl -H "Authorization: token ghp_Fixture0123456789abcdefghijABCDEFGH" https://x\n'
        "    cat > key.pem <<K\n    -----BEGIN RSA PRIVATE KEY-----\n"
        "    MIIEFixtureKeyMaterial\n    -----END RSA PRIVATE KEY-----\n    K\n    echo done\n",
        ["ghp_Fixture0123456789abcdefghijABCDEFGH", "MIIEFixtureKeyMaterial"],
        ["    #!/bin/sh", "    cat > key.pem <<K", "    echo done"],
    ),
    "yaml-plain-value-continued": (
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata:\n"
        "  api_token: Fixture-plain-first\n    Fixture-plain-continued\n  level: info\n",
        ["Fixture-plain-first", "Fixture-plain-continued"],
        ["  level: info"],
    ),
    "env-item-value-block": (
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n"
        "    - name: app\n      image: a:1\n      env:\n        - name: SIGNING_KEY\n"
        "          value: |\n            Fixture-env-block-one\n            Fixture-env-block-two\n"
        "        - name: LOG_LEVEL\n          value: info\n",
        ["Fixture-env-block-one", "Fixture-env-block-two"],
        ["          value: info"],
    ),
    "toml-basic-multiline": (
        "node.toml",
        '[node]\nadmin_token = """\nFixture-toml-basic-one\nFixture-toml-basic-two"""\n'
        'name = "core"\n[security.tls_config]\nenabled = true\n',
        ["Fixture-toml-basic-one", "Fixture-toml-basic-two"],
        ['name = "core"'],
    ),
    "toml-literal-multiline": (
        "node.toml",
        "[node]\nrecovery_secret = '''\nFixture-toml-literal-one\nFixture-toml-literal-two\n'''\n"
        'name = "core"\n[security.tls_config]\nenabled = true\n',
        ["Fixture-toml-literal-one", "Fixture-toml-literal-two"],
        ['name = "core"'],
    ),
    "dockerfile-continued-value": (
        "Dockerfile",
        'FROM a:1\nENV DB_PASSWORD="Fixture-docker-one \\\n    Fixture-docker-two" \\\n'
        "    MODE=strict\nARG API_TOKEN=Fixture-arg-one\\\nFixture-arg-two\nUSER 10001\n",
        ["Fixture-docker-one", "Fixture-docker-two", "Fixture-arg-one", "Fixture-arg-two"],
        ["    MODE=strict", "USER 10001"],
    ),
    "terraform-heredoc": (
        "main.tf",
        'resource "aws_secretsmanager_secret_version" "v" {\n  secret_id = "x"\n'
        "  secret_string = <<EOT\nFixture-heredoc-one\nFixture-heredoc-two\nEOT\n}\n",
        ["Fixture-heredoc-one", "Fixture-heredoc-two"],
        ['  secret_id = "x"'],
    ),
}


def _last_applied(secret_value: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "n"},
            "stringData": {"token": secret_value},
            "data": {"pw": "Rml4dHVyZS1sYXN0LWFwcGxpZWQtYjY0"},
        },
        separators=(",", ":"),
    )


CASES["last-applied-in-yaml"] = (
    "deploy.yaml",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: n\n"
    "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n"
    f"      {_last_applied('Fixture-last-applied-token')}\nspec:\n  replicas: 1\n",
    ["Fixture-last-applied-token", "Rml4dHVyZS1sYXN0LWFwcGxpZWQtYjY0", "Fixture-last-applied-b64"],
    ["  replicas: 1"],
)
CASES["last-applied-in-json"] = (
    "deploy.json",
    json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "d",
                "namespace": "n",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": _last_applied(
                        "Fixture-last-applied-json"
                    )
                },
            },
            "spec": {"replicas": 1},
        },
        indent=2,
    )
    + "\n",
    ["Fixture-last-applied-json", "Rml4dHVyZS1sYXN0LWFwcGxpZWQtYjY0"],
    ['    "replicas": 1'],
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_multi_line_secret_values_are_masked_on_their_span(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, text, gone, kept = CASES[case]
    (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loaded = load_paths(["."], LoadOptions(env={}))
    assert not loaded.errors, loaded.errors
    texts, changed, _ = redact_inputs(loaded)
    out = texts[name]
    for fragment in gone:
        assert fragment not in out, (fragment, out)
    for line in kept:
        assert line in out.split("\n"), (line, out)
    assert out.count("\n") == text.count("\n")
    assert MASK in out and changed[name] > 0


def test_a_masked_yaml_copy_still_parses() -> None:
    from compliance.inputs.yamlutil import load_documents
    from compliance.secrets.spans import mask_spans

    _, text, _, _ = CASES["yaml-block-scalar-outside-a-secret"]
    masked = mask_spans(text, "cm.yaml", set())
    (doc,) = load_documents(masked)
    assert doc.value["data"]["mode"] == "strict"
    assert "Fixture" not in json.dumps(doc.value)


def test_values_that_only_share_a_line_with_a_secret_are_kept() -> None:
    from compliance.secrets.spans import mask_spans

    text = "a: {password: Fixture-flow-pw, user: admin}\nb: keep-me\n"
    out = mask_spans(text, "x.yaml", set())
    assert "Fixture-flow-pw" not in out
    assert "user: admin" in out and "b: keep-me" in out
