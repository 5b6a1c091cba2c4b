"""The Engine protocol: load Rego modules and data once, evaluate one query per input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

VIOLATIONS_QUERY = "data.compliance.main.violations"
"""The one query a run evaluates: every violation of every check, as a set."""


class Engine(Protocol):
    name: str

    def version(self) -> str: ...

    def load(self, modules: dict[str, str], data: dict[str, Any] | None = None) -> None:
        """Compile ``modules`` (name -> Rego source). Raises EngineError naming the module."""
        ...

    def evaluate(self, query: str, input: dict[str, Any]) -> Any:
        """The value of ``query`` over ``input`` (None when undefined). Raises EngineError."""
        ...


def _embedded(**_: Any) -> Engine:
    from compliance.engine.embedded import EmbeddedEngine

    return EmbeddedEngine()


ENGINES: dict[str, Callable[..., Engine]] = {"embedded": _embedded}


def make_engine(name: str, **options: Any) -> Engine:
    return ENGINES[name](**options)
