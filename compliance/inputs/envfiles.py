"""The variables a compose service takes from files: ``env_file`` and the project's ``.env``.

``env_file`` entries are read relative to the compose file; ``.env`` beside it is the file
compose reads to interpolate ``${NAME}`` in the compose file itself, so only the variables a
service refers to are kept for it. Files outside the compose file's folder, over 1 MiB, not
regular files (a FIFO, a device) or not UTF-8 are not read (the fact says why).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from compliance.errors import InputError
from compliance.inputs.reading import decode, read_regular

MAX_ENV_BYTES = 1 << 20
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def parse_dotenv(text: str) -> list[dict[str, Any]]:
    """``NAME=VALUE`` lines (``export`` allowed, quotes removed, ``#`` comments dropped)
    as ``{name, value, line}``. As compose reads the file, an unquoted or double-quoted
    value interpolates the variables set on earlier lines (``DB_URL=postgres://u:${PW}@db``;
    ``refs`` names them), a single-quoted one is taken as written; a name set nowhere in the
    file becomes empty (the shell environment compose would also read is not known here)."""
    out: list[dict[str, Any]] = []
    variables: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
            continue
        value = value.strip()
        quote = value[0] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else ""
        if quote:
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        entry: dict[str, Any] = {"name": name, "value": value, "line": number}
        done = interpolate(value, variables) if quote != "'" else None
        if done is not None:
            entry["value"] = done[0]
            entry["refs"] = list(dict.fromkeys(done[1]))
        variables[name] = entry["value"]
        out.append(entry)
    return out


def read_env_file(base: Path, written: str) -> dict[str, Any]:
    """``{file, found, entries}`` for ``written`` (relative to ``base``), or with
    ``error`` saying why it was not read."""
    fact: dict[str, Any] = {"file": written, "found": False, "entries": []}
    path = Path(written)
    if path.is_absolute():
        return {**fact, "error": "absolute path: not read"}
    root = base.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(root):
        return {**fact, "error": "outside the compose file's folder: not read"}
    if not target.exists():
        return {**fact, "error": "missing"}
    try:
        text = decode(read_regular(target, written, MAX_ENV_BYTES), written)
    except InputError as e:
        return {**fact, "error": f"{e.message.removesuffix(': not read')}: not read"}
    return {**fact, "found": True, "entries": parse_dotenv(text)}


def env_file_names(value: Any) -> list[tuple[int | None, str]]:
    """The ``env_file`` entries of a service as (index or None, path)."""
    if isinstance(value, str):
        return [(None, value)]
    out: list[tuple[int | None, str]] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append((i, item))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                out.append((i, item["path"]))
    return out


def referenced_names(node: Any) -> set[str]:
    """Every ``$NAME`` / ``${NAME...}`` a service definition interpolates."""
    found: set[str] = set()
    if isinstance(node, str):
        found.update(_REFERENCE.findall(node.replace("$$", "")))
    elif isinstance(node, dict):
        for k, v in node.items():
            found |= referenced_names(k) | referenced_names(v)
    elif isinstance(node, list):
        for v in node:
            found |= referenced_names(v)
    return found


_NAME_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(text: str, variables: dict[str, str]) -> tuple[str, list[str]] | None:
    """``text`` with ``$NAME``, ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``,
    ``${NAME:+alt}``, ``${NAME+alt}``, ``${NAME:?err}`` and ``${NAME?err}`` replaced as compose
    replaces them from ``variables`` (defaults may nest), ``$$`` kept as ``$``; with the names
    whose value was taken from ``variables``. None when ``text`` interpolates nothing or is
    malformed (an unclosed ``${``). An unset name without a default becomes empty."""
    if "$" not in text:
        return None
    used: list[str] = []
    out, end = _expand(text, 0, variables, used, nested=False)
    if end != len(text):
        return None
    return out, used


def _expand(
    text: str, pos: int, variables: dict[str, str], used: list[str], *, nested: bool
) -> tuple[str, int]:
    """Expand from ``pos`` to the end (or, when ``nested``, to the ``}`` closing a default);
    returns the text and the position after it (``len(text) + 1`` when malformed)."""
    parts: list[str] = []
    i = pos
    while i < len(text):
        ch = text[i]
        if nested and ch == "}":
            return "".join(parts), i
        if ch != "$":
            parts.append(ch)
            i += 1
            continue
        if text.startswith("$$", i):
            parts.append("$")
            i += 2
            continue
        if text.startswith("${", i):
            m = _NAME_START.match(text, i + 2)
            if m is None:
                return "".join(parts), len(text) + 1
            name, i = m.group(0), m.end()
            op = next((o for o in (":-", ":+", ":?", "-", "+", "?") if text.startswith(o, i)), "")
            i += len(op)
            arg, inner = "", list[str]()
            if op:
                arg, i = _expand(text, i, variables, inner, nested=True)
            if i >= len(text) or text[i] != "}":
                return "".join(parts), len(text) + 1
            i += 1
            parts.append(_substitute(name, op, (arg, inner), variables, used))
            continue
        m = _NAME_START.match(text, i + 1)
        if m is None:
            parts.append("$")
            i += 1
            continue
        parts.append(_substitute(m.group(0), "", ("", []), variables, used))
        i = m.end()
    return "".join(parts), i


def _substitute(
    name: str,
    op: str,
    arg: tuple[str, list[str]],
    variables: dict[str, str],
    used: list[str],
) -> str:
    """One ``${name<op>arg}``: ``arg`` is the expanded default with the names it took."""
    value = variables.get(name)
    is_set = value is not None
    is_full = bool(value)
    if op in (":-", "-") and not (is_full if op == ":-" else is_set):
        used.extend(arg[1])
        return arg[0]
    if op in (":+", "+"):
        if is_full if op == ":+" else is_set:
            used.extend(arg[1])
            return arg[0]
        return ""
    if value is None:
        return ""
    used.append(name)
    return value
