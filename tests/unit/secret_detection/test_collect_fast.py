"""Load-time secret collection (``collect.walk``) collects exactly what the straightforward
walk kept here as a reference did: on the shared corpus, the examples, the fixtures and
hand-made cases."""

from __future__ import annotations

import enum
import functools
import re
from pathlib import Path
from typing import Any

import pytest

from compliance.evaluation.executor import map_in_processes
from compliance.inputs import LoadOptions, load_paths, registry
from compliance.secrets import collect, detect
from tests.shared import corpus_projects

ROOT = Path(__file__).resolve().parents[3]
INPUT_ROOTS = [ROOT / "examples", ROOT / "tests" / "fixtures"]


def _reference_secret_literal(name: str, value: Any) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and detect.looks_secret_name(name)
        and not detect.is_reference(value)
        and not detect.NOT_A_SECRET_VALUE.match(value.strip())
    )


def _reference_walk(node: Any, values: set[str], shapes: bool = True) -> None:
    """The walk as it was before the per-type dispatch (``shapes=False``: without the
    token and URL-password rules, as ``scan_literals`` walks)."""
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and _reference_secret_literal(name, node.get("value")):
            values.add(node["value"])
        for key, v in node.items():
            if _reference_secret_literal(str(key), v):
                values.add(v)
            elif isinstance(v, dict) and detect.looks_secret_name(str(key)):
                for inner in ("value", "default"):
                    if _reference_secret_literal(str(key), v.get(inner)):
                        values.add(v[inner])
                _reference_walk(v, values, shapes)
            else:
                _reference_walk(v, values, shapes)
    elif isinstance(node, list):
        for item in node:
            _reference_walk(item, values, shapes)
    elif isinstance(node, str):
        name, sep, value = node.partition("=")
        if sep and _reference_secret_literal(name.strip(), value):
            values.add(value)
        for m in detect.SECRET_VALUE.finditer(node) if shapes else ():
            values.add(m.group(0))
        for m in detect.URL_CREDENTIALS.finditer(node) if shapes else ():
            values.add(m.group("pw"))
        if detect.PEM_BEGIN.search(node):
            values.update(
                line.strip() for line in node.splitlines() if line.strip() and "-----" not in line
            )


def _collected(node: Any) -> set[str]:
    values: set[str] = set()
    collect.walk(node, values)
    return values


def _reference(node: Any) -> set[str]:
    values: set[str] = set()
    _reference_walk(node, values)
    return values


class _Color(str, enum.Enum):  # noqa: UP042 - str() of the key is not its value
    PASSWORD = "red"


PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n  def==  \n-----END RSA PRIVATE KEY-----\n"
TOKEN = "ghp_" + "a1B2" * 9

HAND_MADE: list[Any] = [
    {"password": "hunter22", "token": " ", "apiKey": "\u2003", "secret": "", "api_key": 12},
    {"DB_PASSWORD": "postgres://u:pw1@db:5432/x", "url": "postgres://u:pw2@db:5432/x"},
    {"name": "DB_PASSWORD", "value": "s3cr3t-value"},
    {"name": "DB_PASSWORD", "value": "${DB_PASSWORD}", "other": "$(X)"},
    {"name": 5, "value": "not-secret", "5": "x"},
    {"name": "password", "value": "true", "token": "yes", "secret": "1234"},
    {"password": {"value": "inner-v", "default": "inner-d", "x": "PASSWORD=inner-x"}},
    {"client_secret": {"value": "${var.x}", "default": None, "nested": {"token": "deep-t"}}},
    {"secretName": "not-a-value", "password_file": "/run/pw", "tokenPath": "/t"},
    {1: "a", 2.5: "b", False: "c", None: "d", _Color.PASSWORD: "enum-keyed"},
    {"x": ["API_KEY=abc123def", " token = spaced ", "password=", "password= ", "a=b=c"]},
    {"x": [["nested", [TOKEN, "AKIA" + "A" * 16]], "xoxb-1234567890-abc"]},
    {"cert": PEM, "key": "no PRIVATE KEY header here"},
    {"token": PEM, "notes": f"prefix {TOKEN} suffix https://user:pa55@host/path"},
    {"env": [{"name": "SECRET_KEY", "value": "k1"}, {"name": "MODE", "value": "prod"}]},
    {"access_key": "var.access", "auth_key": "local.key", "signing_key": "[REDACTED]"},
    {"PassWord": "MixedCase1", "\u017fecret": "long-s-key", "to\u212aen": "kelvin-key"},
    ["password=top", {"token": ["list-under-secret-name"]}, 7, None, 1.5, True],
    "password=bare-string",
    "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4f",
]


