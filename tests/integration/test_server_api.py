"""Auth, evaluation API, bundle downloads, metrics, limits and access logs on a real server."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from compliance.server.app import configure_access_log
from compliance.server.bundles import DirectoryBundles, Verification
from tests.integration.server_harness import (
    ADMIN_TOKEN,
    AUDITOR_TOKEN,
    POD,
    config,
    privileged_pod,
    review,
    running,
)
from tests.unit.loaders.test_confinement import write_cert

BUNDLE = b"\x1f\x8b\x08\x00 pretend gzip bytes of an evidence bundle"

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
AUDITOR = {"Authorization": f"Bearer {AUDITOR_TOKEN}"}


def _verifier(path: Path) -> Verification:
    ok = path.read_bytes() == BUNDLE
    return Verification(ok=ok, message="signature valid" if ok else "bundle bytes changed")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    (root / "bpi-2026-11-27.tar.gz").write_bytes(BUNDLE)
    (root / "tampered.tar.gz").write_bytes(BUNDLE + b"x")
    (root / "notes.txt").write_text("not a bundle")
    return root


@pytest.fixture(scope="module")
def access_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_access_log(stream)
    yield stream
    logging.getLogger("compliance.access").handlers.clear()


@pytest.fixture(scope="module")
def client(store: Path, access_lines: io.StringIO) -> Iterator[httpx.Client]:
    with running(config(bundles=DirectoryBundles(store, _verifier), max_body_bytes=64 * 1024)) as c:
        yield c


def test_health_and_readiness_need_no_token(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"


@pytest.mark.parametrize(
    "path", ["/v1/bundles", "/v1/bundles/bpi-2026-11-27", "/v1/bundles/bpi-2026-11-27/verify"]
)
def test_bundles_without_a_token_are_401(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {ADMIN_TOKEN}x",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        "Bearer",
        f"Basic {ADMIN_TOKEN}",
        ADMIN_TOKEN,
    ],
    ids=["extra-char", "truncated", "empty", "basic-scheme", "no-scheme"],
)
def test_wrong_tokens_are_401(client: httpx.Client, header: str) -> None:
    assert client.get("/v1/bundles", headers={"Authorization": header}).status_code == 401


def test_auditor_lists_downloads_and_verifies(client: httpx.Client) -> None:
    listing = client.get("/v1/bundles", headers=AUDITOR).json()["bundles"]
    assert [b["id"] for b in listing] == ["bpi-2026-11-27", "tampered"]
    assert listing[0]["sha256"] == hashlib.sha256(BUNDLE).hexdigest()
    assert listing[0]["size"] == len(BUNDLE)
    download = client.get("/v1/bundles/bpi-2026-11-27", headers=AUDITOR)
    assert download.status_code == 200
    assert download.content == BUNDLE
    assert download.headers["content-type"] == "application/gzip"
    good = client.get("/v1/bundles/bpi-2026-11-27/verify", headers=AUDITOR).json()
    assert good == {"id": "bpi-2026-11-27", "ok": True, "message": "signature valid"}
    bad = client.get("/v1/bundles/tampered/verify", headers=AUDITOR).json()
    assert bad["ok"] is False


@pytest.mark.parametrize("bundle_id", ["missing", "..%2Fetc%2Fpasswd", "notes", ".hidden"])
def test_unknown_or_unsafe_bundle_ids_are_404(client: httpx.Client, bundle_id: str) -> None:
    assert client.get(f"/v1/bundles/{bundle_id}", headers=ADMIN).status_code == 404


def test_auditor_may_not_evaluate(client: httpx.Client) -> None:
    r = client.post(
        "/v1/evaluate", json={"files": {"pod.yaml": "apiVersion: v1\nkind: Pod\n"}}, headers=AUDITOR
    )
    assert r.status_code == 403
    assert "auditor" in r.json()["error"]
    assert client.post("/v1/evaluate", json={"files": {}}).status_code == 401


def test_admin_evaluates_json_files(client: httpx.Client) -> None:
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: root-shell\n  namespace: shop\nspec:\n"
        "  containers:\n    - name: web\n      image: nginx:1.27\n      securityContext:\n"
        "        privileged: true\n"
    )
    r = client.post("/v1/evaluate", json={"files": {"k8s/pod.yaml": manifest}}, headers=ADMIN)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["schema_version"] == 1
    privileged = [f for f in report["findings"] if "runs privileged" in f["message"]]
    assert privileged and privileged[0]["file"] == "k8s/pod.yaml"
    assert privileged[0]["line"] >= 1
    assert "/tmp" not in r.text and "compliance-eval-" not in r.text


def test_admin_evaluates_multipart_uploads(client: httpx.Client) -> None:
    files = [
        ("files", ("Dockerfile", b"FROM python:3.12\nUSER root\n", "text/plain")),
        (
            "files",
            (
                "pod.yaml",
                b"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n",
                "text/yaml",
            ),
        ),
    ]
    r = client.post("/v1/evaluate", files=files, headers=ADMIN)
    assert r.status_code == 200, r.text
    report = r.json()
    assert {i["file"] for i in report["inputs"]} == {"Dockerfile", "pod.yaml"}
    assert any(f["file"] == "Dockerfile" for f in report["findings"])


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"files": {"../escape.yaml": "a: 1"}}, 400, "relative path"),
        ({"files": {"/etc/x.yaml": "a: 1"}}, 400, "relative path"),
        ({"files": {}}, 400, "no files"),
        ({"files": ["a"]}, 400, "expected"),
    ],
)
def test_evaluate_rejects_bad_uploads(
    client: httpx.Client, body: object, status: int, expected: str
) -> None:
    r = client.post("/v1/evaluate", json=body, headers=ADMIN)
    assert r.status_code == status
    assert expected in r.json()["error"]


def test_evaluate_reports_bad_input_by_file(client: httpx.Client) -> None:
    r = client.post("/v1/evaluate", json={"files": {"broken.yaml": "a: [1, 2\n"}}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["errors"][0]["file"] == "broken.yaml"


def test_evaluate_reads_named_files_only_from_the_upload(client: httpx.Client) -> None:
    """A SecurityConfig's cert_file resolves inside the uploaded set; a server file is
    never read, and whether one exists is not told (the same words either way)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_cert(Path(tmp) / "node.pem")
        cert_text = (Path(tmp) / "node.pem").read_text()

    def conf(cert_file: str) -> str:
        return f'[security.tls_config]\nenabled = true\ncert_file = "{cert_file}"\n'

    files = {
        "certs/node.pem": cert_text,
        "config/inside.toml": conf("../certs/node.pem"),
        "config/exists.toml": conf("/etc/passwd"),
        "config/missing.toml": conf("/etc/no-such-file-here"),
        "config/climb.toml": conf("../../../../../../etc/passwd"),
    }
    r = client.post("/v1/evaluate", json={"files": files}, headers=ADMIN)
    assert r.status_code == 200, r.text
    tls04 = {
        f["file"]: f["message"]
        for f in r.json()["findings"]
        if f["check_id"] == "TLS-04" and "could not be evaluated" in f["message"]
    }
    assert "config/inside.toml" not in tls04  # read from the upload: its expiry is known
    reasons = {
        file: message.split("(", 1)[1]
        for file, message in tls04.items()
        if file != "config/inside.toml"
    }
    assert set(reasons) == {"config/exists.toml", "config/missing.toml", "config/climb.toml"}
    assert set(reasons.values()) == {
        "cert_file lies outside the scanned folder, not read); its expiry is unknown"
    }
    assert "root:" not in r.text


