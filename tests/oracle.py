"""Real OPA semantics in-process: the OPA Go evaluator (opa-golib-python-bindings) behind
the Engine protocol. The test oracle the embedded regorus engine must agree with.

Installed by ``make install`` with ``--ignore-requires-python`` (its wheel declares a
Python range it does not need).
"""

from __future__ import annotations

from typing import Any

from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError

from compliance.errors import EngineError


class OpaOracleEngine:
    name = "opa-oracle"

    def __init__(self) -> None:
        self._opa = OpaEngine()

    def version(self) -> str:
        return "opa-golib-python-bindings 0.4.4"

    def load(self, modules: dict[str, str], data: dict[str, Any] | None = None) -> None:
        for name in sorted(modules):
            try:
                self._opa.add_policy(name, modules[name])
            except OpaError as e:
                raise EngineError(f"OPA compile error: {e.message}", file=name) from e
        if data:
            self._opa.add_data(data)

    def evaluate(self, query: str, input: dict[str, Any]) -> Any:
        assert query.startswith("data.")
        try:
            return self._opa.eval_document(query[len("data.") :], input)
        except OpaUndefinedError:
            return None
        except OpaError as e:
            raise EngineError(f"OPA evaluation failed: {e.message}") from e
