"""The benchmark scripts' own logic: RESULTS.md sections, and the YAML parser comparison's
verdicts (benchmarks/yaml_parsers.py), on the parsers every checkout has."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def tools() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import sections
        import yaml_parsers

        yield sections, yaml_parsers
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_a_section_is_replaced_in_place_or_appended(tools: Any, tmp_path: Path) -> None:
    sections, _ = tools
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## A\n\nold a\n\n## B\n\nold b\n")
    sections.replace_section(path, "## A", "## A\n\nnew a\n")
    assert path.read_text() == "# Benchmark results\n\n## A\n\nnew a\n\n## B\n\nold b\n"
    sections.replace_section(path, "## B", "## B\n\nnew b")
    assert path.read_text() == "# Benchmark results\n\n## A\n\nnew a\n\n## B\n\nnew b\n"
    sections.replace_section(path, "## C", "## C\n\nc\n")
    assert path.read_text().endswith("## B\n\nnew b\n\n## C\n\nc\n")
    assert path.read_text().count("## A") == 1


def test_the_main_benchmark_keeps_every_section_it_does_not_write(tools: Any) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import run
    finally:
        sys.path.remove(str(BENCHMARKS))
    old = (
        "# Benchmark results\n\nintro\n\n## Machine\n\nm\n\n## Results\n\nr\n\n"
        "## Targets\n\nt\n\n## Side by side\n\ns\n\n## Ledger\n\nl\n\n"
        "## Ledger and portal: this round\n\nlp\n"
    )
    assert run._others(old) == (
        "\n## Side by side\n\ns\n\n## Ledger\n\nl\n\n## Ledger and portal: this round\n\nlp\n"
    )
    assert run._others("# Benchmark results\n") == ""


def test_yaml_1_1_scalars_read_otherwise_are_named(tools: Any) -> None:
    _, yp = tools
    assert yp._yaml11(yp._pyyaml) == "same"
    assert yp._yaml11(yp._ours) == "same"  # dates compared as the ISO text the loader keeps

    def yaml_1_2(text: str) -> list[Any]:  # what a YAML 1.2 core-schema reader gives
        return [{"a": "yes", "b": "on", "c": 755, "d": 1000.0, "e": "2001-12-14", "f": None}]

    assert yp._yaml11(yaml_1_2) == "`yes`, `on`, `0755`, `1e3` differ"


def test_values_are_compared_with_pyyaml(tools: Any) -> None:
    _, yp = tools
    texts = ["a: 1\n---\nb: [x, 2001-12-14]\n", "kind: Pod\n"]
    reference = [yp._plain(yp._pyyaml(t)) for t in texts]
    assert yp._same(yp._ours, texts, reference) == "same"

    def changed(text: str) -> list[Any]:
        return list(yaml.safe_load_all(text.replace("x", "y")))

    assert yp._same(changed, texts, reference) == "differs"

    def broken(text: str) -> list[Any]:
        raise ValueError(text)

    assert yp._same(broken, texts, reference) == "error: ValueError"


def test_the_alias_bomb_is_refused_by_our_loader_and_shared_by_pyyaml(tools: Any) -> None:
    _, yp = tools
    index = {name: i for i, (name, *_) in enumerate(yp.PARSERS)}
    ours = next(i for name, i in index.items() if name.startswith("compliance"))
    floor = next(i for name, i in index.items() if name.startswith("PyYAML"))
    assert yp._bomb_probe(ours, None).startswith("refused (YamlError")
    assert yp._bomb_probe(floor, None).startswith("accepted, aliases shared")


def test_the_corpus_builds_in_a_lone_clone_from_our_own_fixture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ../shared the scaled corpus copies tests/fixtures/monitoring and says so."""
    import importlib

    before = os.environ.get("COMPLIANCE_SHARED_DIR")
    monkeypatch.setenv("COMPLIANCE_SHARED_DIR", str(tmp_path / "empty"))
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import corpus

    corpus = importlib.reload(corpus)
    try:
        assert BENCHMARKS.parent / "tests" / "fixtures" / "monitoring" == corpus.SOURCE
        assert "no ../shared" in corpus.SOURCE_NAME
        root = corpus.build(2, tmp_path / "c2")
        copied = sorted(p.name for p in (root / "r0002").glob("*.yaml"))
        assert copied == sorted(p.name for p in corpus.SOURCE.glob("*.yaml"))
        assert "namespace: monitoring-r0002" in "".join(
            p.read_text() for p in (root / "r0002").glob("*.yaml")
        )
        assert (root / "r0001" / "terraform" / "main.tf").is_file()
        assert "monitoring" in (root / ".generator").read_text()
    finally:  # the module as the environment had it
        if before is None:
            monkeypatch.delenv("COMPLIANCE_SHARED_DIR")
        else:
            monkeypatch.setenv("COMPLIANCE_SHARED_DIR", before)
        importlib.reload(corpus)