def test_evaluate_skips_kustomize_patches_in_the_upload(client: httpx.Client) -> None:
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [deployment.yaml]\npatches:\n  - path: patch.yaml\n"
    )
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n"
    files = {"kustomization.yaml": kustomization, "patch.yaml": patch}
    r = client.post("/v1/evaluate", json={"files": files}, headers=ADMIN)
    assert r.status_code == 200, r.text
    report = r.json()
    skipped = {s["file"]: s["reason"] for s in report["skipped"]}
    assert skipped["patch.yaml"].startswith("kustomize patch of Deployment/web")
    assert [n["command"] for n in report["notices"]] == [
        "kustomize build . | compliance evaluate -"
    ]
    assert "compliance-eval-" not in r.text


def test_body_over_the_limit_is_413(client: httpx.Client) -> None:
    big = review(copy.deepcopy(POD))
    big["request"]["object"]["metadata"]["annotations"] = {"filler": "x" * (70 * 1024)}
    r = client.post("/v1/admission", json=big)
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(80):
            yield b" " * 1024

    r = client.post("/v1/admission", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_metrics_count_requests_and_decisions(client: httpx.Client) -> None:
    assert client.post("/v1/admission", json=review(POD)).json()["response"]["allowed"] is True
    assert (
        client.post("/v1/admission", json=review(privileged_pod())).json()["response"]["allowed"]
        is False
    )
    assert client.post("/v1/admission", content=b"nope").status_code == 400
    text = client.get("/metrics").text
    assert 'compliance_admission_decisions_total{result="deny"}' in text
    assert 'compliance_admission_decisions_total{result="allow"}' in text or (
        'compliance_admission_decisions_total{result="warn"}' in text
    )
    assert 'compliance_http_requests_total{code="400",path="/v1/admission"}' in text
    assert (
        'compliance_http_request_duration_seconds_bucket{le="0.025",path="/v1/admission"}' in text
    )
    assert "bpi-2026-11-27" not in text  # ids never become label values


def test_access_log_is_json_without_secrets(
    client: httpx.Client, access_lines: io.StringIO
) -> None:
    import json

    client.get("/v1/bundles", headers=ADMIN)
    client.post("/v1/admission", json=review(privileged_pod()))
    lines = [json.loads(line) for line in access_lines.getvalue().splitlines()]
    listing = [entry for entry in lines if entry["route"] == "/v1/bundles"]
    assert listing and listing[-1]["principal"] == "ops" and listing[-1]["status"] == 200
    text = access_lines.getvalue()
    assert ADMIN_TOKEN not in text and AUDITOR_TOKEN not in text
    assert "root-shell" not in text  # no object bodies


def test_no_store_configured_is_503() -> None:
    with running(config()) as c:
        assert c.get("/v1/bundles", headers=AUDITOR).status_code == 503


def test_real_evidence_store_lists_downloads_and_verifies_signed_bundles(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from compliance.evidence.bundle import build_bundle
    from compliance.evidence.store import Store
    from compliance.inputs import load_paths
    from compliance.runner import RunOptions, build_evaluator
    from compliance.server.bundles import StoreBundles

    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: []}\n"
    )
    loaded = load_paths([str(manifest)])
    report = build_evaluator(RunOptions()).evaluate(loaded.resources, inputs=loaded.inputs)
    key = Ed25519PrivateKey.generate()
    entry = Store(tmp_path / "store").add(build_bundle(report, loaded, key))
    stored = (tmp_path / "store" / entry["file"]).read_bytes()
    other = Ed25519PrivateKey.generate().public_key()
    with running(config(bundles=StoreBundles(tmp_path / "store", key.public_key()))) as c:
        listing = c.get("/v1/bundles", headers=AUDITOR).json()["bundles"]
        assert [(b["id"], b["sha256"]) for b in listing] == [(entry["id"], entry["sha256"])]
        assert c.get(f"/v1/bundles/{entry['id']}", headers=AUDITOR).content == stored
        verified = c.get(f"/v1/bundles/{entry['id']}/verify", headers=AUDITOR).json()
        assert verified["ok"] is True
        assert any("signature" in line for line in verified["checked"])
        (tmp_path / "store" / entry["file"]).write_bytes(stored[:-8] + b"tampered")
        assert c.get(f"/v1/bundles/{entry['id']}/verify", headers=AUDITOR).json()["ok"] is False
    (tmp_path / "store" / entry["file"]).write_bytes(stored)
    with running(config(bundles=StoreBundles(tmp_path / "store", other))) as c:
        wrong_key = c.get(f"/v1/bundles/{entry['id']}/verify", headers=AUDITOR).json()
        assert wrong_key["ok"] is False


