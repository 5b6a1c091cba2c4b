"""Facts computed from Terraform attributes that Rego cannot parse: IAM policy documents
(JSON strings, heredocs, ``jsonencode(...)``, ``aws_iam_policy_document`` statements) and the
variables a ``user_data`` script sets (plain, heredoc, ``base64encode(...)`` or base64 text).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hcl2 import SerializationOptions


@functools.cache
def options() -> SerializationOptions:
    """How every HCL document and expression is serialized (terraform.py uses it too);
    python-hcl2 is imported when the first HCL text is read."""
    from hcl2 import SerializationOptions

    return SerializationOptions(strip_string_quotes=True, with_comments=False)


POLICY_KINDS = {
    "aws_iam_policy": ("policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_role": ("inline_policy",),
}
"""Resource kinds that carry a policy document, and the attribute holding it."""

POLICY_DOCUMENT = "data.aws_iam_policy_document"
USER_DATA_KINDS = frozenset({"aws_instance", "aws_launch_template", "aws_launch_configuration"})

_FUNCTION = re.compile(r"^\$\{\s*(jsonencode|base64encode)\((.*)\)\s*\}$", re.S)
_HEREDOC = re.compile(r"^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n(.*?)\n?[ \t]*\2\s*$", re.S)
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]+=*\s*$")
_ASSIGN = re.compile(r"""^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$""")
_AWS_CONFIGURE = re.compile(r"^\s*aws\s+configure\s+set\s+(\S+)\s+(\S+)")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> list[str]:
    return [v for v in _list(value) if isinstance(v, str)]


def _function_argument(value: str, name: str) -> str | None:
    m = _FUNCTION.match(value.strip())
    return m.group(2).strip() if m and m.group(1) == name else None


def _hcl_expression(text: str) -> Any:
    """An HCL expression (a ``jsonencode`` argument) as JSON values; None when it does not parse."""
    from compliance.inputs import hcl_grammar

    try:
        parsed = hcl_grammar.parse(f"__value = {text}").serialize(options=options())
    except Exception:  # an expression our grammar does not take: no facts, never an error
        return None
    return parsed.get("__value") if isinstance(parsed, dict) else None


def policy_document(value: Any) -> dict[str, Any] | None:
    """A policy document from a ``policy`` attribute: JSON text or ``jsonencode(...)``."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    inner = _function_argument(value, "jsonencode")
    if inner is not None:
        doc = _hcl_expression(inner)
        return doc if isinstance(doc, dict) else None
    text = value.strip()
    if not text.startswith("{"):
        return None  # a reference (data.aws_iam_policy_document.x.json), file(), ...
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _statement(raw: dict[str, Any], path: str) -> dict[str, Any]:
    def field(*names: str) -> list[str]:
        for name in names:
            if name in raw:
                return _strings(raw[name])
        return []

    effect = next(iter(field("Effect", "effect")), "Allow")
    return {
        "effect": effect,
        "actions": field("Action", "actions"),
        "not_actions": field("NotAction", "not_actions"),
        "resources": field("Resource", "resources"),
        "path": path,
    }


def policy_statements(kind: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of the policies a resource (or policy document data source) holds."""
    out: list[dict[str, Any]] = []
    if kind == POLICY_DOCUMENT:
        for i, raw in enumerate(_list(body.get("statement"))):
            if isinstance(raw, dict):
                out.append(_statement(raw, f"statement[{i}]"))
        return out
    for attr in POLICY_KINDS.get(kind, ()):
        holders = _list(body.get(attr)) if attr == "inline_policy" else [body]
        for holder in holders:
            if not isinstance(holder, dict):
                continue
            doc = policy_document(holder.get("policy"))
            if doc is None:
                continue
            for raw in _list(doc.get("Statement")):
                if isinstance(raw, dict):
                    out.append(_statement(raw, attr))
    return out


def script_text(value: Any) -> str | None:
    """The text of a ``user_data`` value, unwrapped from ``base64encode(...)`` or base64."""
    if not isinstance(value, str):
        return None
    inner = _function_argument(value, "base64encode")
    if inner is not None:
        m = _HEREDOC.match(inner)
        if m:
            return textwrap.dedent(m.group(3)) if m.group(1) else m.group(3)
        if inner.startswith('"') and inner.endswith('"'):
            try:
                decoded = json.loads(inner)
            except ValueError:
                return inner[1:-1]
            return decoded if isinstance(decoded, str) else None
        return None  # base64encode(templatefile(...)), base64encode(local.script), ...
    stripped = value.strip()
    if stripped and "\n" not in stripped and _BASE64.match(stripped) and len(stripped) % 4 == 0:
        try:
            return base64.b64decode(stripped, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return value
    return value


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()


def script_variables(text: str) -> list[dict[str, Any]]:
    """``NAME=value`` / ``export NAME=value`` assignments and ``aws configure set`` keys."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = _ASSIGN.match(line)
        if m:
            out.append({"name": m.group(1), "value": _unquote(m.group(2)), "script_line": n})
            continue
        m = _AWS_CONFIGURE.match(line)
        if m:
            out.append({"name": m.group(1), "value": _unquote(m.group(2)), "script_line": n})
    return out


def user_data_variables(body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for attr in ("user_data", "user_data_base64"):
        text = script_text(body.get(attr))
        if text is None:
            continue
        for var in script_variables(text):
            out.append({**var, "path": attr})
    return out


def extra_facts(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Facts for policy holders and instances with user_data; {} for everything else."""
    if kind in POLICY_KINDS or kind == POLICY_DOCUMENT:
        return {"policy_statements": policy_statements(kind, body)}
    if kind in USER_DATA_KINDS and ("user_data" in body or "user_data_base64" in body):
        return {"user_data_env": user_data_variables(body)}
    return {}
