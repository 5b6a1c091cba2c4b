"""What the values of a Kubernetes Secret hold: secrets, or configuration without any.

A Secret is often where charts keep whole configuration files (``grafana.ini``,
``datasources.yaml``, ``alertmanager.yaml``). Such a file is a committed secret only when a
setting in it holds one: a secret-looking name with a literal value, a PEM private key, or a
password in a URL. ``facts.secret_values`` says per key which kind of value it holds, with
the names of the secret settings found, and never a value.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from compliance.secrets.detect import PEM_BEGIN, URL_CREDENTIALS, secret_literal

CONFIG_SUFFIXES = frozenset(
    {
        "ini", "conf", "cfg", "cnf", "yaml", "yml", "json", "toml", "properties", "xml",
        "hcl", "tmpl", "tpl", "env", "rules", "txt",
    }
)  # fmt: skip
"""Key suffixes of configuration files (a multi-line value is read as one too)."""

_SETTINGS = (
    # "name": "value"   (JSON, quoted YAML)
    re.compile(r"\"(?P<name>[^\"\\\n]+)\"\s*:\s*\"(?P<value>(?:[^\"\\\n]|\\.)*)\""),
    # name: value   (YAML; a value up to a comment)
    re.compile(r"^\s*(?:-\s+)?(?P<q>['\"]?)(?P<name>[\w.\-/]+)(?P=q)\s*:[ \t]+(?P<value>[^#\n]*?)[ \t]*(?:#.*)?$", re.M),
    # name = value   (INI, TOML, properties, .env)
    re.compile(r"^\s*(?:export\s+)?(?P<name>[\w.\-]+)[ \t]*[=][ \t]*(?P<value>[^#;\n]*?)[ \t]*$", re.M),
)  # fmt: skip
_PLACEHOLDER = re.compile(r"^(\$.*|\{\{.*\}\}|%.*|<[^>]*>|\*+|x+|X+|\.+)$")


def secret_values(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Per key of ``data`` and ``stringData``: ``{field, key, config, empty, secrets}``.
    ``config`` is true for a configuration document, judged by ``secrets`` (the names of the
    settings holding a secret, sorted); any other non-empty value counts as a secret."""
    out: list[dict[str, Any]] = []
    for field in ("data", "stringData"):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key, raw in values.items():
            text = _text(raw, encoded=field == "data")
            config = text is not None and _is_config(str(key), text)
            out.append(
                {
                    "field": field,
                    "key": str(key),
                    "config": config,
                    "empty": text is not None and not text.strip(),
                    "secrets": secret_settings(text) if config and text is not None else [],
                }
            )
    return out


def _text(raw: Any, *, encoded: bool) -> str | None:
    """The value as text; None when it is not text (binary, or not base64 in ``data``)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        return str(raw)
    if not encoded:
        return raw
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _is_config(key: str, text: str) -> bool:
    suffix = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return suffix in CONFIG_SUFFIXES or "\n" in text.strip()


def secret_settings(text: str) -> list[str]:
    """Names of the settings of a configuration document that hold a secret value."""
    found: set[str] = set()
    for pattern in _SETTINGS:
        for m in pattern.finditer(text):
            name, value = m.group("name"), m.group("value").strip().strip("'\"")
            if secret_literal(name, value) and not _PLACEHOLDER.match(value):
                found.add(name)
    for m in URL_CREDENTIALS.finditer(text):
        if not _PLACEHOLDER.match(m.group("pw")):
            found.add("password in a URL")
    if PEM_BEGIN.search(text):
        found.add("private key")
    return sorted(found)
