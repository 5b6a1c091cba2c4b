"""Masking secret values in text: line rules, source spans and known values.

``redact_text`` masks an input's text for an evidence bundle: the values of parsed
scalars that hold a secret (their source spans, ``compliance.secrets.spans``), line rules
(``name: value``, ``NAME=value``, ``name = "value"``, Secret data blocks, env
``name``/``value`` pairs, PEM private key blocks, known credential shapes) and every
collected secret value wherever it occurs as a whole token. Values become ``[REDACTED]`` in
place, so every file keeps its line count and findings' line numbers still point at the
right line.

``mask_shapes`` masks only known credential shapes: what a report's own words (check
messages, error messages) are scrubbed with besides the collected values, since a line rule
would read ``ENV API_TOKEN bakes ...`` as a name and its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from compliance.model import Resource
from compliance.secrets.detect import (
    MASK,
    NOT_A_SECRET_VALUE,
    PEM_BEGIN,
    PEM_END,
    PEM_INLINE,
    SECRET_VALUE,
    URL_CREDENTIALS,
    is_reference,
    looks_secret_name,
    may_hold_token,
    secret_literal,
    url_password_is_literal,
    url_reference,
)
from compliance.secrets.spans import mask_spans

MIN_SCRUB_LEN = 4
"""Collected values shorter than this are masked by the line rules only, not replaced globally."""

# name: value  |  "name": "value"  |  name = "value"  |  NAME=value  (value up to a comment or separator)
_YAML_PAIR = re.compile(
    r"^(?P<pre>\s*(?:-\s+)?(?P<q>[\"']?)(?P<name>[\w.\-/]+)(?P=q)\s*:[ \t]+)(?P<value>[^#\s{\[|>&*!][^\n]*?|[|>][-+0-9]*)(?P<post>[ \t]*(?:#.*)?,?)$"
)
_JSON_PAIR = re.compile(
    r"(?P<pre>\"(?P<name>[^\"\\]+)\"\s*:\s*\")(?P<value>(?:[^\"\\]|\\.)*)(?P<post>\")"
)
_ASSIGN = re.compile(
    r"(?P<pre>(?:^|[\s;,\[{(])(?P<q>[\"']?)(?P<name>[A-Za-z_][\w.\-]*)(?P=q)[ \t]*=[ \t]*)(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|\$\{[^}\s]*\}[^\s,;#\]})]*|[^\s,;#\]})]+)"
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


def redact_text(
    text: str, secrets: Iterable[str] = (), resources: Sequence[Resource] = (), rel: str = ""
) -> Redacted:
    """``text`` (the input ``rel``, whose name says its syntax) with secret values masked;
    same number of lines."""
    secrets = set(secrets)
    lines = text.split("\n")
    out = mask_spans(text, rel, secrets).split("\n")
    _mask_pem_blocks(out)
    _mask_secret_data_blocks(out, resources)
    _mask_env_pairs(out)
    _mask_sensitive_tf_blocks(out, resources)
    terraform = rel.lower().endswith(".tf")
    for i, line in enumerate(out):
        out[i] = mask_line(line, terraform=terraform)
    patterns = value_patterns(secrets | set(line_pieces(secrets)))
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
        if len(s) >= MIN_SCRUB_LEN and "\n" not in s and not NOT_A_SECRET_VALUE.match(s.strip())
    }
    for value in sorted(usable, key=lambda v: (-len(v), v)):
        lead = r"(?<![A-Za-z0-9_])" if value[0].isalnum() or value[0] == "_" else ""
        tail = r"(?![A-Za-z0-9_])" if value[-1].isalnum() or value[-1] == "_" else ""
        out.append((value, re.compile(lead + re.escape(value) + tail)))
    return out


def line_pieces(secrets: Iterable[str]) -> Iterator[str]:
    """Each opaque line of the secret values that span lines (a block scalar, a TOML
    multi-line string, a decoded key file), stripped: what is left of such a value in a text
    that the span rules did not reach. A line with white space or quotes in it (``"type":
    "prometheus",`` of a datasource file kept in a Secret) is configuration that other files
    hold too, not key material: it is not masked wherever it occurs (the line rules still
    mask a secret setting in it)."""
    for value in secrets:
        if "\n" in value:
            for line in value.split("\n"):
                piece = line.strip()
                if (
                    len(piece) >= MIN_SCRUB_LEN
                    and not NOT_A_SECRET_VALUE.match(piece)
                    and not _STRUCTURED.search(piece)
                ):
                    yield piece


_STRUCTURED = re.compile(r"[\s\"']")
"""What a line of key material (base64, hex, a token) never holds."""


SHAPE_HINTS = ("-----", "://")
"""What ``mask_shapes`` looks for besides a token mark: a PEM header, a URL."""


def may_need_shape_mask(text: str) -> bool:
    """False when ``mask_shapes(text)`` is certainly ``text``."""
    return may_hold_token(text) or any(hint in text for hint in SHAPE_HINTS)


def mask_shapes(text: str) -> str:
    """``text`` with known credential shapes masked (tokens, PEM key material, a URL's
    password) and nothing else: for the tool's own words, which name settings freely."""
    if not may_need_shape_mask(text):
        return text
    text = PEM_INLINE.sub(lambda m: m.group(1) + MASK + m.group(4), text)
    if "PRIVATE KEY" in text and PEM_BEGIN.search(text) and not PEM_END.search(text):
        text = PEM_BEGIN.split(text, maxsplit=1)[0] + MASK
    text = SECRET_VALUE.sub(MASK, text)
    return URL_CREDENTIALS.sub(
        lambda m: m.group("pre") + MASK if url_password_is_literal(m.group("pw")) else m.group(0),
        text,
    )