def test_evaluate_scrubs_secret_values_like_the_cli(client: httpx.Client) -> None:
    """/v1/evaluate's report is scrubbed of the inputs' secret values, as every report of
    `compliance evaluate` is; identifiers are not rewritten: a ConfigMap named after a
    planted env secret keeps its name (it is the object's name, shown as loaded)."""
    from tests.unit.evidence.planted import PLANTED, ROOT, SECRETS_DIR

    files = {
        p.name: p.read_text()
        for p in sorted((ROOT / SECRETS_DIR).rglob("*"))
        if p.is_file() and p.name != "plan.json"
    }
    name = "Planted-k8s-env-9412"
    files["cm.yaml"] = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: t}}\n"
        "data: {API_KEY: not-a-reference-value}\n"
    )
    r = client.post("/v1/evaluate", json={"files": files}, headers=ADMIN)
    assert r.status_code == 200, r.text
    messages = [f["message"] for f in r.json()["findings"]]
    assert any(m.startswith(f"ConfigMap {name} ") for m in messages), messages
    assert "not-a-reference-value" not in r.text
    for planted in PLANTED:
        if planted != name:
            assert planted not in r.text, planted


def test_evaluate_answers_the_report_compliance_evaluate_writes(
    client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/v1/evaluate runs the pipeline of `compliance evaluate`: for the same files (findings,
    a secret value to scrub, an input that fails to load) the same report, but its time."""
    from click.testing import CliRunner

    from compliance.cli.main import cli

    files = {
        "k8s/pod.yaml": (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: root-shell, namespace: shop}\nspec:\n"
            "  containers:\n    - name: web\n      image: nginx:1.27\n"
            "      env: [{name: DB_PASSWORD, value: hunter2-planted-value}]\n"
            "      securityContext: {privileged: true}\n"
        ),
        "Dockerfile": "FROM python:3.12\nUSER root\nENV API_TOKEN=ghp_plantedTokenValue123\n",
        "infra/main.tf": (
            'resource "aws_s3_bucket" "logs" {\n  bucket = "shop-logs"\n}\n'
            'resource "aws_db_instance" "db" {\n  password = "tf-planted-secret-77"\n}\n'
        ),
        "broken.yaml": "a: [1, 2\n",
    }
    r = client.post("/v1/evaluate", json={"files": files}, headers=ADMIN)
    assert r.status_code == 200, r.text
    served = r.json()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    cli_run = CliRunner().invoke(
        cli, ["evaluate", "--format", "json", "--no-cache", *sorted(files)], catch_exceptions=False
    )
    assert cli_run.exit_code == 3, cli_run.output  # the broken input
    written = json.loads(cli_run.stdout)
    assert served["findings"] and served["errors"]
    assert "hunter2-planted-value" not in r.text and "tf-planted-secret-77" not in r.text
    served.pop("evaluated_at"), written.pop("evaluated_at")
    for i, (a, b) in enumerate(zip(served["findings"], written["findings"], strict=True)):
        assert a == b, i
    assert served == written
