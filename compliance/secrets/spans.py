"""Masking a secret value where the parser found it: its source span.

A value that spans lines (a YAML block scalar ``key: |``, a plain YAML scalar continued on
the next line, a TOML ``\"\"\"``/``'''`` string, a Terraform heredoc) is masked from its first
to its last character, whatever its lines hold; line rules alone see only the first line.
Each span keeps its newlines, so the text keeps its line count.

YAML and JSON: the scalars of the composed node graph (libyaml marks give each scalar's
start and end). TOML and Terraform: their parsers give no positions, so the multi-line
strings are found by their delimiters after a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from compliance.secrets.detect import (
    MASK,
    NOT_A_SECRET_VALUE,
    is_reference,
    looks_secret_name,
    secret_literal,
)

MAX_SPAN_NODES = 2_000_000

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def mask_spans(text: str, rel: str, secrets: set[str]) -> str:
    """``text`` with the source span of every secret scalar masked (same line count)."""
    lower = rel.lower()
    spans: list[tuple[int, int, str]] = []
    if lower.endswith((".yaml", ".yml", ".json")) or rel == "-":
        spans = list(yaml_spans(text, secrets))
    elif lower.endswith(".toml"):
        spans = list(delimited_spans(text, secrets, _TOML_MULTILINE))
    elif lower.endswith(".tf"):
        spans = list(delimited_spans(text, secrets, _HEREDOC))
    elif _is_dockerfile(rel):
        return apply_spans(text, list(dockerfile_spans(text, secrets)), continuations=True)
    return apply_spans(text, spans)


def _is_dockerfile(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (
        name == "Dockerfile"
        or name.startswith("Dockerfile.")
        or name.lower().endswith(".dockerfile")
    )


def apply_spans(
    text: str, spans: list[tuple[int, int, str]], *, continuations: bool = False
) -> str:
    """Replace each (start, end, quote) span by the mask (inside ``quote`` when the value
    was quoted) followed by the span's newlines (each kept with the backslash before it
    with ``continuations``: a Dockerfile instruction stays one instruction); overlapping
    spans keep the first."""
    out: list[str] = []
    at = 0
    for start, end, quote in sorted(spans):
        if start < at:
            continue
        out.append(text[at:start])
        out.append(quote + MASK + quote)
        newline = text.find("\n", start, end)
        while newline >= 0:
            kept = continuations and newline > start and text[newline - 1] == "\\"
            out.append(" \\\n" if kept else "\n")
            newline = text.find("\n", newline + 1, end)
        at = end
    out.append(text[at:])
    return "".join(out)


def _is_secret(name: str | None, value: str, secrets: set[str]) -> bool:
    """Whether a scalar is a secret as a whole: a collected value, or a literal under a
    secret-looking name. A longer value that only holds a secret (a script exporting a key)
    keeps its other lines: the line rules and the collected values mask the secret in it."""
    if value in secrets and value.strip() and not NOT_A_SECRET_VALUE.match(value.strip()):
        return not is_reference(value)
    return name is not None and secret_literal(name, value)


def yaml_spans(text: str, secrets: set[str]) -> Iterator[tuple[int, int, str]]:
    """The spans of secret scalars in a YAML stream: a literal under a secret-looking key,
    the ``value`` of an item whose ``name`` looks secret, a value collected as secret, a
    multi-line value holding a credential shape. Nothing when the stream does not compose."""
    try:
        roots = list(yaml.compose_all(text, Loader=_Loader))
    except (yaml.YAMLError, RecursionError, ValueError):
        return
    stack: list[tuple[yaml.Node, str | None]] = [(n, None) for n in roots if n is not None]
    seen = 0
    while stack:
        node, name = stack.pop()
        seen += 1
        if seen > MAX_SPAN_NODES:
            return
        if isinstance(node, yaml.ScalarNode):
            value = node.value
            if isinstance(value, str) and _is_secret(name, value, secrets):
                start, end = node.start_mark.index, node.end_mark.index
                if node.style == "|" or node.style == ">":
                    end = _block_end(text, start, end)
                quote = node.style if node.style in ("'", '"') else ""
                yield start, end, quote
        elif isinstance(node, yaml.MappingNode):
            pairs = node.value
            item_name = _pair_name(pairs)
            for key, value in pairs:
                key_name = key.value if isinstance(key, yaml.ScalarNode) else None
                if key_name == "value" and item_name is not None:
                    key_name = item_name
                stack.append((value, key_name if isinstance(key_name, str) else None))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, name) for item in node.value)


def _pair_name(pairs: list[tuple[yaml.Node, yaml.Node]]) -> str | None:
    """The secret-looking ``name`` of an env-like item (``- name: DB_PASSWORD`` beside
    ``value: ...``), else None."""
    for key, value in pairs:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "name"
            and isinstance(value, yaml.ScalarNode)
            and isinstance(value.value, str)
            and looks_secret_name(value.value)
        ):
            return str(value.value)
    return None


def _block_end(text: str, start: int, end: int) -> int:
    """A block scalar's span ends after its last content line (libyaml's end mark may
    sit on the next key's line)."""
    newline = text.rfind("\n", start, end)
    if newline > start and text[newline + 1 : end].strip() == "":
        return newline + 1
    return end


