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


def _opa(
    url: str | None = None,
    token: str | None = None,
    ca_file: str | None = None,
    timeout: float | None = None,
    **_: Any,
) -> Engine:
    from compliance.engine.opa import DEFAULT_TIMEOUT, OpaEngine
    from compliance.errors import UsageError

    if not url:
        raise UsageError("--engine opa needs --opa-url URL")
    return OpaEngine(url, token=token, ca_file=ca_file, timeout=timeout or DEFAULT_TIMEOUT)


ENGINES: dict[str, Callable[..., Engine]] = {"embedded": _embedded, "opa": _opa}


def make_engine(name: str, **options: Any) -> Engine:
    return ENGINES[name](**options)
