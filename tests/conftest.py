"""Shared test helpers: fakes for interfaces (the Engine protocol)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from compliance.errors import EngineError


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
