"""Secret values and credential shapes in parsed resources.

``walk`` gathers the values that redaction masks from any parsed body (everything under a
secret-looking name that is a literal, every known credential shape, JSON kept in
``last-applied-configuration`` annotations); ``add_secret_data`` and ``add_env_entries``
are what the loaders use for the parts their formats make secret (a Secret's data and its
base64-decoded form, environment entries): ``compliance.inputs.registry.collect_secrets``
asks each resource's loader;
``secret_shapes`` lists where a resource holds a known credential shape (paths and shape
names, never the value): the loaders keep it as ``facts.secret_shapes`` for SEC-03.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from compliance.model import Resource
from compliance.secrets.detect import (
    PEM_BEGIN,
    PEM_END,
    SECRET_VALUE,
    URL_CREDENTIALS,
    find_shapes,
    looks_secret_name,
    may_hold_shape,
    may_hold_token,
    secret_literal,
    shapes_of,
    url_reference,
)

_ESCAPE = re.compile(r"\\[uUxN/]|\\\r?\n")
EMBEDDED_JSON_KEYS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
"""Annotation keys whose value is a whole object as JSON text: walked as that object."""
MAX_EMBEDDED_JSON = 4 * 1024 * 1024


def add_env_entries(entries: Iterable[Any], values: set[str]) -> None:
    """The values of ``{name, value}`` entries (a Dockerfile's ENV/ARG, a compose service's
    environment) that are literals under a secret-looking name or look like a credential."""
    for entry in entries:
        if isinstance(entry, dict):
            name, value = str(entry.get("name", "")), entry.get("value")
            if secret_literal(name, value) or (
                isinstance(value, str) and SECRET_VALUE.search(value)
            ):
                values.add(str(value))


def collect_from_text(rel: str, text: str) -> set[str]:
    """Secrets in a JSON document's raw structure (e.g. a plan's ``variables``), beyond its resources."""
    values: set[str] = set()
    if rel.lower().endswith(".json"):
        with contextlib.suppress(ValueError, RecursionError):
            walk(json.loads(text), values)
    return values


def add_secret_data(body: dict[str, Any], values: set[str]) -> None:
    """A Kubernetes Secret's ``data`` (and its decoded form) and ``stringData`` values."""
    for field in ("data", "stringData"):
        block = body.get(field)
        if isinstance(block, dict):
            for v in block.values():
                add_with_decoded(values, v, decode=field == "data")