_TF_TRAVERSAL = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+|\[[^\]]*\]|\[[^\]]*$)+$")
"""An unquoted Terraform expression naming another object's attribute
(``random_password.db.result``, ``azurerm_storage_account.a.primary_access_key``,
``data.vault_generic_secret.db.data["pw"]``, whose closing bracket the line rule leaves out)."""


def mask_line(line: str, *, terraform: bool = False) -> str:
    """``line`` with its secret values masked by the line rules; ``terraform``: a line of a
    ``.tf`` file, where an unquoted value is an expression, never a literal, and an
    attribute reference (``random_password.db.result``) is left as written."""
    line = PEM_INLINE.sub(lambda m: m.group(1) + MASK + m.group(4), line)
    m = _YAML_PAIR.match(line)
    if m and secret_literal(m.group("name"), _unquote(m.group("value"))):
        line = m.group("pre") + _quoted_mask(m.group("value")) + m.group("post")
    m = _DOCKER_ENV_SPACE.match(line)
    if (
        m
        and "=" not in m.group("value").split()[0]
        and secret_literal(m.group("name"), m.group("value"))
    ):
        line = m.group("pre") + MASK + m.group("post")
    line = _JSON_PAIR.sub(
        lambda m: (
            m.group("pre") + MASK + m.group("post")
            if secret_literal(m.group("name"), m.group("value"))
            else m.group(0)
        ),
        line,
    )
    line = _ASSIGN.sub(
        lambda m: (
            m.group("pre") + _quoted_mask(m.group("value"))
            if secret_literal(m.group("name"), _unquote(m.group("value")))
            and not (terraform and _TF_TRAVERSAL.match(m.group("value")))
            else m.group(0)
        ),
        line,
    )
    line = SECRET_VALUE.sub(MASK, line)
    line = URL_CREDENTIALS.sub(
        lambda m: m.group(0) if url_reference(m.group("pw")) else m.group("pre") + MASK, line
    )
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
        if PEM_BEGIN.search(line) and not PEM_END.search(line):
            inside = True
            continue
        if inside:
            if PEM_END.search(line):
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
