"""Planted secrets never leave the inputs: every output format, a signed bundle (every
member), a warm cached run, the cache folder's listing and the server's decision log are
written over inputs holding planted secrets, and each is searched for every value."""

from __future__ import annotations

import base64
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.formats import FORMATS
from tests.unit.evidence.planted import PLANTED, ROOT, SECRETS_DIR

SHAPED = {
    "AKIAZ7Q3PLANTEDKEY99": "aws",
    "ghp_PlantedGithubToken9876543210zyxwvuZYXW": "github",
    "xoxb-000000000000-planted-slack-token": "slack",
}
EXTRA = {
    "extra/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: shop}\ndata:\n"
        "  client_secret: |\n    Planted-block-line-8812\n    Planted-block-line-8813\n"
        "  note: AKIAZ7Q3PLANTEDKEY99\n"
        "  url: postgres://app:Planted-url-pw-5150@db:5432/x\n"
    ),
    "extra/deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
        "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n"
        '      {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},'
        '"stringData":{"token":"Planted-last-applied-7734"}}\n'
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n"
        "          image: shop/web:1.0.0\n          env:\n"
        "            - name: GH\n              value: ghp_PlantedGithubToken9876543210zyxwvuZYXW\n"
        "            - name: API_TOKEN\n              value: Planted-plain-first-6601\n"
        "                Planted-plain-continued-6602\n"
    ),
    "extra/node.toml": (
        '[node]\nadmin_token = """\nPlanted-toml-multi-4420\n"""\n'
        'hook = "xoxb-000000000000-planted-slack-token"\n[security.tls_config]\nenabled = true\n'
    ),
}
EVERY = sorted(
    set(PLANTED)
    | set(SHAPED)
    | {
        "Planted-block-line-8812",
        "Planted-block-line-8813",
        "Planted-url-pw-5150",
        "Planted-last-applied-7734",
        "Planted-plain-first-6601",
        "Planted-plain-continued-6602",
        "Planted-toml-multi-4420",
    }
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted")
    shutil.copytree(ROOT / SECRETS_DIR, root / "inputs")
    for rel, text in EXTRA.items():
        (root / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "inputs" / rel).write_text(text)
    CliRunner().invoke(
        cli, ["keys", "generate", "--out", str(root / "keys")], catch_exceptions=False
    )
    return root


def evaluate(project: Path, *args: str) -> str:
    result = CliRunner().invoke(
        cli,
        ["evaluate", "inputs", "--fail-on", "none", "--now", "2026-11-27T00:00:00Z", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def leaks(text: str) -> list[str]:
    found = [v for v in EVERY if v in text]
    found += [v for v in EVERY if base64.b64encode(v.encode()).decode() in text]
    return found


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_is_free_of_planted_values(
    project: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    out = project / f"report.{fmt}"
    evaluate(project, "--no-cache", "--format", fmt, "-o", str(out))
    text = out.read_text()
    assert text.strip()
    assert leaks(text) == []


def test_the_inputs_do_hold_the_planted_values(project: Path) -> None:
    text = "".join(p.read_text() for p in (project / "inputs").rglob("*") if p.is_file())
    assert not [
        v for v in EVERY if v not in text and base64.b64encode(v.encode()).decode() not in text
    ]


def test_every_bundle_member_is_free_of_planted_values(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    evaluate(
        project,
        "--no-cache",
        "--format",
        "json",
        "--bundle",
        "b.tar.gz",
        "--sign-key",
        str(project / "keys" / "signing.key"),
    )
    with tarfile.open(project / "b.tar.gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        assert any(m.name.startswith("inputs/") for m in members)
        for member in members:
            data = tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            assert leaks(data) == [], member.name


def test_a_warm_cached_run_and_the_cache_listing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm run answers from the cache (its JSON fast path checks the report's data);
    the cache folder's file names never hold a value (its contents hold the inputs' bodies,
    as the inputs do: it trusts its folder)."""
    monkeypatch.chdir(project)
    cache = project / "cache"
    cold = evaluate(project, "--cache-dir", str(cache), "--format", "json")
    warm = evaluate(project, "--cache-dir", str(cache), "--format", "json")
    assert leaks(cold) == [] and leaks(warm) == []
    listing = "\n".join(str(p.relative_to(cache)) for p in cache.rglob("*"))
    assert listing and leaks(listing) == []


def test_the_decision_log_is_free_of_planted_values(tmp_path: Path) -> None:
    from compliance.server.decisionlog import DecisionLog
    from tests.integration.server_harness import config, review, running

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shop-api", "namespace": "shop"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "shop/api:1.0.0",
                    "env": [
                        {"name": "DB_PASSWORD", "value": "Planted-k8s-env-9412"},
                        {"name": "GH", "value": "ghp_PlantedGithubToken9876543210zyxwvuZYXW"},
                    ],
                }
            ]
        },
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "stringData": {"password": "Planted-k8s-stringData-7731"},
        "data": {"key": base64.b64encode(b"Planted-k8s-data-Base64").decode()},
    }
    log = tmp_path / "decisions.jsonl"
    with running(config(decision_log=DecisionLog(log))) as client:
        for obj in (pod, secret):
            r = client.post("/v1/admission", json=review(obj))
            assert r.status_code == 200, r.text
            assert leaks(r.text) == []
    text = log.read_text()
    assert text.count("\n") >= 2
    assert leaks(text) == []
