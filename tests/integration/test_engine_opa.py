"""``--engine opa`` end to end: the same reports as ``--engine embedded``, and clear failures.

The OPA server is a real ``opa run --server`` when an ``opa`` binary is on PATH, else the
suite's own server (tests/opa_server.py: OPA's v1 Policy and Data API over the OPA Go
evaluator from opa-golib-python-bindings). Tests that count uploads always use the suite's
server, which records requests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compliance.cli.main import cli
from compliance.engine.embedded import EmbeddedEngine
from compliance.engine.opa import OpaEngine
from compliance.evaluation.evaluator import Evaluator
from compliance.model import Report
from compliance.policy.cases import Case, discover, evaluate_case
from compliance.policy.packs import load_library, load_packs, policy_root
from tests.opa_server import OpaService, OpaTestServer, free_port, make_tls, start_opa
from tests.packs.conftest import CASES as CASES_DIR

ROOT = Path(__file__).resolve().parents[2]
NOW = ["--now", "2026-11-27T00:00:00Z"]
CASES = discover(CASES_DIR)

BROKEN = """package compliance.checks.broken
import rego.v1

deny contains msg if {
	msg := 1 +
}
"""

CUSTOM_FUNCTION = """package compliance.checks.ext
import rego.v1

deny contains x if {
	some r in input.kinds.Pod
	x := compliance_ext.lookup(r.id)
}
"""


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def opa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaService]:
    service = start_opa(tmp_path_factory.mktemp("opa"))
    yield service
    service.stop()


def run(*args: str) -> Result:
    """``compliance evaluate`` without the result cache: every run asks the engine."""
    return CliRunner().invoke(cli, ["evaluate", "--no-cache", *args], catch_exceptions=False)


def bpi_report(*engine_args: str) -> tuple[int, dict[str, Any]]:
    result = run("examples/bpi", "--format", "json", "--fail-on", "high", *NOW, *engine_args)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def assert_engine_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for needle in needles:
        assert needle in result.stderr, result.stderr


def policies_with(tmp_path: Path, name: str, source: str) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(policy_root(), root)
    (root / "checks" / name).write_text(source)
    return root


# -- equivalence -----------------------------------------------------------------------


def test_bpi_report_identical_to_embedded(opa: OpaService) -> None:
    embedded_exit, embedded = bpi_report()
    opa_exit, via_opa = bpi_report("--engine", "opa", "--opa-url", opa.url)
    assert embedded["engine"]["name"] == "embedded"
    assert via_opa["engine"]["name"] == "opa"
    assert opa.url in via_opa["engine"]["version"]
    assert via_opa["findings"], "the example has deliberate gaps"
    embedded.pop("engine")
    via_opa.pop("engine")
    assert via_opa == embedded
    assert opa_exit == embedded_exit


@pytest.mark.parametrize("fixture", ["kustomize", "argo", "bare"])
def test_verdict_fixtures_identical_to_embedded(opa: OpaService, fixture: str) -> None:
    """Objects sharing an id, the population and not_assessed controls: the same on both."""
    path = f"tests/fixtures/verdicts/{fixture}"
    reports = []
    for engine_args in ([], ["--engine", "opa", "--opa-url", opa.url]):
        result = run(path, "--format", "json", "--fail-on", "none", *NOW, *engine_args)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        data.pop("engine")
        reports.append(data)
    embedded, via_opa = reports
    assert via_opa == embedded
    assert embedded["resources"] and embedded["summary"]["controls"]["not_assessed"]
    assert len({r["id"] for r in embedded["resources"]}) == len(embedded["resources"])


@pytest.fixture(scope="module")
def evaluators(opa: OpaService) -> dict[str, Evaluator]:
    library = load_library()
    packs = load_packs(None, library)
    return {
        "embedded": Evaluator(EmbeddedEngine(), library, packs),
        "opa": Evaluator(OpaEngine(opa.url, timeout=30), library, packs),
    }


def _run_case(case: Case, evaluator: Evaluator) -> Report:
    loaded, report = evaluate_case(case, evaluator)
    assert not loaded.errors, f"{case.id}: fixture does not load: {loaded.errors}"
    return report


def test_pack_cases_exist() -> None:
    assert CASES, "tests/packs/cases holds no cases"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pack_case_identical_to_embedded(case: Case, evaluators: dict[str, Evaluator]) -> None:
    embedded = _run_case(case, evaluators["embedded"])
    via_opa = _run_case(case, evaluators["opa"])
    assert not via_opa.errors, via_opa.errors
    assert [f.model_dump() for f in via_opa.findings] == [f.model_dump() for f in embedded.findings]
    assert [(c.control_id, c.status) for c in via_opa.controls] == [
        (c.control_id, c.status) for c in embedded.controls
    ]


# -- uploads ---------------------------------------------------------------------------


def test_rerun_with_unchanged_packs_does_not_reupload() -> None:
    server = OpaTestServer()
    try:
        first = bpi_report("--engine", "opa", "--opa-url", server.url)
        uploads = server.count("PUT", "/v1/policies/")
        queries = server.count("POST", "/v1/data/compliance/main/violations")
        assert uploads == len(server.policy_ids()) > 0
        assert queries >= 1  # one per distinct pack parameter set
        second = bpi_report("--engine", "opa", "--opa-url", server.url)
        assert server.count("PUT", "/v1/policies/") == uploads
        assert server.count("GET", "/v1/policies") == 2
        assert server.count("POST", "/v1/data/compliance/main/violations") == 2 * queries
        assert first == second
    finally:
        server.stop()


# -- failures --------------------------------------------------------------------------


def test_unreachable_opa() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run("examples/bpi", "--engine", "opa", "--opa-url", url)
    assert_engine_error(result, f"OPA at {url} is unreachable")


def test_auth_failure_names_opa_and_hides_the_token(tmp_path: Path) -> None:
    service = start_opa(tmp_path, token="the-right-token")
    try:
        result = run(
            "examples/bpi",
            "--engine",
            "opa",
            "--opa-url",
            service.url,
            "--opa-token",
            "a-wrong-token",
        )
        assert_engine_error(result, f"OPA at {service.url} rejected the credentials", "--opa-token")
        assert "a-wrong-token" not in result.stdout + result.stderr
        ok = run(
            "examples/bpi", "--format", "json", "--fail-on", "none", *NOW,
            "--engine", "opa", "--opa-url", service.url, "--opa-token", "the-right-token",
        )  # fmt: skip
        assert ok.exit_code == 0, ok.stderr
        assert "the-right-token" not in ok.stdout
    finally:
        service.stop()


@pytest.fixture
def own_opa(tmp_path: Path) -> Iterator[OpaService]:
    """A server of the test's own: a broken pack set must not disturb the shared one."""
    service = start_opa(tmp_path)
    yield service
    service.stop()


