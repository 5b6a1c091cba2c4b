"""The compiled HCL grammar kept as sealed JSON in the cache folder."""

from __future__ import annotations

import json

import pytest

from compliance.inputs import hcl_grammar
from compliance.inputs.terraform_facts import options

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
    assert hcl_grammar.parse(SOURCE).serialize(options=options()) == PARSED


def test_written_then_read_without_building(fresh, monkeypatch):
    hcl_grammar.parser()
    path = hcl_grammar.cache_path(fresh)
    assert path.is_file()
    assert path.read_text().startswith("{")  # JSON, never a pickle
    hcl_grammar.parser.cache_clear()

    def no_build():
        raise AssertionError("grammar rebuilt although the cache holds it")

    monkeypatch.setattr(hcl_grammar, "build", no_build)
    assert hcl_grammar.parse(SOURCE).serialize(options=options()) == PARSED


def test_the_parser_read_back_has_the_tables_of_the_parser_built():
    """Every table (tuples as keys and values, dicts with non-string keys) survives the
    JSON: the parser read from the cache serializes as the freshly built one does."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    built = hcl_grammar.build()
    loaded = hcl_grammar.loads(hcl_grammar.dumps(built))
    assert loaded is not None

    def tables(parser):
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        data["options"] = {**data["options"], "postlex": None}
        return data, memo

    assert tables(loaded) == tables(built)


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
    assert hcl_grammar.parse(SOURCE).serialize(options=options())["resource"]
    assert hcl_grammar.loads(path.read_text()) is not None  # rewritten


def test_unwritable_folder_still_parses(fresh, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(hcl_grammar, "_cache_dir", blocker / "sub")  # cannot mkdir under a file
    assert hcl_grammar.parse(SOURCE).serialize(options=options())["resource"]


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


def test_no_cache_run_keeps_grammar_in_the_user_cache_folder(tmp_path, monkeypatch):
    """``--no-cache`` leaves the result cache alone, yet the compiled grammar (derived from
    installed code only) is read from and written to ``$XDG_CACHE_HOME/compliance-rego``."""
    from click.testing import CliRunner

    from compliance.cli.main import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(SOURCE)
    args = ["evaluate", str(tmp_path / "main.tf"), "--no-cache", "--format", "json"]
    hcl_grammar.parser.cache_clear()
    first = CliRunner().invoke(cli, args)
    folder = tmp_path / "xdg" / "compliance-rego"
    assert first.exit_code in (0, 1), first.output
    assert hcl_grammar.cache_path(folder).is_file()

    def no_build():
        raise AssertionError("built again instead of reading the user cache folder")

    hcl_grammar.parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "build", no_build)
    second = CliRunner().invoke(cli, args)
    hcl_grammar.parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "_cache_dir", None)
    assert second.exit_code == first.exit_code, second.output
    assert json.loads(second.stdout)["findings"] == json.loads(first.stdout)["findings"]
    assert not (tmp_path / ".compliance-cache").exists()


def test_user_cache_folder_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert hcl_grammar.user_cache_dir() == tmp_path / "x" / "compliance-rego"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hcl_grammar.user_cache_dir() == tmp_path / "home" / ".cache" / "compliance-rego"
