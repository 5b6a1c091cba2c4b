"""Redaction of secret values before anything enters a bundle or a report.

Two layers, so that neither a parser gap nor an odd layout leaks a value:
1. structural: secret values are collected from the parsed resources (Kubernetes Secret
   ``data``/``stringData``, env entries, Dockerfile ``ENV``/``ARG``, compose environment,
   Terraform sensitive variables and literal passwords);
2. textual: line rules (``name: value``, ``NAME=value``, ``name = "value"``, Secret data
   blocks, env ``name``/``value`` pairs, PEM private key blocks, well-known token shapes).

Every collected value is then replaced wherever it occurs. Values become ``[REDACTED]`` in place,
so every file keeps its line count and findings' line numbers still point at the right line.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import functools
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from compliance.models import Report, Resource

if TYPE_CHECKING:
    from compliance.loaders import LoadResult

MASK = "[REDACTED]"
MIN_SCRUB_LEN = 4
"""Collected values shorter than this are masked by the line rules only, not replaced globally."""

SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key|auth[_-]?key|client[_-]?key|signing[_-]?key)"
)
_NOT_A_VALUE_NAME = re.compile(
    r"(?i)^(secretName|secretKeyRef|secretRef|existingSecret|secretProviderClass)$"
    r"|(_file|_path|_dir|File|Path|Dir|_length|_len|Length|_ttl|_timeout|_days|_rotation|_required|Required|_enabled|Enabled)$"
    r"|^(automount\w*token|require\w*|\w*_min_\w*|min_\w*|max_\w*)$"
)
_NOT_A_SECRET_VALUE = re.compile(
    r"(?i)^(true|false|yes|no|on|off|null|none|~|required|optional|enabled|disabled|auto|default|\[REDACTED\]|-?\d{1,9}(\.\d+)?)$"
)
_REFERENCE = re.compile(
    r"^\s*(\$\{[^}]+\}|\$\([^)]+\)|\$[A-Za-z_][A-Za-z0-9_]*|var\.[\w.]+|local\.[\w.]+)\s*$"
)
SECRET_VALUE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{30,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(sk|rk)_(live|test)_[A-Za-z0-9]{16,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")"
)
_URL_CREDENTIALS = re.compile(
    r"(?P<pre>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]+:)(?P<pw>[^@\s/'\"]+)(?=@)"
)
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----")
_PEM_INLINE = re.compile(
    r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)"
)

# name: value  |  "name": "value"  |  name = "value"  |  NAME=value  (value up to a comment or separator)
_YAML_PAIR = re.compile(
    r"^(?P<pre>\s*(?:-\s+)?(?P<q>[\"']?)(?P<name>[\w.\-/]+)(?P=q)\s*:[ \t]+)(?P<value>[^#\s{\[|>&*!][^\n]*?|[|>][-+0-9]*)(?P<post>[ \t]*(?:#.*)?,?)$"
)
_JSON_PAIR = re.compile(
    r"(?P<pre>\"(?P<name>[^\"\\]+)\"\s*:\s*\")(?P<value>(?:[^\"\\]|\\.)*)(?P<post>\")"
)
_ASSIGN = re.compile(
    r"(?P<pre>(?:^|[\s;,\[{(])(?P<q>[\"']?)(?P<name>[A-Za-z_][\w.\-]*)(?P=q)[ \t]*=[ \t]*)(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s,;#\]})]+)"
)
_DOCKER_ENV_SPACE = re.compile(
    r"^(?P<pre>\s*(?:ENV|ARG)\s+(?P<name>[A-Za-z_]\w*)\s+)(?P<value>\S.*?)(?P<post>\s*\\?)$", re.I
)
_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?:-\s+)?(?P<name>[\w.\-/\"']+)\s*:(?P<rest>.*)$")


@dataclass(frozen=True)
class Redacted:
    text: str
    count: int
    """Lines changed."""


@functools.lru_cache(maxsize=8192)
def looks_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not _NOT_A_VALUE_NAME.search(name)


_TOKEN_MARKS = (
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "k_live_",
    "k_test_",
    "glpat-",
    "eyJ",
)
"""Literal text every SECRET_VALUE match contains: a string with none of these cannot match,
so the (slow, per-position) token pattern runs only on strings that have one."""


def _mark_tests(
    marks: Sequence[str],
) -> tuple[tuple[str, ...], tuple[Callable[[str], re.Match[str] | None], ...]]:
    """The marks searched for as they are, and the marks that share their first two
    characters with another as one pattern each (the regex engine finds the shared prefix
    with a fast literal search; an alternation of every mark, whose first characters
    include ``e`` and ``g``, is tried at almost every position of a megabyte of dashboard
    JSON)."""
    groups: dict[str, list[str]] = {}
    for mark in marks:
        groups.setdefault(mark[:2], []).append(mark)
    alone = tuple(group[0] for group in groups.values() if len(group) == 1)
    shared = tuple(
        re.compile("|".join(map(re.escape, group))).search
        for group in groups.values()
        if len(group) > 1
    )
    return alone, shared


_MARKS_ALONE, _MARK_SEARCHES = _mark_tests(_TOKEN_MARKS)


def may_hold_token(text: str) -> bool:
    """Whether ``text`` holds one of ``_TOKEN_MARKS``."""
    for mark in _MARKS_ALONE:
        if mark in text:
            return True
    # a loop, not ``any`` over a generator: called for every string loaded
    for search in _MARK_SEARCHES:  # noqa: SIM110
        if search(text):
            return True
    return False


def is_reference(value: str) -> bool:
    return bool(_REFERENCE.match(value))


def _secret_literal(name: str, value: Any) -> bool:
    """A non-blank string under a secret-looking name that is neither a reference nor a
    flag or number. ``isspace`` is ``strip() == ""`` without copying the string."""
    if not isinstance(value, str) or not value or value.isspace() or not looks_secret_name(name):
        return False
    return not is_reference(value) and not _NOT_A_SECRET_VALUE.match(value.strip())


# ---------------------------------------------------------------- structural collection


def collect_secrets(resources: Iterable[Resource]) -> dict[str, set[str]]:
    """rel file -> secret values found in its parsed resources."""
    found: dict[str, set[str]] = defaultdict(set)
    for r in resources:
        values = found[r.source.file]
        if r.kind == "Secret":
            for field in ("data", "stringData"):
                block = r.body.get(field)
                if isinstance(block, dict):
                    for v in block.values():
                        _add_with_decoded(values, v, decode=field == "data")
        if r.kind == "terraform_variable" and (
            r.body.get("sensitive") is True or looks_secret_name(r.name)
        ):
            _add_any(values, r.body.get("default"))
        for entry in list(r.facts.get("env") or []) + list(r.facts.get("environment") or []):
            if isinstance(entry, dict):
                name, value = str(entry.get("name", "")), entry.get("value")
                if _secret_literal(name, value) or (
                    isinstance(value, str) and SECRET_VALUE.search(value)
                ):
                    values.add(str(value))
        _walk(r.body, values)
    return found


def collect_from_text(rel: str, text: str) -> set[str]:
    """Secrets in a JSON document's raw structure (e.g. a plan's ``variables``), beyond its resources."""
    values: set[str] = set()
    if rel.lower().endswith(".json"):
        with contextlib.suppress(ValueError, RecursionError):
            _walk(json.loads(text), values)
    return values


def _add_with_decoded(values: set[str], v: Any, *, decode: bool) -> None:
    if not isinstance(v, str) or not v.strip():
        return
    values.add(v)
    if decode:
        try:
            plain = base64.b64decode(v, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return
        values.update(line for line in plain.splitlines() if line.strip())
        if plain.strip():
            values.add(plain)


def _add_any(values: set[str], v: Any) -> None:
    """Every non-blank string of ``v`` that is not a reference."""

    def add(s: str) -> None:
        if s.strip() and not is_reference(s):
            values.add(s)

    _strings_of(v, add)


def _walk(node: Any, values: set[str]) -> None:
    if isinstance(node, dict):
        _walk_mapping(node, values)
    elif isinstance(node, list):
        _walk_sequence(node, values)
    elif isinstance(node, str):
        _scan_string(node, values)


def _walk_mapping(node: dict[Any, Any], values: set[str]) -> None:
    """Children dispatched here by type rather than through ``_walk``: one call fewer per
    value (a body has tens of thousands), and the secret-name test first, since a key
    that does not look like one rules out both literal checks."""
    name = node.get("name")
    if isinstance(name, str) and _secret_literal(name, node.get("value")):
        values.add(node["value"])
    for key, v in node.items():
        if key.__class__ is not str:
            key = str(key)
        if looks_secret_name(key):
            if _secret_literal(key, v):
                values.add(v)
                continue
            if isinstance(v, dict):
                for inner in ("value", "default"):
                    if _secret_literal(key, v.get(inner)):
                        values.add(v[inner])
        if isinstance(v, str):
            _scan_string(v, values)
        elif isinstance(v, dict):
            _walk_mapping(v, values)
        elif isinstance(v, list):
            _walk_sequence(v, values)


def _walk_sequence(node: list[Any], values: set[str]) -> None:
    for item in node:
        if isinstance(item, str):
            _scan_string(item, values)
        elif isinstance(item, dict):
            _walk_mapping(item, values)
        elif isinstance(item, list):
            _walk_sequence(item, values)


def _scan_string(node: str, values: set[str]) -> None:
    name, sep, value = node.partition("=")
    if sep and _secret_literal(name.strip(), value):
        values.add(value)
    # The literal checks only skip patterns that cannot match (the corpus holds
    # megabytes of dashboard JSON in ConfigMaps): same values, a fraction of the time.
    if may_hold_token(node):
        for m in SECRET_VALUE.finditer(node):
            values.add(m.group(0))
    if "://" in node and "@" in node:
        for m in _URL_CREDENTIALS.finditer(node):
            values.add(m.group("pw"))
    if "PRIVATE KEY" in node and _PEM_BEGIN.search(node):
        values.update(
            line.strip() for line in node.splitlines() if line.strip() and "-----" not in line
        )


def input_secrets(loaded: LoadResult) -> set[str]:
    """Every secret value in the inputs: collected from the parsed resources (already in
    memory) and from the raw structure of JSON inputs. What a report is scrubbed of; cheap
    next to ``redact_inputs``, which also rewrites every input's text for a bundle."""
    from compliance.loaders.registry import LoadedFiles

    if isinstance(loaded, LoadedFiles):
        # collected where each file was parsed; resources added since (stdin) walked here
        secrets_by_file = {rel: set(v) for rel, v in loaded.secrets.items() if v}
        known = loaded.secrets.keys()
        rest = [r for r in loaded.resources if r.source.file not in known]
        for rel, values in collect_secrets(rest).items():
            secrets_by_file.setdefault(rel, set()).update(values)
    else:
        secrets_by_file = collect_secrets(loaded.resources)
    for rel, text in loaded.texts.items():
        if rel.lower().endswith(".json"):  # collect_from_text reads JSON documents only
            secrets_by_file.setdefault(rel, set()).update(collect_from_text(rel, text))
    return set().union(*secrets_by_file.values()) if secrets_by_file else set()