def test_compile_error_names_module_and_row(
    own_opa: OpaService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLIANCE_POLICIES", str(policies_with(tmp_path, "broken.rego", BROKEN)))
    result = run("examples/bpi", "--engine", "opa", "--opa-url", own_opa.url)
    assert_engine_error(
        result, "error: checks/broken.rego:", f"OPA at {own_opa.url} could not compile"
    )


def test_missing_builtin_is_named(
    own_opa: OpaService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "COMPLIANCE_POLICIES", str(policies_with(tmp_path, "ext.rego", CUSTOM_FUNCTION))
    )
    result = run("examples/bpi", "--engine", "opa", "--opa-url", own_opa.url)
    assert_engine_error(
        result,
        "error: checks/ext.rego:6: ",
        f"OPA at {own_opa.url} does not have the function compliance_ext.lookup",
    )


def test_tls_needs_the_private_ca(tmp_path: Path) -> None:
    tls = make_tls(tmp_path / "tls")
    service = start_opa(tmp_path, tls=tls)
    try:
        result = run("examples/bpi", "--engine", "opa", "--opa-url", service.url)
        assert_engine_error(result, f"OPA at {service.url}: TLS verification failed", "--opa-ca")
        ok = run(
            "examples/bpi", "--format", "json", "--fail-on", "none", *NOW,
            "--engine", "opa", "--opa-url", service.url, "--opa-ca", str(tls.ca),
        )  # fmt: skip
        assert ok.exit_code == 0, ok.stderr
        assert json.loads(ok.stdout)["findings"]
    finally:
        service.stop()


def test_opa_flags_need_the_opa_engine() -> None:
    result = run("examples/bpi", "--opa-url", "http://127.0.0.1:8181")
    assert result.exit_code == 2
    assert "only apply with --engine opa" in result.stderr
    result = run("examples/bpi", "--engine", "opa")
    assert result.exit_code == 2
    assert "needs --opa-url" in result.stderr