@pytest.mark.parametrize("node", HAND_MADE, ids=range(len(HAND_MADE)))
def test_hand_made_cases_match_reference(node: Any) -> None:
    assert _collected(node) == _reference(node)


def _literals(node: Any) -> set[str]:
    values: set[str] = set()
    collect.walk(node, values, collect.scan_literals)
    return values


def _reference_literals(node: Any) -> set[str]:
    values: set[str] = set()
    _reference_walk(node, values, shapes=False)
    return values


@pytest.mark.parametrize("node", HAND_MADE, ids=range(len(HAND_MADE)))
def test_the_literal_walk_matches_reference(node: Any) -> None:
    """The walk of a file without token marks (``scan_literals``, called only for strings
    holding ``=`` or ``PRIVATE KEY``) keeps every literal rule."""
    assert _literals(node) == _reference_literals(node)


def test_the_literal_walk_of_the_corpus_matches_reference() -> None:
    bodies = _bodies(*INPUT_ROOTS)
    assert any(_reference_literals(body) for body in bodies)
    for body in bodies:
        assert _literals(body) == _reference_literals(body)


def test_hand_made_cases_collect_what_they_plant() -> None:
    found = set().union(*(_collected(node) for node in HAND_MADE))
    planted = {
        "hunter22",
        "postgres://u:pw1@db:5432/x",
        "pw2",
        "s3cr3t-value",
        "inner-v",
        "inner-d",
        "inner-x",
        "deep-t",
        "abc123def",
        " spaced ",
        TOKEN,
        "MIIEabc",
        "def==",
        "pa55",
        "k1",
        "MixedCase1",
        "top",
        "bare-string",
        "enum-keyed",
    }
    assert planted <= found
    assert not {"pw1", "not-a-value", "/run/pw", "prod", "a", "true", "1234"} & found


def _bodies(*roots: Path) -> list[Any]:
    loaded = load_paths([str(p) for p in roots], LoadOptions())
    assert loaded.resources
    return [r.body for r in loaded.resources]


def test_corpus_bodies_match_reference() -> None:
    bodies = _bodies(*INPUT_ROOTS)
    for body in bodies:
        assert _collected(body) == _reference(body)
    assert _collected(bodies) == _reference(bodies)


def test_shared_corpus_bodies_match_reference() -> None:
    bodies = _bodies(*corpus_projects())
    for body in bodies:
        assert _collected(body) == _reference(body)
    assert _collected(bodies) == _reference(bodies)


def test_the_token_mark_test_finds_every_mark_anywhere() -> None:
    """``may_hold_token`` (marks searched for alone or in groups sharing a prefix) says
    yes exactly when a string holds one of ``_TOKEN_MARKS``: each mark at the start, the
    middle and the end of long and short text, near misses of each (one character
    short, or the first characters of a grouped mark without the rest), and the corpus
    strings."""
    marks = detect.TOKEN_MARKS

    def reference(text: str) -> bool:
        return any(mark in text for mark in marks)

    filler = "height: weight; xo ak_ k_li gh_ ghx eyj " * 200
    texts = [filler, ""]
    for mark in marks:
        for near in (mark[:-1], mark[:2], mark[1:], mark.lower(), mark.upper()):
            texts += [near, filler + near, near + filler]
        texts += [mark, mark + filler, filler + mark, filler + mark + filler]
    texts += _corpus_strings()
    assert sum(map(reference, texts)) >= 4 * len(marks)  # both answers are exercised
    for text in texts:
        assert detect.may_hold_token(text) is reference(text), text[:80]
    # every mark is covered by exactly one test (alone, or one shared pattern)
    grouped = [m for m in marks if any(search(m) for search in detect.MARK_SEARCHES)]
    assert sorted([*detect.MARKS_ALONE, *grouped]) == sorted(marks)
    # and, for long texts, by exactly one of the text searches, which finds it
    covered = [m for listed, _ in detect.TEXT_SEARCHES for m in listed]
    assert sorted(covered) == sorted(marks)
    for listed, test in detect.TEXT_SEARCHES:
        for mark in listed:
            assert test(filler + mark)
            assert not test(filler + mark[:-1])


