"""``evaluate --ledger`` and ``compliance ledger runs/show/verify`` end to end (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from compliance.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.fixture
def bpi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/bpi in a temporary directory (the current directory)."""
    shutil.copytree(ROOT / "examples" / "bpi", tmp_path / "bpi")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "bpi"


def fix_ssh(bpi: Path) -> None:
    node = bpi / "config" / "node.toml"
    text = node.read_text()
    head, sep, tail = text.partition('name = "ssh"')
    node.write_text(
        head + sep + tail.replace('sources = ["0.0.0.0/0"]', 'sources = ["10.20.0.0/16"]', 1)
    )


def evaluate(bpi: Path, day: str, *extra: str, env: dict[str, str] | None = None) -> Result:
    result = run(
        "evaluate",
        str(bpi),
        "--format",
        "json",
        "-o",
        "report.json",
        "--fail-on",
        "none",
        "--no-cache",
        "--now",
        f"{day}T08:00:00Z",
        *extra,
        env=env,
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_three_days_with_a_fix_recorded_listed_shown_verified(bpi: Path, url: str) -> None:
    evaluate(bpi, "2026-11-01", "--ledger", url, "--scope", "prod")
    fix_ssh(bpi)
    evaluate(bpi, "2026-11-02", "--ledger", url, "--scope", "prod")
    evaluate(bpi, "2026-11-03", "--ledger", url, "--scope", "staging")
    listed = run("ledger", "runs", "--ledger", url, "--scope", "prod", "--json")
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.output)
    assert [(r["id"], r["at"]) for r in runs] == [
        ("run-1", "2026-11-01T08:00:00Z"),
        ("run-2", "2026-11-02T08:00:00Z"),
    ]
    assert runs[0]["findings"] == runs[1]["findings"] + 1
    window = json.loads(
        run(
            "ledger",
            "runs",
            "--ledger",
            url,
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--json",
        ).output
    )
    assert [r["id"] for r in window] == ["run-2", "run-3"]
    shown = run("ledger", "show", "run-1", "--ledger", url, "--full")
    data = json.loads(shown.output)
    assert any(f["check_id"] == "NET-02" and f["line"] == 40 for f in data["findings"])
    assert data["body"]["summary"]["findings"] == runs[0]["findings"]
    verified = run("ledger", "verify", "--ledger", url)
    assert verified.exit_code == 0, verified.output
    assert "3 rows (3 runs, 0 decisions), chain intact" in verified.output


def test_defaults_from_environment_and_project_file(bpi: Path, tmp_path: Path) -> None:
    env_url = f"sqlite:///{tmp_path / 'env.db'}"
    evaluate(bpi, "2026-11-01", env={"COMPLIANCE_LEDGER": env_url})
    (tmp_path / "compliance.yaml").write_text(
        f"ledger: sqlite:///{tmp_path / 'file.db'}\nscope: team-a\n"
    )
    evaluate(bpi, "2026-11-02", env={"COMPLIANCE_LEDGER": ""})
    env_runs = json.loads(run("ledger", "runs", "--ledger", env_url, "--json").output)
    file_runs = json.loads(run("ledger", "runs", "--json", env={"COMPLIANCE_LEDGER": ""}).output)
    assert [(r["scope"], r["at"][:10]) for r in env_runs] == [("default", "2026-11-01")]
    assert [(r["scope"], r["at"][:10]) for r in file_runs] == [("team-a", "2026-11-02")]


