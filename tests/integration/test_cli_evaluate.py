"""``compliance evaluate`` through click's CliRunner: formats, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
BPI = "examples/bpi"
NOW = ["--now", "2026-11-27T00:00:00Z"]

PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: t}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""


@pytest.fixture(autouse=True)
def _in_repo_root(examples_cwd: Path) -> None:
    """``examples/bpi`` as from the checkout; the cache lands in a tmp folder."""


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["evaluate", *args], input=input, catch_exceptions=False)


def test_json_report_matches_the_contract() -> None:
    result = run(BPI, "--format", "json", *NOW)
    assert result.exit_code == 1, result.output  # the example has high findings
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert {p["name"] for p in report["packs"]} == {"soc2", "iso27001", "gdpr", "hipaa"}
    for pack in report["packs"]:
        assert pack["digest"].startswith("sha256:") and len(pack["digest"]) == 71
        assert pack["version"]
    assert report["errors"] == []
    assert report["summary"]["resources"] > 10
    assert report["findings"], "the BPI example has deliberate gaps"
    for f in report["findings"]:
        assert {
            "check_id",
            "severity",
            "status",
            "message",
            "file",
            "line",
            "resource",
            "controls",
        } <= f.keys()
        assert set(f["resource"]) == {"id", "kind", "name", "namespace"}
        assert f["file"].startswith("examples/bpi/")
        assert f["line"] >= 1
        assert all(":" in c for c in f["controls"])
    formats = {i["format"] for i in report["inputs"]}
    assert {"k8s", "dockerfile", "compose", "terraform", "securityconfig"} <= formats


def test_fail_on_threshold() -> None:
    assert run(BPI, "--format", "json", "--fail-on", "none", *NOW).exit_code == 0
    assert run(BPI, "--format", "json", "--fail-on", "low", *NOW).exit_code == 1


def test_table_lists_frameworks_and_findings_with_file_line() -> None:
    result = run(BPI, "--format", "table", "--fail-on", "none", *NOW)
    assert result.exit_code == 0
    for name in ("soc2", "iso27001", "gdpr", "hipaa"):
        assert name in result.stdout
    assert "examples/bpi/docker-compose.yml:" in result.stdout


def test_stdin_stream() -> None:
    result = run("-", "--format", "json", "--fail-on", "critical", *NOW, input=PRIVILEGED)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    privileged = [f for f in report["findings"] if f["message"] == "container c runs privileged"]
    assert privileged[0]["file"] == "-" and privileged[0]["line"] == 8


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run(
        "-", "--format", "json", "-o", str(out), "--fail-on", "none", *NOW, input=PRIVILEGED
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["findings"] >= 1


def test_bad_input_is_reported_and_others_still_evaluated(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(PRIVILEGED)
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
    result = run(str(tmp_path), "--format", "json", *NOW)
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    (error,) = report["errors"]
    assert error["file"].endswith("bad.yaml") and error["line"] == 4
    assert any(f["resource"]["name"] == "p" for f in report["findings"])


def test_usage_errors_exit_2() -> None:
    assert run(BPI, "--now", "yesterday").exit_code == 2
    assert run(BPI, "--now", "2026-11-27T00:00:00").exit_code == 2  # no timezone
    result = run(BPI, "--param", "no_such_param=1")
    assert result.exit_code == 2 and "no_such_param" in result.stderr
    assert run(BPI, "--format", "yaml").exit_code == 2


def test_unknown_pack_exit_2_with_the_nearest_name() -> None:
    result = run(BPI, "--pack", "pci")
    assert result.exit_code == 2
    assert "unknown pack 'pci'" in result.stderr and "soc2" in result.stderr
    upper = run(BPI, "--pack", "SOC2")
    assert upper.exit_code == 2
    assert "unknown pack 'SOC2'; did you mean 'soc2'?" in upper.stderr
    near = run(BPI, "--pack", "hippa")
    assert near.exit_code == 2 and "did you mean 'hipaa'?" in near.stderr


def test_unknown_pack_in_compliance_yaml_exit_2_naming_the_line(tmp_path: Path) -> None:
    config = tmp_path / "compliance.yaml"
    config.write_text("fail_on: high\npacks:\n  - soc2\n  - Gdpr\n")
    result = run(BPI, "--config", str(config), *NOW)
    assert result.exit_code == 2
    assert f"{config}:4: unknown pack 'Gdpr'; did you mean 'gdpr'?" in result.stderr
    overridden = run(BPI, "--config", str(config), "--pack", "soc2", *NOW)
    assert overridden.exit_code == 2 and f"{config}:4: unknown pack 'Gdpr'" in overridden.stderr


def test_errors_reach_stderr_with_o_file_and_json(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(PRIVILEGED)
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
    out = tmp_path / "out" / "report.html"
    to_file = run(str(tmp_path), "--format", "html", "-o", str(out), "--no-cache", *NOW)
    assert to_file.exit_code == 3
    assert "bad.yaml:4: " in to_file.stderr
    as_json = run(str(tmp_path), "--format", "json", "--no-cache", *NOW)
    assert as_json.exit_code == 3
    (error,) = json.loads(as_json.stdout)["errors"]
    assert f"{error['file']}:4: {error['message']}" in as_json.stderr


def test_a_report_that_cannot_be_written_is_exit_3(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder\n")
    result = run("-", "--format", "json", "-o", str(blocker / "r.json"), *NOW, input=PRIVILEGED)
    assert result.exit_code == 3
    assert "cannot write the report" in result.stderr and "internal error" not in result.stderr


def test_single_pack() -> None:
    report = json.loads(
        run(BPI, "--pack", "gdpr", "--format", "json", "--fail-on", "none", *NOW).stdout
    )
    assert [p["name"] for p in report["packs"]] == ["gdpr"]
    assert {c["pack"] for c in report["controls"]} == {"gdpr"}


def test_a_loader_bug_is_an_error_entry_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compliance.inputs import dockerfile

    def broken(text: str, ctx: object) -> list[object]:
        raise KeyError("boom")

    monkeypatch.setattr(dockerfile, "load", broken)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "pod.yaml").write_text(PRIVILEGED)
    result = run(str(tmp_path), "--format", "json", *NOW)
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["errors"][0]["message"].startswith("internal error while loading (KeyError")
    assert any(f["resource"]["name"] == "p" for f in report["findings"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["evaluate", "packs", "controls", "keys", "evidence", "serve"]),
        (["evidence"], ["verify", "verify-log", "list", "show", "export"]),
        (["packs"], ["list", "show", "test"]),
    ],
)
def test_every_command_is_reachable_from_the_console_script(
    args: list[str], expected: list[str]
) -> None:
    """The console script loads command modules lazily; each group must still list all of its
    commands (a subcommand registered from another module would silently disappear)."""
    import subprocess
    import sys

    code = "import sys; from compliance.cli import main; sys.argv = ['compliance', *sys.argv[1:]]; main()"
    out = subprocess.run(
        [sys.executable, "-c", code, *args, "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = out.split("Commands:")[1].split()
    for name in expected:
        assert name in commands, f"{' '.join(args) or 'compliance'} --help lacks {name}"


def test_console_script_ends_without_teardown_but_with_every_byte_and_code(
    tmp_path: Path,
) -> None:
    """``main`` ends an evaluate process with ``os._exit`` once the command returned: the
    whole report must still reach a pipe, stderr its notes, and the exit code its caller
    (1: findings at or above --fail-on; 3: bad input; 2: usage)."""
    import subprocess
    import sys

    code = "import sys; from compliance.cli import main; sys.argv = ['compliance', *sys.argv[1:]]; main()"

    def console(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, "evaluate", *args],
            capture_output=True,
            text=True,
        )  # in the examples copy (``_in_repo_root``): the cache lands there

    piped = console(BPI, "--format", "json", "--no-cache", *NOW)
    assert piped.returncode == 1, piped.stderr
    in_process = run(BPI, "--format", "json", "--no-cache", *NOW)
    assert piped.stdout == in_process.stdout  # every byte, not a prefix
    written = console(BPI, "--format", "json", "--no-cache", "-o", str(tmp_path / "r.json"), *NOW)
    assert written.returncode == 1
    assert "wrote json report to" in written.stderr
    assert (tmp_path / "r.json").read_text() == in_process.stdout
    assert console(str(tmp_path / "missing.yaml"), "--format", "json").returncode == 3
    assert console(BPI, "--format", "nope").returncode == 2


def test_a_cached_json_run_gives_the_uncached_bytes_and_exit_code(tmp_path: Path) -> None:
    """A cached ``--format json`` run renders the report's data straight from the cached
    rows: the bytes and exit code of a ``--no-cache`` run, primed, warm and after an
    edit; a secret a finding would echo is still masked (that run takes the models)."""
    import shutil

    tree = tmp_path / "bpi"
    shutil.copytree(ROOT / BPI, tree)
    cache = ["--cache-dir", str(tmp_path / "cache")]

    def same(code: int = 1) -> str:  # 1: the example has high findings
        cached = run(str(tree), "--format", "json", *cache, *NOW)
        plain = run(str(tree), "--format", "json", "--no-cache", *NOW)
        assert cached.stdout == plain.stdout
        assert cached.exit_code == plain.exit_code == code
        return cached.stdout

    same()  # primes the cache
    same()
    deployment = tree / "k8s" / "pravyom-enterprise.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 3", "replicas: 1"))
    same()
    secret = "sup3rs3cretvalue"
    (tree / "planted.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: t}}\n"
        f"stringData: {{password: {secret}}}\n---\n"
        + PRIVILEGED.replace("- name: c", f"- name: {secret}")
    )
    out = same()  # a container named after the password: its messages would echo it
    assert secret not in out and json.loads(out)["findings"]
    (tree / "broken.yaml").write_text("a: [1, 2\n")
    assert json.loads(same(3))["errors"]
