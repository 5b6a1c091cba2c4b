"""Seeded mutations of the loader fixtures: loading never raises, no error is an "internal
error" or lacks its file, and every loaded resource is something the engine can take."""

from __future__ import annotations

import random
import re
from pathlib import Path

import orjson
import pytest

from compliance.inputs import LoadOptions, load_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SOURCES = sorted(p for p in (FIXTURES / "loaders").iterdir() if p.is_file()) + sorted(
    p for p in (FIXTURES / "foreign").rglob("*") if p.is_file() and p.suffix != ".md"
)
TOKENS = [
    "18446744073709551616",
    "-9223372036854775809",
    "9" * 5000,
    '"\\ud800"',
    "\\udfff",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "- ",
    "\n",
    "  ",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "= ",
    '"',
    "'",
    "{{ .x }}",
    "#",
    "---\n",
    "\t",
    "1e999",
    "~",
    "? ",
    "|\n",
    "FROM\n",
    "[[a]]\n",
]


POISON_NUMBERS = ["18446744073709551616", "-9223372036854775809", "9" * 5000]
POISON_STRINGS = ["\\ud800", "\\udfff", "a\\ud83d"]
_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
_QUOTED = re.compile(r'"[^"\\\n]*"')


def _poison(text: str, rng: random.Random) -> str:
    """A number replaced by one the engine cannot take, or a lone surrogate escape put
    into a double-quoted string (YAML, JSON, TOML)."""
    pattern, values = rng.choice([(_NUMBER, POISON_NUMBERS), (_QUOTED, POISON_STRINGS)])
    spots = list(pattern.finditer(text))
    if not spots:
        return text
    m = rng.choice(spots)
    value = rng.choice(values)
    new = value if pattern is _NUMBER else m.group()[:-1] + value + '"'
    return text[: m.start()] + new + text[m.end() :]


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.3:
            text = _poison(text, rng)
        elif op < 0.5:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op < 0.75:
            text = text[:i] + text[i + rng.randint(1, 20) :]
        else:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[j : j + rng.randint(1, 40)] + text[i:]
    return text


@pytest.mark.parametrize("seed", range(4))
def test_mutated_inputs_fail_only_as_errors_of_their_file(tmp_path, monkeypatch, seed):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(seed)
    for i in range(40):
        source = rng.choice(SOURCES)
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        (folder / source.name).write_text(_mutate(source.read_text(), rng))
    result = load_paths(sorted(p.name for p in tmp_path.iterdir()), LoadOptions(env={}))
    for error in result.errors:
        assert error.file.startswith("case"), error
        assert "internal error" not in error.message, error
    for resource in result.resources:
        orjson.dumps({"body": resource.body, "facts": resource.facts})
