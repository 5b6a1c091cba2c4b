"""The embedded regorus engine behind the Engine protocol."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from compliance.engine.embedded import EmbeddedEngine
from compliance.errors import EngineError

MODULE = """package compliance.main
import rego.v1
violations contains v if {
	some r in input.kinds.Pod
	v := {"check": "X", "resource": r.id}
}
"""


def test_evaluates_a_batched_query() -> None:
    engine = EmbeddedEngine()
    engine.load({"main.rego": MODULE})
    got = engine.evaluate(
        "data.compliance.main.violations", {"kinds": {"Pod": [{"id": "a"}, {"id": "b"}]}}
    )
    assert sorted(v["resource"] for v in got) == ["a", "b"]


def test_undefined_is_none() -> None:
    engine = EmbeddedEngine()
    engine.load({"main.rego": MODULE})
    assert engine.evaluate("data.compliance.nothing.here", {}) is None


def test_compile_error_names_the_module() -> None:
    engine = EmbeddedEngine()
    with pytest.raises(EngineError) as e:
        engine.load({"checks/broken.rego": "package x\nimport rego.v1\nthis is not rego {"})
    assert e.value.file == "checks/broken.rego"
    assert (
        e.value.message
        == "Rego compile error: checks/broken.rego:3:1: rule must have a body or assignment"
    )


def test_rust_backtrace_is_unset_for_the_engine() -> None:
    code = "import os, compliance.engine.embedded; print('RUST_BACKTRACE' in os.environ)"
    env = {**os.environ, "RUST_BACKTRACE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("given", "expected"), [(None, "0"), ("1", "1")])
def test_regorus_allocator_asks_for_no_huge_pages_unless_told(
    given: str | None, expected: str
) -> None:
    """mimalloc (regorus's allocator) reports its options at start with MIMALLOC_VERBOSE:
    loading the engine turns transparent huge pages off, a value the user set is kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIMALLOC_")}
    env["MIMALLOC_VERBOSE"] = "1"
    if given is not None:
        env["MIMALLOC_ALLOW_THP"] = given
    code = "from compliance.engine.embedded import EmbeddedEngine; EmbeddedEngine()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert f"option 'allow_thp': {expected}" in done.stderr
