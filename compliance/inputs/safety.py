"""Values the policy engine cannot take, found per file so that one file never poisons a run.

The engine receives the input as JSON: integers outside the signed/unsigned 64-bit range
and strings holding lone UTF-16 surrogates cannot be encoded, and Python refuses to
convert integers of more than 4,300 digits. Each is reported as an error of its file,
with the line where it is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compliance.paths import nearest_line

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")
_LONG_DIGITS = re.compile(r"[0-9][0-9_]{4299,}")
_ESCAPED_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def int_problem(value: int) -> str | None:
    if INT_MIN <= value <= INT_MAX:
        return None
    digits = len(str(abs(value)))
    return f"integer of {digits} digits is outside the 64-bit range the policy engine takes"


def str_problem(value: str) -> str | None:
    if _SURROGATE.search(value) is None:
        return None
    return "string holds a lone UTF-16 surrogate, which the policy engine cannot take"


def find_unsafe(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first (dotted path, problem) of a value the engine cannot take, or None."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        here, node = stack.pop()
        problem: str | None = None
        if isinstance(node, bool) or node is None or isinstance(node, float):
            continue
        if isinstance(node, int):
            problem = int_problem(node)
        elif isinstance(node, str):
            problem = str_problem(node)
        elif isinstance(node, Mapping):
            prefix = f"{here}." if here else ""
            for key, child in reversed(list(node.items())):
                key_problem = str_problem(key) if isinstance(key, str) else None
                if key_problem:
                    return here, key_problem
                stack.append((prefix + str(key), child))
        elif isinstance(node, (list, tuple)):
            for i in reversed(range(len(node))):
                stack.append((f"{here}[{i}]", node[i]))
        if problem:
            return here, problem
    return None


def unsafe_message(path: str, problem: str) -> str:
    return f"{path}: {problem}" if path else problem


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    return nearest_line(lines, path)


def too_many_digits_line(text: str) -> int | None:
    """Line of the first run of over 4,300 digits (Python's int conversion limit)."""
    m = _LONG_DIGITS.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def escaped_surrogate_line(text: str) -> int | None:
    """Line of the first ``\\uD800``-style escape not part of a surrogate pair."""
    m = _ESCAPED_SURROGATE.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


_LONG_INT = re.compile(r"-?[0-9]{19,}")


def big_int_line(text: str) -> int | None:
    """Line of the first integer literal outside the 64-bit range."""
    for m in _LONG_INT.finditer(text):
        if int_problem(int(m.group())) if len(m.group()) <= 4300 else True:
            return text.count("\n", 0, m.start()) + 1
    return None


def too_many_digits(error: ValueError) -> bool:
    return "integer string conversion" in str(error)


def deepest_line(text: str, limit: int) -> int | None:
    """Line where brackets (``[``/``{``, outside quoted strings) first nest deeper than
    ``limit``: where a parser's recursion gave up."""
    depth = 0
    line = 1
    quote = ""
    escaped = False
    for ch in text:
        if ch == "\n":
            line += 1
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth -= 1
    return None