def decode_data(value: str) -> str | None:
    """A Secret ``data`` value decoded (None when it is not base64 of UTF-8 text; a value
    with characters outside ASCII is not base64)."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def add_with_decoded(values: set[str], v: Any, *, decode: bool) -> None:
    if not isinstance(v, str) or not v.strip():
        return
    values.add(v)
    if decode:
        plain = decode_data(v)
        if plain is None:
            return
        values.update(line for line in plain.splitlines() if line.strip())
        if plain.strip():
            values.add(plain)


def strings_of(value: Any, add: Callable[[str], None]) -> None:
    if isinstance(value, str):
        add(value)
    elif isinstance(value, dict):
        for v in value.values():
            strings_of(v, add)
    elif isinstance(value, list):
        for v in value:
            strings_of(v, add)


Scan = Callable[[str, set[str]], None]


def walk(node: Any, values: set[str], scan: Scan | None = None) -> None:
    """The secret values of every string under ``node`` (``scan``: ``scan_string``, or
    ``scan_literals`` for the strings of a file that holds no hint of a token or URL
    password: see ``compliance.inputs.registry.collect_secrets``)."""
    scan = scan or scan_string
    if isinstance(node, dict):
        _walk_mapping(node, values, scan)
    elif isinstance(node, list):
        _walk_sequence(node, values, scan)
    elif isinstance(node, str):
        scan(node, values)


def _walk_mapping(node: dict[Any, Any], values: set[str], scan: Scan) -> None:
    """Children dispatched here by type rather than through ``walk``: one call fewer per
    value (a body has tens of thousands), and the secret-name test first, since a key
    that does not look like one rules out both literal checks. ``scan_literals`` is not
    called for a string without ``=`` or ``PRIVATE KEY``: it finds nothing there."""
    name = node.get("name")
    if isinstance(name, str) and secret_literal(name, node.get("value")):
        values.add(node["value"])
    for key, v in node.items():
        if key.__class__ is not str:
            key = str(key)
        if looks_secret_name(key):
            if secret_literal(key, v):
                values.add(v)
                continue
            if isinstance(v, dict):
                for inner in ("value", "default"):
                    if secret_literal(key, v.get(inner)):
                        values.add(v[inner])
        if isinstance(v, str):
            if scan is not scan_literals or "=" in v or "PRIVATE KEY" in v:
                scan(v, values)
            if key in EMBEDDED_JSON_KEYS:
                _walk_embedded(v, values, scan)
        elif isinstance(v, dict):
            _walk_mapping(v, values, scan)
        elif isinstance(v, list):
            _walk_sequence(v, values, scan)


def _walk_sequence(node: list[Any], values: set[str], scan: Scan) -> None:
    for item in node:
        if isinstance(item, str):
            if scan is not scan_literals or "=" in item or "PRIVATE KEY" in item:
                scan(item, values)
        elif isinstance(item, dict):
            _walk_mapping(item, values, scan)
        elif isinstance(item, list):
            _walk_sequence(item, values, scan)


def _walk_embedded(text: str, values: set[str], scan: Scan) -> None:
    """An object kept as JSON text (``kubectl apply``'s last-applied configuration): its
    values as if it were loaded, a Secret's data included."""
    if len(text) > MAX_EMBEDDED_JSON or not text.lstrip().startswith("{"):
        return
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return
    if isinstance(obj, dict):
        if obj.get("kind") == "Secret":
            add_secret_data(obj, values)
        walk(obj, values, scan)


def scan_string(node: str, values: set[str]) -> None:
    scan_literals(node, values)
    # The literal checks only skip patterns that cannot match (the corpus holds
    # megabytes of dashboard JSON in ConfigMaps): same values, a fraction of the time.
    if may_hold_token(node):
        for m in SECRET_VALUE.finditer(node):
            values.add(m.group(0))
    if "://" in node and "@" in node:
        for m in URL_CREDENTIALS.finditer(node):
            if not url_reference(m.group("pw")):
                values.add(m.group("pw"))


def scan_literals(node: str, values: set[str]) -> None:
    """The rules of ``scan_string`` that do not look for a token or a URL password: a
    ``NAME=value`` literal and the lines of a PEM private key (YAML folding can make
    ``PRIVATE KEY`` of two lines; tokens and URL passwords hold no space)."""
    if "=" in node:
        name, _, value = node.partition("=")
        if secret_literal(name.strip(), value):
            values.add(value)
    if "PRIVATE KEY" in node and PEM_BEGIN.search(node):
        values.update(_pem_key_lines(node))


def _pem_key_lines(text: str) -> Iterator[str]:
    """The key material of each PEM private key block in ``text``: the lines between a
    ``BEGIN ... PRIVATE KEY`` line and its ``END`` (or the text's end), not the rest of a
    script that writes the key to a file."""
    inside = False
    for line in text.splitlines():
        if PEM_BEGIN.search(line):
            inside = True
        elif PEM_END.search(line):
            inside = False
        elif inside and line.strip() and "-----" not in line:
            yield line.strip()


# ---------------------------------------------------------------- shapes, for SEC-03


def secret_shapes(resource: Resource) -> list[dict[str, Any]]:
    """Where ``resource`` holds a known credential shape: ``{path, shape, line}`` per value
    and shape, in document order. A Dockerfile is read through its instructions only (its
    stages repeat them); a Secret's ``data`` values are judged decoded."""
    body: Any = resource.body
    prefix = ""
    if resource.kind == "Dockerfile":
        body, prefix = body.get("instructions", []), "instructions"
    found: list[tuple[str, str]] = []
    _shapes_at(body, prefix, found)
    if resource.kind == "Secret" and isinstance(resource.body.get("data"), dict):
        for key, value in resource.body["data"].items():
            plain = decode_data(value) if isinstance(value, str) else None
            if plain is not None:
                found.extend((f"data.{key}", shape) for shape in shapes_of(plain))
    seen: set[tuple[str, str]] = set()
    out = []
    for path, shape in found:
        if (path, shape) not in seen:
            seen.add((path, shape))
            out.append({"path": path, "shape": shape, "line": resource.line_for(path)})
    if resource.kind == "ComposeService":
        out.extend(e for e in _compose_file_shapes(resource) if (e["path"], e["shape"]) not in seen)
    return out


def _compose_file_shapes(service: Resource) -> list[dict[str, Any]]:
    """Shapes in the values a compose service takes from files, not written in the compose
    file: an ``environment`` entry as resolved from ``.env`` (``facts.environment[*].resolved``)
    and each ``env_file`` entry. Each is found at the compose line that brings the value
    in, with ``from`` naming the files and lines that hold it (empty for a default written
    inline)."""
    out: list[dict[str, Any]] = []
    for entry in service.facts.get("environment", []):
        resolved = entry.get("resolved")
        if not isinstance(resolved, str) or not may_hold_shape(resolved):
            continue
        path = entry["path"]
        origin = [{"file": s["file"], "line": s["line"]} for s in entry.get("sources") or []]
        for shape in shapes_of(resolved):
            out.append({"path": path, "shape": shape, "line": entry["line"], "from": origin})
    files = service.body.get("env_file")
    for i, env_file in enumerate(service.facts.get("env_files", [])):
        path = f"env_file[{i}]" if isinstance(files, list) else "env_file"
        for entry in env_file.get("entries", []):
            for shape in shapes_of(entry["value"]):
                origin = [{"file": env_file["file"], "line": entry["line"]}]
                out.append({"path": path, "shape": shape, "line": env_file["line"], "from": origin})
    return out


def _shapes_at(node: Any, path: str, found: list[tuple[str, str]]) -> None:
    if isinstance(node, str):
        if may_hold_shape(node):
            found.extend((path, shape) for shape in shapes_of(node))
    elif isinstance(node, dict):
        for key, value in node.items():
            _shapes_at(value, f"{path}.{key}" if path else str(key), found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _shapes_at(value, f"{path}[{i}]", found)


def text_may_hold_shape(text: str) -> bool:
    """False when no value parsed from ``text`` can hold a credential shape (a Secret's
    base64 ``data`` is judged separately). An escape that spells a character (``\\u0041``,
    ``\\x41``, ``\\/``) or joins lines (a backslash before a line break) may hide one, and
    so may a line break between ``PRIVATE`` and ``KEY``: YAML folds it into one space."""
    return (
        may_hold_shape(text)
        or ("\\" in text and bool(_ESCAPE.search(text)))
        or folded_private_key(text)
    )


_SPACED_PRIVATE_KEY = re.compile(r"PRIVATE\s+KEY")


def folded_private_key(text: str, tries: int = 16) -> bool:
    """Whether ``text`` holds ``PRIVATE``, white space, ``KEY`` (a multi-line YAML scalar
    reads a line break there as a space). Found from the occurrences of the rare ``Y``
    while they are few (``detect.found_by_anchor``), else by a pattern over the text."""
    at = text.find("Y", 2)
    for _ in range(tries):
        if at < 0:
            return False
        if text.startswith("KE", at - 2):
            start = at - 2
            while start > 0 and text[start - 1].isspace():
                start -= 1
            if start < at - 2 and start >= 7 and text.startswith("PRIVATE", start - 7):
                return True
        at = text.find("Y", at + 1)
    return at >= 0 and _SPACED_PRIVATE_KEY.search(text) is not None


def mark_shapes(
    resources: Iterable[Resource], text: str | None = None, *, hinted: bool | None = None
) -> None:
    """Set ``facts.secret_shapes`` on every resource (an empty list where none is found);
    ``text``, the file they were parsed from, rules out the walk when it holds no hint
    (``hinted``: ``text_may_hold_shape(text)`` when the caller has it already)."""
    if hinted is None:
        hinted = text is None or text_may_hold_shape(text)
    for r in resources:
        if hinted or r.kind in ("Secret", "ComposeService"):
            r.facts["secret_shapes"] = secret_shapes(r)
        else:
            r.facts["secret_shapes"] = []


__all__ = [
    "add_env_entries",
    "add_secret_data",
    "collect_from_text",
    "find_shapes",
    "mark_shapes",
    "secret_shapes",
    "walk",
]
