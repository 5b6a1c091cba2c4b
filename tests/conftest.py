"""Shared test helpers: fakes for interfaces (the Engine protocol)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.errors import EngineError
from compliance.model.waiver import AppliedWaiver

# Runs without the result cache keep python-hcl2's compiled grammar in the user's cache
# folder (compliance.inputs.hcl_grammar.user_cache_dir): a folder of this test process, not
# the home of whoever runs the tests.
_XDG = tempfile.mkdtemp(prefix="compliance-tests-xdg-")
os.environ["XDG_CACHE_HOME"] = _XDG
atexit.register(shutil.rmtree, _XDG, True)


def applied(check: str, reason: str, controls: tuple[str, ...] | None = None) -> AppliedWaiver:
    """A waiver of ``check`` on every resource, as a ``waive`` callback returns it."""
    return AppliedWaiver(check, "*", controls, reason, "a@b.c", "2099-12-31", "waivers.yaml:2")


class FakeEngine:
    """Returns canned violations; records what it was asked. For evaluator unit tests."""

    name = "fake"

    def __init__(
        self, violations: list[dict[str, Any]] | None = None, fail: str | None = None
    ) -> None:
        self.violations = violations or []
        self.fail = fail
        self.loaded: dict[str, str] = {}
        self.inputs: list[dict[str, Any]] = []

    def version(self) -> str:
        return "fake 1"

    def load(self, modules: dict[str, str], data: dict[str, Any] | None = None) -> None:
        self.loaded.update(modules)

    def evaluate(self, query: str, input: dict[str, Any]) -> Any:
        self.inputs.append(input)
        if self.fail:
            raise EngineError(self.fail)
        return self.violations


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files (tests/fixtures/golden) from the current output",
    )


# The checkout is read-only to tests: the controller (or a run without xdist) lists the
# checkout's files, tracked or not, before the session and compares after it (not under
# --update-golden, which rewrites tests/fixtures/golden on purpose).
CHECKOUT = Path(__file__).resolve().parents[1]
_BEFORE = pytest.StashKey[dict[str, tuple[str, int, int]] | None]()
_TOOL_OUTPUT = ("__pycache__/", ".pytest_cache/", ".venv/", ".mypy_cache/", ".ruff_cache/")


@pytest.fixture
def examples_cwd(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder holding a copy of the checkout's ``examples/`` and ``tests/fixtures/``,
    as the working directory: paths such as ``examples/bpi`` read as from the checkout, while
    what the CLI writes beside them (``.compliance-cache/``) stays out of the checkout."""
    cwd = tmp_path_factory.mktemp("checkout-copy")
    shutil.copytree(CHECKOUT / "examples", cwd / "examples")
    shutil.copytree(CHECKOUT / "tests" / "fixtures", cwd / "tests" / "fixtures")
    monkeypatch.chdir(cwd)
    return cwd


def checkout_state(root: Path = CHECKOUT) -> dict[str, tuple[str, int, int]] | None:
    """path -> (git status code, size, mtime) of every changed, untracked or ignored file in
    the checkout but tool output; None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v1", "-z", "--ignored=traditional", "-uall", "--", "."]
            + [f":(exclude){p}" for p in (".venv", "**/__pycache__")],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.CalledProcessError):
        return None
    state: dict[str, tuple[str, int, int]] = {}
    for entry in out.split("\0"):
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if any(part in f"/{path}" for part in ("/" + t for t in _TOOL_OUTPUT)):
            continue
        try:
            st = (root / path).stat()
            state[path] = (code, st.st_size, st.st_mtime_ns)
        except OSError:
            state[path] = (code, -1, -1)
    return state


def checkout_changes(
    before: dict[str, tuple[str, int, int]], after: dict[str, tuple[str, int, int]]
) -> list[str]:
    return sorted(
        f"{'removed' if p not in after else 'written'}: {p}"
        for p in set(before) | set(after)
        if before.get(p) != after.get(p)
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput") and not session.config.getoption(
        "--update-golden"
    ):
        session.config.stash[_BEFORE] = checkout_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None or hasattr(session.config, "workerinput"):
        return
    after = checkout_state()
    changes = checkout_changes(before, after or {})
    if changes:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "tests wrote to the checkout (use tmp_path and --no-cache):\n  " + "\n  ".join(
            changes[:50]
        )
        if reporter is not None:
            reporter.write_line(message, red=True, bold=True)
        else:
            print(message, file=sys.stderr)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster for the whole session (never skipped under CI)."""
    import os

    from tests.pgcluster import pg_bin, start_cluster

    if pg_bin() is None and not os.environ.get("CI"):
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed; CI installs them"
        )
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Any, request: pytest.FixtureRequest) -> str:
    """A new, empty database in the session's cluster."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    return str(pg_cluster.create_database(name))
