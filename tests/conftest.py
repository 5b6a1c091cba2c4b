"""Shared test helpers: fakes for interfaces (the Engine protocol)."""

from __future__ import annotations

from typing import Any

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
