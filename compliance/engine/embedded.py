"""In-process Rego with regorus (the ``gordon-to-regorus`` wheel), a Rust interpreter."""

from __future__ import annotations

import functools
import os
import re
from importlib.metadata import version as dist_version
from typing import Any

import orjson

from compliance.errors import EngineError

os.environ.pop("RUST_BACKTRACE", None)  # a panic must not dump Rust frames into reports
# regorus allocates with mimalloc, which asks for transparent huge pages by default: each
# query process then zeroes 2 MiB pages it barely uses. Read when regorus is loaded.
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")

import regorus  # noqa: E402


class EmbeddedEngine:
    name = "embedded"

    def __init__(self) -> None:
        self._engine = regorus.Engine()
        self._engine.set_rego_v0(False)

    def version(self) -> str:
        return _version()

    def load(self, modules: dict[str, str], data: dict[str, Any] | None = None) -> None:
        for name in sorted(modules):
            try:
                self._engine.add_policy(name, modules[name])
            except Exception as e:  # regorus raises plain RuntimeError/ValueError
                raise EngineError(f"Rego compile error: {_clean(e)}", file=name) from e
        if data:
            self._engine.add_data_json(orjson.dumps(data).decode())

    def evaluate(self, query: str, input: dict[str, Any]) -> Any:
        try:
            self._engine.set_input_json(orjson.dumps(input).decode())
            raw = self._engine.eval_query_as_json(query)
        except Exception as e:
            raise EngineError(f"Rego evaluation failed ({query}): {_clean(e)}") from e
        result = orjson.loads(raw).get("result") or []
        if not result:
            return None
        return result[0]["expressions"][0]["value"]


@functools.cache
def _version() -> str:
    """The wheel's version, read from its metadata once a process (a run asks for it for
    every cache key and the report: ~5 ms a read)."""
    return f"regorus {dist_version('gordon-to-regorus')}"


_LOCATION = re.compile(r"-->\s*(\S+):(\d+):(\d+)")


def _clean(e: Exception) -> str:
    """regorus messages: a source excerpt, ``error: ...`` and possibly a Rust backtrace.
    Keep ``file:row:col: error`` and drop the rest."""
    text = str(e).split("Stack backtrace:")[0].strip()
    errors = [
        line[len("error:") :].strip() for line in text.splitlines() if line.startswith("error:")
    ]
    location = _LOCATION.search(text)
    message = "; ".join(errors) or (text.splitlines()[-1] if text else type(e).__name__)
    if location:
        return f"{location.group(1)}:{location.group(2)}:{location.group(3)}: {message}"
    return message