_DOCKER_ENV = re.compile(r"(?im)^[ \t]*(?:ENV|ARG)[ \t]+")
_DOCKER_PAIR = re.compile(
    r"(?P<name>[A-Za-z_][\w.-]*)=(?P<value>\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|(?:[^\s\\\\]|\\\\.)+)"
)


def dockerfile_spans(text: str, secrets: set[str]) -> Iterator[tuple[int, int, str]]:
    """The values of ``ENV``/``ARG`` pairs that are secret, across continuation lines: each
    instruction is read as Docker joins it (a backslash before a line break continues it),
    and a value's span runs over the lines it was written on."""
    for m in _DOCKER_ENV.finditer(text):
        chars: list[str] = []
        where: list[int] = []
        at = m.end()
        while at < len(text):
            newline = text.find("\n", at)
            end = len(text) if newline < 0 else newline
            line_end = end - 1 if end > at and text[end - 1] == "\r" else end
            continued = line_end > at and text[line_end - 1] == "\\"
            stop = line_end - 1 if continued else line_end
            chars.extend(text[at:stop])
            where.extend(range(at, stop))
            if not continued or newline < 0:
                break
            at = newline + 1
        logical = "".join(chars)
        pairs = list(_DOCKER_PAIR.finditer(logical))
        if not pairs:  # ``ENV NAME value with spaces``
            name, _, value = logical.strip().partition(" ")
            value = value.strip()
            if value and (secret_literal(name, value) or value in secrets):
                first = logical.index(value, len(logical) - len(logical.lstrip()) + len(name))
                yield where[first], where[first + len(value) - 1] + 1, ""
            continue
        for pair in pairs:
            raw = pair.group("value")
            quote = raw[0] if raw[0] in "\"'" and raw[-1] == raw[0] and len(raw) > 1 else ""
            value = raw[1:-1] if quote else raw
            if value and (secret_literal(pair.group("name"), value) or value in secrets):
                start, end = pair.start("value"), pair.end("value")
                yield where[start], where[end - 1] + 1, quote


_TOML_MULTILINE = re.compile(
    r"(?m)^[ \t]*(?P<name>[\w.\-\"']+)[ \t]*=[ \t]*(?P<open>\"\"\"|''')(?P<body>.*?)(?P=open)(?P<extra>[\"']{0,2})",
    re.S,
)
_HEREDOC = re.compile(
    r"(?m)^[ \t]*(?P<name>[\w.\-\"]+)[ \t]*=[ \t]*<<-?(?P<tag>[A-Za-z_]\w*)[ \t]*\n(?P<body>.*?)^[ \t]*(?P=tag)[ \t]*$",
    re.S,
)


def delimited_spans(
    text: str, secrets: set[str], pattern: re.Pattern[str]
) -> Iterator[tuple[int, int, str]]:
    """The bodies of multi-line strings (``pattern``'s ``body`` group) under a
    secret-looking name, or that are a collected secret value as a whole. A body that only
    holds a secret (a ``user_data`` script exporting a key) keeps its other lines: the line
    rules and the collected values mask the secret in it."""
    for m in pattern.finditer(text):
        name = m.group("name").strip("\"'").rsplit(".", 1)[-1]
        body = m.group("body")
        if not body.strip():
            continue
        inner = body.strip()
        if _is_secret(name, inner, secrets):
            yield m.start("body"), m.end("body"), ""