def test_a_signed_bundle_run_records_the_bundle_and_the_signer(bpi: Path, tmp_path: Path) -> None:
    assert run("keys", "generate", "--out", "keys").exit_code == 0
    url = f"sqlite:///{tmp_path / 'l.db'}"
    evaluate(
        bpi, "2026-11-01", "--ledger", url, "--bundle", "b.tar.gz", "--sign-key", "keys/signing.key"
    )
    body = json.loads(run("ledger", "show", "1", "--ledger", url).output)["body"]
    import hashlib

    assert body["bundle"] == {
        "sha256": hashlib.sha256(Path("b.tar.gz").read_bytes()).hexdigest(),
        "path": "b.tar.gz",
    }
    assert body["signer"]["keyid"]
    ok = run("ledger", "verify", "--ledger", url, "--key", "keys/signing.pub")
    assert ok.exit_code == 0 and "1 runs signed and verified; 1 bundles match" in ok.output
    Path("b.tar.gz").write_bytes(b"replaced")
    bad = run("ledger", "verify", "--ledger", url)
    assert bad.exit_code == 4 and "bundle b.tar.gz has sha256" in bad.output


def test_bad_ledger_url_is_a_usage_error_before_evaluating(bpi: Path) -> None:
    result = run(
        "evaluate", str(bpi), "--no-cache", "--format", "json", "--ledger", "mysql://u:secret@h/db"
    )
    assert result.exit_code == 2
    assert "unsupported ledger URL 'mysql://u:***@h/db'" in result.output
    assert "secret" not in result.output and "schema_version" not in result.output
    down = run("ledger", "runs", "--ledger", "postgresql://u:secret@127.0.0.1:1/db")
    assert (
        down.exit_code == 2
        and "cannot open ledger postgresql://u:***@127.0.0.1:1/db" in down.output
    )
    assert "secret" not in down.output


def test_sample_sizes_from_the_project_file(bpi: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    evaluate(bpi, "2026-11-01", "--ledger", url)
    Path("compliance.yaml").write_text("sample:\n  sizes: '1-1000:all'\n")
    p = json.loads(
        run(
            "report", "period", "--ledger", url, "--from", "2026-11-01", "--to", "2026-11-01"
        ).output
    )
    assert p["sample"]["sizes"] == "1-1000:all"
    assert all(c["size"] == c["population"] for c in p["sample"]["controls"])
    Path("compliance.yaml").write_text("sample:\n  sizes: 'lots'\n")
    bad = run("report", "period", "--ledger", url, "--from", "2026-11-01", "--to", "2026-11-01")
    assert bad.exit_code == 2 and "sample.sizes 'lots'" in bad.output


def test_period_report_over_three_days_with_a_signed_bundle(bpi: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    evaluate(bpi, "2026-11-01", "--ledger", url)
    fix_ssh(bpi)
    evaluate(bpi, "2026-11-02", "--ledger", url)
    evaluate(bpi, "2026-11-04", "--ledger", url)
    assert run("keys", "generate", "--out", "keys").exit_code == 0
    result = run(
        "report",
        "period",
        "--ledger",
        url,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-04",
        "--now",
        "2026-12-01T00:00:00Z",
        "-o",
        "period.json",
        "--bundle",
        "period.tar.gz",
        "--sign-key",
        "keys/signing.key",
        "--sample-seed",
        "3",
    )
    assert result.exit_code == 0, result.output
    p = json.loads(Path("period.json").read_text())
    assert p["days_without_runs"] == ["2026-11-03"]
    ssh = [f for f in p["findings"] if f["check_id"] == "NET-02" and "ssh" in f["message"]]
    assert (
        len(ssh) == 1 and ssh[0]["fixed_at"] == "2026-11-02T08:00:00Z" and ssh[0]["days_open"] == 1
    )
    assert p["population"]["reconciled"] and p["sample"]["seed"] == 3
    verified = run("evidence", "verify", "period.tar.gz", "--key", "keys/signing.pub")
    assert verified.exit_code == 0, verified.output
    for fmt in ("markdown", "csv", "html", "oscal"):
        out = run(
            "report",
            "period",
            "--ledger",
            url,
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-04",
            "--format",
            fmt,
        )
        assert out.exit_code == 0 and out.output
    bad = run("report", "period", "--ledger", url, "--from", "2026-11-01", "--to", "nope")
    assert bad.exit_code == 2 and "--to 'nope' is not a date" in bad.output
