"""The package's own code is part of every cache key (compliance.incremental.code): a
changed loader never serves results the old code computed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compliance.incremental import code
from compliance.incremental.cache import Cache
from compliance.incremental.run import evaluate_cached
from compliance.inputs import LoadOptions
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs
from tests.unit.test_cache import NOW, ROOT


def test_the_digest_covers_every_file_of_the_package(tmp_path: Path) -> None:
    copy = tmp_path / "compliance"
    shutil.copytree(code.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert code.digest_of(copy) == code.code_digest()  # the bytes, not where they are
    names = {p.relative_to(copy).as_posix() for p in code.code_files(copy)}
    assert {"inputs/k8s.py", "evaluation/evaluator.py", "incremental/code.py"} <= names

    loader = copy / "inputs" / "k8s.py"
    loader.write_text(loader.read_text() + "\n# a change to a loader\n")
    changed = code.digest_of(copy)
    assert changed != code.code_digest()
    (copy / "inputs" / "__pycache__").mkdir()
    (copy / "inputs" / "__pycache__" / "k8s.cpython-311.pyc").write_bytes(b"compiled")
    assert code.digest_of(copy) == changed  # bytecode is not code of its own
    (copy / "templates" / "extra.html").write_text("<p>")
    assert code.digest_of(copy) != changed


def test_other_code_misses_every_cached_file_and_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same inputs and policies, another build of the package: no file is answered
    from the index and every unit is evaluated again; a second run of that build hits."""
    corpus = tmp_path / "bpi"
    shutil.copytree(ROOT / "examples" / "bpi", corpus)
    cache_dir = tmp_path / "cache"
    options = RunOptions(now=NOW, load=LoadOptions(env={}))

    def run() -> tuple[Cache, dict[str, object]]:
        cache = Cache(cache_dir, options.load)
        loaded = load_inputs([str(corpus)], options.load, cache=cache)
        report = evaluate_cached(build_evaluator(options), loaded, cache, options)
        return cache, report.model_dump(mode="json")

    first, cold = run()
    assert first.hits == 0 and first.evaluated_units
    again, warm = run()
    assert again.hits > 0 and again.misses == 0 and again.evaluated_units == [] and warm == cold

    monkeypatch.setattr(code, "code_digest", lambda: "another build")
    other, report = run()
    assert other.hits == 0 and other.misses > 0
    assert sorted(other.evaluated_units) == sorted(first.evaluated_units)
    loaded = load_inputs([str(corpus)], options.load)
    assert (
        report
        == cold
        == evaluate_loaded(build_evaluator(options), loaded, options).model_dump(mode="json")
    )
    back, _ = run()
    assert back.hits > 0 and back.misses == 0 and back.evaluated_units == []