def test_long_and_short_texts_get_the_same_answers() -> None:
    """The searches for long texts (``LONG_TEXT``) answer as the plain substring tests do:
    each mark, ``PRIVATE KEY`` and a URL with ``@`` at either side of the length bound,
    after many occurrences of the anchor character of ``found_by_anchor`` (past its
    tries), right at the anchor's first possible place, and never at a near miss."""

    def shape_reference(text: str) -> bool:
        return (
            any(mark in text for mark in detect.TOKEN_MARKS)
            or ("://" in text and "@" in text)
            or "PRIVATE KEY" in text
        )

    pieces = [*detect.TOKEN_MARKS, "PRIVATE KEY", "PRIVATE KE", "RIVATE KEY", "u://a@b", "u://"]
    fillers = [
        "x" * n for n in (0, 10, detect.LONG_TEXT - 12, detect.LONG_TEXT, 2 * detect.LONG_TEXT)
    ]
    fillers += ["J Y eJ yJ KEY " * 40 + "a" * detect.LONG_TEXT, "J" * 50, "Y" * 50]
    texts = []
    for piece in pieces:
        for filler in fillers:
            texts += [piece + filler, filler + piece, filler + piece + filler]
    texts += ["@" + "x" * detect.LONG_TEXT, "://" + "x" * detect.LONG_TEXT]
    assert any(len(t) < detect.LONG_TEXT for t in texts)
    assert any(len(t) >= detect.LONG_TEXT for t in texts)
    for text in texts:
        reference = any(mark in text for mark in detect.TOKEN_MARKS)
        assert detect.may_hold_token(text) is reference, (len(text), text[:40], text[-40:])
        assert detect.may_hold_shape(text) is shape_reference(text), (len(text), text[:40])


def test_found_by_anchor_is_substring_search() -> None:
    """``found_by_anchor(mark, anchor)(text) == (mark in text)`` whatever the number and
    place of the anchor's occurrences."""
    cases = ["", "eyJ", "yJ", "eJ", "J" * 40 + "eyJ", "eyJ" + "J" * 40, "xeyJx", "ey" + "J" * 17]
    cases += ["J" * k + "ey" + "J" for k in range(20)]
    cases += ["eyeyeJ" * k + "eyJ" for k in range(20)]
    cases += ["J" * k for k in range(20)]
    for tries in (1, 2, 16):
        found = detect.found_by_anchor("eyJ", "J", tries)
        for text in cases:
            assert found(text) is ("eyJ" in text), (tries, text)
    key = detect.found_by_anchor("PRIVATE KEY", "Y", 2)
    for text in ["PRIVATE KEY", "Y PRIVATE KEY", "YYY PRIVATE KEY", "PRIVATE KE", "KEY YY"]:
        assert key(text) is ("PRIVATE KEY" in text), text


def _corpus_strings() -> list[str]:
    found: list[str] = []

    def strings(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                strings(v)
        elif isinstance(node, list):
            for v in node:
                strings(v)
        elif isinstance(node, str):
            found.append(node)

    loaded = load_paths([str(ROOT / "examples"), str(ROOT / "tests" / "fixtures")], LoadOptions())
    for resource in loaded.resources:
        strings(resource.body)
    return found


AWS_KEY = "AKIA" + "B" * 16
ESCAPED_FILES = {
    # a token spelled with an escape, or split by an escaped line break: the file's text
    # holds no mark, its parsed string does
    "escaped.yaml": f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata:\n  k: "\\x41{AWS_KEY[1:]}"\n',
    "joined.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n"
        f'  k: "{TOKEN[:3]}\\\n  {TOKEN[3:]}"\n'
    ),
    "embedded.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n"
        "    kubectl.kubernetes.io/last-applied-configuration: "
        f'\'{{"data": {{"k": "\\u0041{AWS_KEY[1:]}"}}}}\'\n'
    ),
    "plan.json": f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "d"}}, "data": {{"k": "\\u0041{AWS_KEY[1:]}"}}}}',
    # a PEM header folded over two lines of a plain scalar: "PRIVATE KEY" only once parsed
    # (the empty line is the parsed value's line break)
    "folded.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\ndata:\n"
        "  k: -----BEGIN RSA PRIVATE\n    KEY-----\n\n    MIIEfolded\n"
    ),
    "url.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f}\ndata:\n  k: postgres://u:pa55word@db/x\n",
    "plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g}\ndata:\n  k: nothing to see\n",
}


