"""``compliance.pipeline.run`` called in-process: the result it returns, with no printing."""

from __future__ import annotations

import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance import pipeline
from compliance.errors import InputError, UsageError
from compliance.evidence.dsse import private_pem
from compliance.formats import renderer
from compliance.pipeline import PipelineOptions, RunResult
from compliance.runner import RunOptions

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def as_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "debug.yaml").write_text(PRIVILEGED)
    return tmp_path / "k8s"


def options(paths: list[str], tmp_path: Path, **kwargs: object) -> PipelineOptions:
    defaults: dict[str, object] = {"cache": False, "cache_dir": tmp_path / "cache"}
    return PipelineOptions(
        paths=paths,
        run=RunOptions(packs=["soc2"], now=NOW),
        **{**defaults, **kwargs},  # type: ignore[arg-type]
    )


def test_cold_run_returns_the_report_and_the_exit_code(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = pipeline.run(options([str(inputs)], tmp_path))
    assert isinstance(result, RunResult)
    assert result.report is not None
    assert any(f.resource.name == "debug" for f in result.report.findings)
    assert result.exit_code == 1  # an open finding at high or above
    assert result.errors == [] and result.error_lines() == []
    assert result.written == [] and result.ledger_line is None
    assert not (tmp_path / "cache").exists()  # no cache asked for
    assert capsys.readouterr() == ("", "")  # nothing printed

    lenient = pipeline.run(options([str(inputs)], tmp_path, fail_on="none"))
    assert lenient.exit_code == 0


def test_fail_on_control_status(inputs: Path, tmp_path: Path) -> None:
    result = pipeline.run(options([str(inputs)], tmp_path, fail_on="none", fail_statuses=("fail",)))
    assert result.report is not None
    assert any(c.status == "fail" for c in result.report.controls)
    assert result.exit_code == 1


def test_incremental_runs_render_the_same_bytes_as_the_cold_report(
    inputs: Path, tmp_path: Path
) -> None:
    cold = pipeline.run(options([str(inputs)], tmp_path))
    first = pipeline.run(options([str(inputs)], tmp_path, cache=True))
    assert (tmp_path / "cache").is_dir()  # written on the first cached run
    warm = pipeline.run(options([str(inputs)], tmp_path, cache=True))
    for result in (first, warm):
        for fmt in ("json", "sarif", "table"):
            assert as_bytes(renderer(fmt)(result.report)) == as_bytes(renderer(fmt)(cold.report))
        assert result.exit_code == cold.exit_code


def test_waivers_annotate_and_warn_in_order(inputs: Path, tmp_path: Path) -> None:
    cold = pipeline.run(options([str(inputs)], tmp_path))
    assert cold.report is not None
    checks = sorted({f.check_id for f in cold.report.findings})
    entries = [{"check": c, "resource": "*"} for c in checks] + [
        {"check": "TLS-01", "resource": "*"}
    ]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        json.dumps(
            {
                "waivers": [
                    {**e, "reason": "accepted", "approved_by": "a@b.c", "expires": "2027-06-30"}
                    for e in entries
                ]
            }
        )
    )
    heard: list[str] = []
    result = pipeline.run(
        options(
            [str(inputs)],
            tmp_path,
            waivers_file=waivers,
            fail_on="info",
            notify=heard.append,
        )
    )
    assert result.report is not None
    assert all(f.status == "waived" for f in result.report.findings)
    assert result.exit_code == 0
    assert result.messages == heard
    assert [m for m in result.messages if m.startswith("warning:")] == [
        f"warning: {waivers}:1: waiver for TLS-01 on * matches no finding (stale)"
    ]


def test_nothing_to_evaluate_is_said_before_and_not_repeated(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = pipeline.run(options([str(empty)], tmp_path))
    assert result.exit_code == 3
    assert len(result.errors) == 1
    assert [m for m in result.messages if m.startswith("error:")] == [
        f"error: {result.errors[0].message}"
    ]
    assert result.error_lines() == ["1 error(s); see the report's errors"]


def test_input_errors_become_stderr_lines_with_file_and_line(inputs: Path, tmp_path: Path) -> None:
    broken = inputs / "broken.yaml"
    broken.write_text("a: [1,\n")
    result = pipeline.run(options([str(inputs)], tmp_path, fail_on="none"))
    assert result.exit_code == 3
    lines = result.error_lines()
    assert lines[0].startswith(f"error: {broken}:")
    assert lines[-1] == "1 error(s); see the report's errors"


def test_stdin_is_read_through_the_callable_and_skips_the_cache(tmp_path: Path) -> None:
    asked: list[int] = []

    def stdin(limit: int) -> str:
        asked.append(limit)
        return PRIVILEGED

    result = pipeline.run(options(["-"], tmp_path, cache=True, stdin=stdin))
    assert asked and asked[0] > 0
    assert result.report is not None
    assert any(f.resource.name == "debug" for f in result.report.findings)
    assert not (tmp_path / "cache" / "results").exists()

    failed = pipeline.run(
        options(["-"], tmp_path, stdin=lambda limit: InputError("too large", file="-"))
    )
    assert failed.exit_code == 3
    assert failed.errors[0].file == "-"


def test_bundle_is_written_and_reported(inputs: Path, tmp_path: Path) -> None:
    key = tmp_path / "signing.pem"
    key.write_bytes(private_pem(Ed25519PrivateKey.generate()))
    bundle = tmp_path / "out" / "evidence.tar.gz"
    result = pipeline.run(options([str(inputs)], tmp_path, bundle=bundle, sign_key=key))
    assert result.written == [bundle]
    assert result.bundle_sha256 and len(result.bundle_sha256) == 64
    assert tarfile.is_tarfile(bundle)
    assert any(str(bundle) in m for m in result.messages)


def test_usage_errors_raise(inputs: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--sign-key"):
        pipeline.run(options([str(inputs)], tmp_path, bundle=tmp_path / "b.tar.gz"))
