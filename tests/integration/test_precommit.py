"""The pre-commit hook, run by pre-commit itself in a scratch git repository.

``.pre-commit-hooks.yaml`` declares ``language: python``: for a consumer, pre-commit builds a
virtualenv and pip-installs this project and its dependencies from PyPI. Tests must run
offline, so the scratch repository uses a ``repo: local`` hook with ``language: system`` whose
entry is the ``compliance`` console script installed next to the running interpreter, and
whose ``files``, ``exclude``, ``args``, ``pass_filenames`` and ``require_serial`` are read
from the real ``.pre-commit-hooks.yaml``: pre-commit selects and passes the files exactly as
it would for the published hook. ``test_try_repo_installs_the_published_hook`` exercises the
``language: python`` install through ``pre-commit try-repo``; it needs PyPI and about a
minute, so it runs only with ``COMPLIANCE_NETWORK_TESTS=1``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pre_commit.clientlib import load_manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
COMPLIANCE = Path(sys.executable).with_name("compliance")
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""


def hook() -> dict[str, Any]:
    (only,) = load_manifest(str(MANIFEST))
    result: dict[str, Any] = only
    return result


def test_manifest_is_valid_for_pre_commit() -> None:
    h = hook()
    assert h["id"] == "compliance"
    assert h["language"] == "python"
    assert h["entry"] == "compliance evaluate"
    assert h["pass_filenames"] is True


@pytest.mark.parametrize(
    ("name", "selected"),
    [
        ("k8s/app.yaml", True),
        ("deploy/app.yml", True),
        ("plan.json", True),
        ("terraform/main.tf", True),
        ("config/node.toml", True),
        ("Dockerfile", True),
        ("docker/Dockerfile", True),
        ("docker/Dockerfile.prod", True),
        ("api.Dockerfile", True),
        ("README.md", False),
        ("src/main.rs", False),
        ("Makefile", False),
        (".pre-commit-config.yaml", False),
        ("compliance.yaml", False),
        (".github/workflows/ci.yml", False),
        ("Cargo.toml", False),
        ("crates/node/Cargo.toml", False),
        ("web/package.json", False),
        (".compliance-cache/results/ab/ab12.json", False),
    ],
)
def test_files_pattern(name: str, selected: bool) -> None:
    h = hook()
    chosen = bool(re.search(h["files"], name)) and not re.search(h["exclude"], name)
    assert chosen is selected


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def pre_commit(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PRE_COMMIT, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"), **(env or {})},
        check=False,
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed; pre-commit needs a git repository")
    assert COMPLIANCE.exists(), f"console script not installed beside {sys.executable}"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    h = hook()
    local = {
        key: h[key]
        for key in ("id", "name", "files", "exclude", "args", "pass_filenames", "require_serial")
    }
    local.update(entry=f"{COMPLIANCE} evaluate --now 2026-11-27T00:00:00Z", language="system")
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})
    )
    (repo / "k8s").mkdir()
    (repo / "k8s" / "debug.yaml").write_text(PRIVILEGED)
    (repo / "README.md").write_text("# not configuration: must not be passed to the hook\n")
    (repo / "notes.txt").write_text("apiVersion: broken: [\n")
    return repo


def test_hook_blocks_a_bad_manifest_and_passes_once_waived(scratch: Path) -> None:
    git(scratch, "add", "-A")
    blocked = pre_commit(scratch, "run", "--all-files")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "- hook id: compliance" in blocked.stdout
    assert "- exit code: 1" in blocked.stdout
    assert "k8s/debug.yaml" in blocked.stdout and "CTR-01" in blocked.stdout
    assert "README.md" not in blocked.stdout and "notes.txt" not in blocked.stdout

    # The project's compliance.yaml waivers apply (the hook runs at the repository root)
    # and compliance.yaml itself is not handed to the hook as an input.
    checks = sorted(set(re.findall(r"\b([A-Z]{2,4}-\d{2})\b", blocked.stdout)))
    assert "CTR-01" in checks
    waivers = [
        {
            "check": c,
            "resource": "*",
            "reason": "debug pod, deleted nightly",
            "approved_by": "sec@example.com",
            "expires": "2027-06-30",
        }
        for c in checks
    ]
    (scratch / "compliance.yaml").write_text(yaml.safe_dump({"waivers": waivers}))
    git(scratch, "add", "-A")
    passed = pre_commit(scratch, "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_hook_passes_only_the_changed_files(scratch: Path) -> None:
    (scratch / "k8s" / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: ops}\n"
    )
    git(scratch, "add", "-A")
    only_ns = pre_commit(scratch, "run", "--files", "k8s/ns.yaml", "README.md")
    assert only_ns.returncode == 0, only_ns.stdout + only_ns.stderr
    assert "CTR-01" not in only_ns.stdout
    with_debug = pre_commit(scratch, "run", "--files", "k8s/ns.yaml", "k8s/debug.yaml")
    assert with_debug.returncode == 1
    assert "CTR-01" in with_debug.stdout


@pytest.mark.skipif(
    os.environ.get("COMPLIANCE_NETWORK_TESTS") != "1",
    reason="pre-commit builds the hook's virtualenv from PyPI (network, about a minute); "
    "set COMPLIANCE_NETWORK_TESTS=1 to run",
)
def test_try_repo_installs_the_published_hook(scratch: Path) -> None:
    """``language: python`` as consumers get it. COMPLIANCE_POLICIES points at this checkout's
    policies: a non-editable install does not ship ``policies/`` (see the report on issue 5)."""
    git(scratch, "add", "-A")
    result = pre_commit(
        scratch,
        "try-repo",
        str(ROOT),
        "compliance",
        "--files",
        "k8s/debug.yaml",
        env={"COMPLIANCE_POLICIES": str(ROOT / "policies")},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CTR-01" in result.stdout and "- exit code: 1" in result.stdout