def _by_file(loaded: Any) -> dict[str, set[str]]:
    return {rel: set(v) for rel, v in loaded.secrets.items() if v}


@pytest.mark.parametrize("workers", [1, 2])
def test_file_level_skip_collects_what_a_full_scan_collects(tmp_path: Path, workers: int) -> None:
    """A YAML or JSON file whose text holds no hint of a token or URL password is not
    scanned for them string by string; escapes, line joins and folding still are."""
    for name, text in ESCAPED_FILES.items():
        (tmp_path / name).write_text(text)
    mapper = functools.partial(map_in_processes, workers=workers) if workers > 1 else None
    loaded = load_paths([str(tmp_path)], LoadOptions(), map_files=mapper)
    assert not loaded.errors
    full = {rel: v for rel, v in registry.collect_secrets(loaded.resources).items() if v}
    assert _by_file(loaded) == full
    found = set().union(*full.values())
    assert {AWS_KEY, TOKEN, "MIIEfolded", "pa55word"} <= found


def test_file_level_skip_matches_full_scan_on_the_fixtures() -> None:
    roots = [*INPUT_ROOTS, ROOT / "tests" / "packs" / "cases"]
    loaded = load_paths([str(p) for p in roots], LoadOptions())
    full = {rel: v for rel, v in registry.collect_secrets(loaded.resources).items() if v}
    assert full
    assert _by_file(loaded) == full


def test_folded_private_key_is_the_spaced_pattern() -> None:
    """``folded_private_key`` answers as ``PRIVATE\\s+KEY`` searched over the text, with
    few and with many ``Y`` before the words (past its tries)."""
    spaced = re.compile(r"PRIVATE\s+KEY")
    words = ["PRIVATE\n  KEY", "PRIVATE \r\n\tKEY", "PRIVATE KEY", "PRIVATE\u2028KEY"]
    near = ["PRIVATEKEY", "PRIVATE\nKE", "RIVATE\n KEY", "KEY PRIVATE", "\n KEY", "PRIVATE\n"]
    fillers = ["", "x", "YY KEY " * 30, "Y" * 40]
    texts = [a + piece + b for piece in words + near for a in fillers for b in fillers]
    assert any(spaced.search(t) for t in texts) and not all(spaced.search(t) for t in texts)
    for tries in (1, 2, 16):
        for text in texts:
            assert collect.folded_private_key(text, tries) is bool(spaced.search(text)), text


def test_a_key_header_folded_over_two_lines_is_a_shape(tmp_path: Path) -> None:
    """YAML reads a line break inside a multi-line scalar as a space: the value holds
    ``-----BEGIN RSA PRIVATE KEY-----`` though the file's text holds no ``PRIVATE KEY``.
    SEC-03's shape is recorded as for the same value on one line."""
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\ndata:\n"
    folded = tmp_path / "folded.yaml"
    folded.write_text(head + "  key: -----BEGIN RSA PRIVATE\n    KEY----- MIIEabc\n")
    one_line = tmp_path / "one-line.yaml"
    one_line.write_text(head + "  key: -----BEGIN RSA PRIVATE KEY----- MIIEabc\n")
    shapes = {}
    for path in (folded, one_line):
        loaded = load_paths([str(path)], LoadOptions(env={}))
        (resource,) = loaded.resources
        assert resource.body["data"]["key"] == "-----BEGIN RSA PRIVATE KEY----- MIIEabc"
        shapes[path.name] = [(s["path"], s["shape"]) for s in resource.facts["secret_shapes"]]
    assert shapes["folded.yaml"] == shapes["one-line.yaml"] == [("data.key", "private-key")]