# ---------------------------------------------------------------- text rules


def redact_text(
    text: str, secrets: Iterable[str] = (), resources: Sequence[Resource] = ()
) -> Redacted:
    """``text`` with secret values masked; same number of lines."""
    lines = text.split("\n")
    out = list(lines)
    _mask_pem_blocks(out)
    _mask_secret_data_blocks(out, resources)
    _mask_env_pairs(out)
    _mask_sensitive_tf_blocks(out, resources)
    for i, line in enumerate(out):
        out[i] = _mask_line(line)
    patterns = value_patterns(secrets)
    for i, line in enumerate(out):
        for value, pattern in patterns:
            if value in line:
                line = pattern.sub(MASK, line)
        out[i] = line
    changed = sum(1 for a, b in zip(lines, out, strict=True) if a != b)
    return Redacted("\n".join(out), changed)


def value_patterns(secrets: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    """One pattern per secret (longest first), matching it only as a whole token."""
    out = []
    usable = {
        s
        for s in secrets
        if len(s) >= MIN_SCRUB_LEN and "\n" not in s and not _NOT_A_SECRET_VALUE.match(s.strip())
    }
    for value in sorted(usable, key=lambda v: (-len(v), v)):
        lead = r"(?<![A-Za-z0-9_])" if value[0].isalnum() or value[0] == "_" else ""
        tail = r"(?![A-Za-z0-9_])" if value[-1].isalnum() or value[-1] == "_" else ""
        out.append((value, re.compile(lead + re.escape(value) + tail)))
    return out


def _mask_line(line: str) -> str:
    line = _PEM_INLINE.sub(lambda m: m.group(1) + MASK + m.group(4), line)
    m = _YAML_PAIR.match(line)
    if m and _secret_literal(m.group("name"), _unquote(m.group("value"))):
        line = m.group("pre") + _quoted_mask(m.group("value")) + m.group("post")
    m = _DOCKER_ENV_SPACE.match(line)
    if (
        m
        and "=" not in m.group("value").split()[0]
        and _secret_literal(m.group("name"), m.group("value"))
    ):
        line = m.group("pre") + MASK + m.group("post")
    line = _JSON_PAIR.sub(
        lambda m: (
            m.group("pre") + MASK + m.group("post")
            if _secret_literal(m.group("name"), m.group("value"))
            else m.group(0)
        ),
        line,
    )
    line = _ASSIGN.sub(
        lambda m: (
            m.group("pre") + _quoted_mask(m.group("value"))
            if _secret_literal(m.group("name"), _unquote(m.group("value")))
            else m.group(0)
        ),
        line,
    )
    line = SECRET_VALUE.sub(MASK, line)
    line = _URL_CREDENTIALS.sub(lambda m: m.group("pre") + MASK, line)
    return line


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


def _quoted_mask(value: str) -> str:
    v = value.strip()
    if v[:1] in "|>":
        return v  # block scalar: its lines are masked by the block rules
    if v[:1] in "\"'":
        return v[0] + MASK + v[0]
    return MASK


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _mask_block_after(out: list[str], start: int, parent_indent: int) -> None:
    """Mask every non-blank line after ``start`` that is indented deeper than ``parent_indent``."""
    j = start + 1
    while j < len(out):
        line = out[j]
        if line.strip() and _indent(line) <= parent_indent:
            break
        if line.strip():
            m = _YAML_KEY.match(line)
            if m and m.group("rest").strip() and m.group("rest").strip()[:1] not in "|>":
                out[j] = f"{line[: len(line) - len(m.group('rest'))]} {MASK}"
            elif m and m.group("rest").strip()[:1] in "|>" or m and not m.group("rest").strip():
                pass
            else:
                out[j] = " " * _indent(line) + MASK
        j += 1


def _mask_pem_blocks(out: list[str]) -> None:
    inside = False
    for i, line in enumerate(out):
        if _PEM_BEGIN.search(line) and not _PEM_END.search(line):
            inside = True
            continue
        if inside:
            if _PEM_END.search(line):
                inside = False
                continue
            if line.strip():
                out[i] = line[: _indent(line)] + MASK


def _mask_secret_data_blocks(out: list[str], resources: Sequence[Resource]) -> None:
    """Kubernetes Secret ``data``/``stringData``: every value below the key."""
    spans = [
        (r.source.line - 1, (r.source.end_line or len(out)))
        for r in resources
        if r.kind == "Secret"
    ]
    for first, last in spans:
        for i in range(max(first, 0), min(last, len(out))):
            m = _YAML_KEY.match(out[i])
            if m and m.group("name").strip("\"'") in ("data", "stringData"):
                rest = m.group("rest").strip()
                if rest.startswith("{"):
                    out[i] = out[i][: len(out[i]) - len(m.group("rest"))] + " {}"
                else:
                    _mask_block_after(
                        out,
                        i,
                        _indent(out[i])
                        if not out[i].lstrip().startswith("-")
                        else _indent(out[i]) + 2,
                    )


def _mask_env_pairs(out: list[str]) -> None:
    """``- name: DB_PASSWORD`` followed by ``value: ...`` in the same list item."""
    name_line = re.compile(r"^(?P<lead>\s*(?:-\s+)?)name:\s*[\"']?(?P<name>[\w.\-]+)[\"']?\s*$")
    for i, line in enumerate(out):
        m = name_line.match(line)
        if not m or not looks_secret_name(m.group("name")):
            continue
        col = len(m.group("lead"))
        for j in range(i + 1, len(out)):
            nxt = out[j]
            if not nxt.strip():
                continue
            if _indent(nxt) < col or nxt.lstrip().startswith("- ") and _indent(nxt) <= col:
                break
            vm = re.match(r"^(?P<pre>\s*value:\s*)(?P<value>.*?)\s*$", nxt)
            if vm and _indent(nxt) == col and vm.group("value"):
                v = vm.group("value")
                if v[:1] in "|>":
                    _mask_block_after(out, j, col)
                elif not is_reference(_unquote(v)):
                    out[j] = vm.group("pre") + _quoted_mask(v)
                break
    return None


def _mask_sensitive_tf_blocks(out: list[str], resources: Sequence[Resource]) -> None:
    """``default`` of a Terraform variable marked sensitive (or with a secret-looking name)."""
    for r in resources:
        if r.kind != "terraform_variable" or r.source.end_line is None:
            continue
        if not (r.body.get("sensitive") is True or looks_secret_name(r.name)):
            continue
        first, last = r.source.line - 1, min(r.source.end_line, len(out))
        multiline = False
        for i in range(first + 1, last):
            line = out[i]
            if multiline:
                if i < last - 1 and line.strip():
                    out[i] = line[: _indent(line)] + MASK
                continue
            m = re.match(r"^(?P<pre>\s*default\s*=\s*)(?P<value>.*)$", line)
            if m:
                value = m.group("value").strip()
                if value[:1] in "{[" and not value.endswith(("}", "]")) or value.startswith("<<"):
                    multiline = True
                    continue
                if not is_reference(_unquote(value)):
                    out[i] = m.group("pre") + _quoted_mask(value)


# ---------------------------------------------------------------- reports


_NAME_STEMS = ("passw", "secret", "token", "key", "credential")
"""Text every ``SECRET_NAME`` match holds, lowercased (tests/unit/evidence/test_redact.py
expands each of its alternatives): the pair rules mask a value only under such a name."""
_UNNAMED_HINTS = ("-----", "://")
"""What the rules that need no secret name look for besides a token mark: a PEM header,
a URL (credentials before its ``@``)."""
_PAIR_HINTS = (":", "=")
"""What a ``name: value``, JSON pair or ``name=value`` needs; ``ENV``/``ARG`` instructions
are found by their (caseless) keyword instead."""


def _line_rules_may_apply(line: str) -> bool:
    """False when no rule of ``_mask_line`` can change ``line``: no PEM header, URL or
    token mark, and no secret-looking name (``_NAME_STEMS``) with a pair to mask. Substring
    tests, not one regex: an alternation with a case-insensitive branch tries every branch
    at every position. A line beyond ASCII is always tested (caseless matching treats ``ſ``
    as ``s`` and the Kelvin sign as ``k``)."""
    if not line.isascii() or any(hint in line for hint in _UNNAMED_HINTS):
        return True
    if may_hold_token(line):
        return True
    lower = line.lower()
    if not any(stem in lower for stem in _NAME_STEMS):
        return False
    return any(hint in line for hint in _PAIR_HINTS) or "env" in lower or "arg" in lower


def scrub(value: Any, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> Any:
    """Mask every secret in every string of a JSON-like value."""
    if isinstance(value, str):
        for secret, pattern in patterns:
            if secret in value:
                value = pattern.sub(MASK, value)
        if "\n" in value or not _line_rules_may_apply(value):
            return value
        return _mask_line(value)
    if isinstance(value, dict):
        return {k: scrub(v, patterns) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, patterns) for v in value]
    return value


_TOOL_FIELDS = {
    # what the tool and the packs write, never text from an input
    "findings": frozenset(
        {
            "check_id",
            "title",
            "severity",
            "status",
            "line",
            "controls",
            "remediation",
            "fingerprint",
            "waived_controls",
        }
    ),
    "inputs": frozenset({"format", "sha256", "resources"}),
    # pack data and counts; ``assessed`` holds resource ids (walked: they are also in
    # ``resources``, which the clean check reads)
    "controls": frozenset(
        {
            "pack",
            "control_id",
            "title",
            "status",
            "evidence",
            "checks",
            "finding_count",
            "waived_count",
            "unassessed_checks",
            "reason",
            "evidence_hint",
        }
    ),
}


def _clean(report: Report, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> bool:
    """True when scrubbing would change no string of the report: the strings of its
    findings and inputs read off the models (no dump of thousands of them), the rest
    walked as ``redact_report`` walks it."""
    return _strings_clean(
        (
            (f.waiver, f.baseline, (f.message, f.file, f.path, r.id, r.kind, r.name, r.namespace))
            for f in report.findings
            for r in (f.resource,)
        ),
        (i.file for i in report.inputs),
        report.model_dump(mode="json", exclude=set(_TOOL_FIELDS)),
        patterns,
    )


def clean_data(data: dict[str, Any], secrets: Iterable[str]) -> bool:
    """Whether ``redact_report`` would leave the report whose JSON data is ``data``
    (``Evaluator.report_data``) as it is: the same strings as ``_clean`` reads."""
    return _strings_clean(
        (
            (
                f["waiver"],
                f["baseline"],
                (f["message"], f["file"], f["path"], *f["resource"].values()),
            )
            for f in data["findings"]
        ),
        (i["file"] for i in data["inputs"]),
        {k: v for k, v in data.items() if k not in _TOOL_FIELDS},
        value_patterns(secrets),
    )


def _strings_clean(
    findings: Iterable[tuple[Any, Any, tuple[str | None, ...]]],
    files: Iterable[str],
    rest: Any,
    patterns: Sequence[tuple[str, re.Pattern[str]]],
) -> bool:
    """``_clean`` over findings as (waiver, baseline, (message, file, path, then the
    resource's id, kind, name, namespace)), the inputs' files and the rest of the report
    as JSON data. A finding with a waiver or a baseline state: not clean (the full walk)."""
    strings: set[str | None] = set(files)
    update = strings.update
    for waiver, baseline, texts in findings:
        if waiver is not None or baseline is not None:
            return False
        update(texts)
    strings.discard(None)
    _strings_of(rest, strings.add)
    return _all_clean(cast("set[str]", strings), patterns)


def _all_clean(strings: Iterable[str], patterns: Sequence[tuple[str, re.Pattern[str]]]) -> bool:
    """``all(scrub(s, patterns) == s for s in strings)`` in a few passes over the strings
    joined by newlines (a report has ~10k distinct strings): each secret value (never one
    with a newline) is looked for once in the whole text, and the line rules run only on
    the strings a hint of them was found in."""
    items = [s for s in strings if s]
    blob = "\n".join(items)
    for secret, pattern in patterns:
        if secret in blob and any(pattern.search(s) for s in items if secret in s):
            return False
    return all(_mask_line(items[i]) == items[i] for i in _hinted(items, blob))


def _hinted(items: list[str], blob: str) -> set[int]:
    """The indexes of the strings without a newline that ``_line_rules_may_apply`` keeps:
    the strings holding one of the texts every kept string holds (a name stem, a PEM or
    URL hint, a token mark), found with ``str.find`` over ``blob`` (the strings joined by
    newlines), then tested one by one: a fraction of a regex scan, and of testing every
    string."""
    if not blob.isascii():  # lower() could move offsets: one string at a time
        return {i for i, s in enumerate(items) if "\n" not in s and _line_rules_may_apply(s)}
    starts = list(itertools.accumulate((len(s) + 1 for s in items), initial=0))
    found: set[int] = set()
    lower = blob.lower()
    for text, needles in ((lower, _NAME_STEMS), (blob, _UNNAMED_HINTS), (blob, _TOKEN_MARKS)):
        for needle in needles:
            at = text.find(needle)
            while at >= 0:
                i = bisect.bisect_right(starts, at) - 1
                found.add(i)
                at = text.find(needle, starts[i + 1])  # the next string holding it
    return {i for i in found if "\n" not in items[i] and _line_rules_may_apply(items[i])}


def _strings_of(value: Any, add: Callable[[str], None]) -> None:
    if isinstance(value, str):
        add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings_of(v, add)
    elif isinstance(value, list):
        for v in value:
            _strings_of(v, add)


def redact_report(report: Report, secrets: Iterable[str]) -> Report:
    """The report with secret values removed from messages, waivers, errors and extras.

    Each distinct string is scrubbed once (file names repeat across thousands of
    findings); fields only the tool or the packs write (titles, remediations, control
    results, digests, severities) are not walked; when nothing changes the report itself
    is returned."""
    patterns = value_patterns(secrets)
    if _clean(report, patterns):
        return report
    memo: dict[str, str] = {}
    changed = False

    def one(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            out = memo.get(value)
            if out is None:
                out = memo[value] = scrub(value, patterns)
            if out != value:
                changed = True
            return out
        if isinstance(value, dict):
            return {k: one(v) for k, v in value.items()}
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    def rows(items: list[Any], skip: frozenset[str]) -> list[Any]:
        return [
            {k: v if k in skip else one(v) for k, v in item.items()}
            if isinstance(item, dict)
            else one(item)
            for item in items
        ]

    data = report.model_dump(mode="json")
    for key, value in data.items():
        if key in _TOOL_FIELDS and isinstance(value, list):
            skip = _TOOL_FIELDS[key]
            if skip is not None:
                data[key] = rows(value, skip)
        else:
            data[key] = one(value)
    return Report.model_validate(data) if changed else report
