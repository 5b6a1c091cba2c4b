"""The compiled HCL grammar kept as sealed JSON in the cache folder."""

from __future__ import annotations

import pytest

from compliance.inputs import hcl_grammar
from compliance.inputs.terraform import OPTIONS

SOURCE = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  tags = { a = "b" }\n}\n'
PARSED = {
    "resource": [
        {"aws_s3_bucket": {"b": {"bucket": "x", "tags": {"a": "b"}, "__is_block__": True}}}
    ]
}
"""What python-hcl2 8.1.4's ``hcl2.loads`` returns for SOURCE with our options (calling it here
would write its grammar cache into site-packages)."""


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A process state without a memoised parser, caching into tmp_path."""
    hcl_grammar.parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "_cache_dir", tmp_path / "cache")
    yield tmp_path / "cache"
    hcl_grammar.parser.cache_clear()


def test_same_result_as_python_hcl2(fresh):
    assert hcl_grammar.parse(SOURCE).serialize(options=OPTIONS) == PARSED


def test_written_then_read_without_building(fresh, monkeypatch):
    hcl_grammar.parser()
    path = hcl_grammar.cache_path(fresh)
    assert path.is_file()
    assert path.read_text().startswith("{")  # JSON, never a pickle
    hcl_grammar.parser.cache_clear()

    def no_build():
        raise AssertionError("grammar rebuilt although the cache holds it")

    monkeypatch.setattr(hcl_grammar, "build", no_build)
    assert hcl_grammar.parse(SOURCE).serialize(options=OPTIONS) == PARSED


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace('"sha256": "', '"sha256": "0', 1),  # wrong seal
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "not json\n" + text,
        lambda text: text.replace(hcl_grammar.cache_key(), "0" * 64, 1),  # another version
    ],
)
def test_damaged_or_stale_cache_is_rebuilt(fresh, damage):
    hcl_grammar.parser()
    path = hcl_grammar.cache_path(fresh)
    good = path.read_text()
    path.write_text(damage(good))
    hcl_grammar.parser.cache_clear()
    assert hcl_grammar.parse(SOURCE).serialize(options=OPTIONS)["resource"]
    assert hcl_grammar.loads(path.read_text()) is not None  # rewritten


def test_unwritable_folder_still_parses(fresh, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(hcl_grammar, "_cache_dir", blocker / "sub")  # cannot mkdir under a file
    assert hcl_grammar.parse(SOURCE).serialize(options=OPTIONS)["resource"]


def test_no_cache_dir_writes_nothing(fresh, monkeypatch, tmp_path):
    monkeypatch.setattr(hcl_grammar, "_cache_dir", None)
    hcl_grammar.parser()
    assert not fresh.exists()


def test_evaluate_cli_keeps_grammar_in_cache_dir(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from compliance.cli.main import cli

    hcl_grammar.parser.cache_clear()
    (tmp_path / "main.tf").write_text(SOURCE)
    cache = tmp_path / "cache"
    result = CliRunner().invoke(
        cli, ["evaluate", str(tmp_path / "main.tf"), "--cache-dir", str(cache), "--format", "json"]
    )
    hcl_grammar.parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "_cache_dir", None)
    assert result.exit_code in (0, 1), result.output
    assert hcl_grammar.cache_path(cache).is_file()


def _mixed_tree(root, terraform_files):
    """Over the parallel-loading threshold: 64 ConfigMaps of ~40 KB and some .tf files."""
    filler = "x" * 40_000
    for i in range(64):
        (root / f"cm{i:02}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}}}\ndata:\n  k: {filler}\n"
        )
    for i in range(terraform_files):
        (root / f"main{i}.tf").write_text(SOURCE.replace('"b"', f'"b{i}"'))


def _loaded(root, workers):
    from compliance.inputs import LoadOptions, load_paths

    loaded = load_paths([str(root)], LoadOptions(), workers=workers)
    return [(r.id, r.source.file, r.source.line, r.body, r.facts) for r in loaded.resources]


@pytest.mark.parametrize(("terraform_files", "built_here"), [(2, False), (40, True)])
def test_without_a_folder_one_worker_compiles_the_grammar(
    monkeypatch, tmp_path, terraform_files, built_here
):
    """Without a cache folder, Terraform files that fit in the first chunk of the parallel
    load are parsed by the worker that takes it (the main process does not compile the
    grammar before the fork); more than a chunk's worth, it is compiled once before. The
    result is the serial load's either way."""
    hcl_grammar.parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "_cache_dir", None)
    _mixed_tree(tmp_path, terraform_files)
    try:
        parallel = _loaded(tmp_path, workers=2)
        assert (hcl_grammar.parser.cache_info().currsize == 1) is built_here
        assert parallel == _loaded(tmp_path, workers=1)
        assert sum(1 for rid, *_ in parallel if "aws_s3_bucket" in rid) == terraform_files
    finally:
        hcl_grammar.parser.cache_clear()
