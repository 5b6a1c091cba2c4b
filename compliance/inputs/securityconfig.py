"""The BPI SecurityConfig (TOML, YAML or JSON), with ``--set`` and ``BPI__`` overrides.

Precedence, highest first: ``--set`` (``ctx.options.sets``), ``BPI__A__B=...`` environment
variables (``ctx.options.env``), the file, the model defaults. The certificate named by
``security.tls_config.cert_file`` is parsed into ``facts.certificate``; ``key_file`` is never read.
"""

from __future__ import annotations

import calendar
import copy
import difflib
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from compliance.errors import InputError, UsageError
from compliance.inputs.base import FileContext, FileLoad
from compliance.inputs.reading import CERT_OUTSIDE, MAX_CERT_BYTES, read_regular
from compliance.inputs.yamlutil import Document
from compliance.model import Resource
from compliance.model.notes import Skipped
from compliance.model.securityconfig import SecurityConfig
from compliance.paths import dotted, nearest_line
from compliance.timestamps import rfc3339

ENV_PREFIX = "BPI__"

_SEGMENT = re.compile(r"^([^\[\]]+)((?:\[\d+\])*)$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=')
_INLINE_KEY = re.compile(r'[{,]\s*([A-Za-z0-9_-]+|"[^"]*")\s*=')


def load_toml(text: str, ctx: FileContext) -> list[Resource]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        if not isinstance(line, int):
            m = re.search(r"at line (\d+)", str(e))
            line = int(m.group(1)) if m else None
        msg = getattr(e, "msg", None) or re.sub(r"\s*\(at line.*\)$", "", str(e))
        raise InputError(f"invalid TOML: {msg}", file=ctx.rel, line=line) from e
    if not isinstance(data.get("security"), dict):
        raise InputError(
            "TOML file without a [security] table (not a SecurityConfig)", file=ctx.rel, line=1
        )
    return [_build(data, toml_lines(text), 1, ctx)]


def may_be_config(text: str) -> bool:
    """False for valid TOML without a ``security`` table (``Cargo.toml``, ``pyproject.toml``)."""
    try:
        return isinstance(tomllib.loads(text).get("security"), dict)
    except tomllib.TOMLDecodeError:
        return True


def load_document(doc: Document, ctx: FileContext) -> list[Resource]:
    if not isinstance(doc.value, dict):
        raise InputError("SecurityConfig must be a mapping", file=ctx.rel, line=doc.line)
    return [_build(doc.value, dict(doc.lines), doc.line, ctx)]


def _build(data: dict[str, Any], lines: dict[str, int], line: int, ctx: FileContext) -> Resource:
    data = copy.deepcopy(data)
    overrides: dict[str, str] = {}
    env_names: dict[str, str] = {}
    for name, raw in sorted(ctx.options.env.items()):
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            path = ".".join(p.lower() for p in name[len(ENV_PREFIX) :].split("__"))
            _apply(data, path, raw, ctx, f"environment variable {name}")
            overrides[path] = "env"
            env_names[path] = name
    for item in ctx.options.sets:
        path, sep, raw = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise InputError(f"--set {item!r}: expected dotted.path=value", file=ctx.rel)
        _apply(data, path, raw, ctx, f"--set {item}")
        overrides[path] = "cli"
    try:
        config = SecurityConfig.model_validate(data)
    except ValidationError as e:
        raise _input_error(e, lines, overrides, env_names, ctx) from e

    body = config.model_dump(mode="json")
    facts: dict[str, Any] = {"overrides": [{"path": p, "source": s} for p, s in overrides.items()]}
    cert_file = config.security.tls_config.cert_file
    if cert_file:
        facts["certificate"] = certificate_facts(cert_file, ctx)
    facts.update(_switches(config))
    return ctx.resource(
        id=f"config:{ctx.rel}",
        kind="SecurityConfig",
        name=PurePath(ctx.rel).stem,
        format="securityconfig",
        line=line,
        body=body,
        facts=facts,
        lines=lines,
    )


def parse_value(raw: str) -> Any:
    """An override's value: a TOML value (``443``, ``true``, ``[443, 8443]``), else a string.

    Floats stay strings: ``1.3`` is a TLS version, and no SecurityConfig field is a float.
    """
    text = raw.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if text[:1] in ("[", "{"):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                return text
            return value
        return text
    return text if isinstance(value, float) else value


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for segment in path.split("."):
        m = _SEGMENT.match(segment)
        if not m:
            raise ValueError(segment)
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return parts


def settable_paths() -> list[str]:
    """Every dotted path ``--set`` may name (a list item's index written ``[N]``)."""
    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            out.append(path)
            inner, is_list = _field_model(info.annotation)
            if is_list:
                out.append(f"{path}[N]")
            if inner is not None:
                walk(inner, f"{path}[N]." if is_list else f"{path}.")

    walk(SecurityConfig, "")
    return out


def _field_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly or as list items) and whether it is a list."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if origin is list:
        item = args[0] if args else None
        model = item if isinstance(item, type) and issubclass(item, BaseModel) else None
        return model, True
    if len(args) == 1:  # X | None
        return _field_model(args[0])
    return None, False


def check_set_path(item: str) -> None:
    """A ``--set path=value`` whose path names no SecurityConfig setting: a UsageError
    naming the nearest valid path (the override would otherwise be dropped, or the
    SecurityConfig refused)."""
    path = item.partition("=")[0].strip()
    written = re.sub(r"\[\d+\]", "[N]", path)
    valid = settable_paths()
    if written in valid:
        return
    near = difflib.get_close_matches(written, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise UsageError(f"--set {path}: no such SecurityConfig setting{hint}")


def _apply(data: dict[str, Any], path: str, raw: str, ctx: FileContext, origin: str) -> None:
    try:
        parts = _split_path(path)
    except ValueError as e:
        raise InputError(f"{origin}: invalid path {path!r}", file=ctx.rel) from e
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt: Any = [] if not last and isinstance(parts[i + 1], int) else {}
        if isinstance(part, int):
            if not isinstance(node, list) or part > len(node):
                raise InputError(f"{origin}: {path} has no item {part}", file=ctx.rel)
            if part == len(node):
                node.append(nxt)
            if last:
                node[part] = parse_value(raw)
            elif not isinstance(node[part], (dict, list)):
                node[part] = nxt
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise InputError(f"{origin}: {path} crosses a non-table value", file=ctx.rel)
            if last:
                node[part] = parse_value(raw)
            elif not isinstance(node.get(part), (dict, list)):
                node[part] = nxt
            node = node[part]


def _input_error(
    e: ValidationError,
    lines: dict[str, int],
    overrides: dict[str, str],
    env_names: dict[str, str],
    ctx: FileContext,
) -> InputError:
    parts: list[str] = []
    first_line: int | None = None
    for err in e.errors():
        path = dotted(tuple(err["loc"]))
        if err["type"] == "missing":
            what = f"{path}: field required"
        elif err["type"] == "extra_forbidden":
            what = f"{path}: unknown field"
        else:
            what = f"{path}: {err['msg']} (got {err['input']!r})"
        source = overrides.get(path)
        if source == "cli":
            what += " [from --set]"
        elif source == "env":
            what += f" [from {env_names.get(path, 'environment')}]"
        elif first_line is None:
            first_line = nearest_line(lines, path)
        parts.append(what)
    return InputError("invalid SecurityConfig: " + "; ".join(parts), file=ctx.rel, line=first_line)


def toml_lines(text: str) -> dict[str, int]:
    """Best-effort dotted path -> line for a TOML file: headers, ``key =`` and inline keys."""
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    array_key: str | None = None
    array_items = 0
    depth = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        code = _strip_comment(raw)
        if depth > 0 and array_key is not None:
            for _ in re.finditer(r"\{", code):
                lines.setdefault(f"{array_key}[{array_items}]", n)
                array_items += 1
            depth += code.count("[") - code.count("]")
            if depth <= 0:
                array_key = None
            continue
        header = _HEADER.match(code)
        if header:
            name = _unquote_key(header.group(2))
            if header.group(1) == "[[":
                i = counts.get(name, 0)
                counts[name] = i + 1
                lines.setdefault(name, n)
                table = f"{name}[{i}]"
            else:
                table = name
            lines[table] = n
            continue
        key = _KEY.match(code)
        if not key:
            continue
        path = f"{table}.{_unquote_key(key.group(1))}" if table else _unquote_key(key.group(1))
        lines[path] = n
        value = code[key.end() :]
        for inline in _INLINE_KEY.finditer(value):
            lines[f"{path}.{_unquote_key(inline.group(1))}"] = n
        stripped = value.strip()
        if stripped.startswith("["):
            depth = value.count("[") - value.count("]")
            item = 0
            for _ in re.finditer(r"\{", value):
                lines[f"{path}[{item}]"] = n
                item += 1
            if depth > 0:
                array_key, array_items = path, item
    return lines


def _unquote_key(key: str) -> str:
    return ".".join(p.strip().strip('"') for p in re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', key))


def _strip_comment(line: str) -> str:
    in_str: str | None = None
    for i, c in enumerate(line):
        if in_str:
            if c == in_str:
                in_str = None
        elif c in "\"'":
            in_str = c
        elif c == "#":
            return line[:i]
    return line


def _switches(config: SecurityConfig) -> dict[str, Any]:
    """What the config turns on, as keys that exist only when on (the paths a check's
    ``assesses`` names): ``enabled.tls``, ``enabled.audit``, ``auth_methods.<method>``."""
    security = config.security
    enabled = {
        name: True
        for name, on in (
            ("tls", security.tls_config.enabled),
            ("audit", security.audit_config.enabled),
        )
        if on
    }
    out: dict[str, Any] = {}
    if enabled:
        out["enabled"] = enabled
    methods = {str(m): True for m in security.auth_config.methods}
    if methods:
        out["auth_methods"] = methods
    return out


def certificate_facts(cert_file: str, ctx: FileContext) -> dict[str, Any]:
    """Facts about the first certificate in ``cert_file`` (relative to the config file)."""
    from cryptography import x509  # imported when a configuration names a certificate
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    facts: dict[str, Any] = {"file": cert_file}
    path = ctx.confined(cert_file)
    if path is None:  # the same words whether or not such a file exists
        return {**facts, "error": CERT_OUTSIDE}
    try:
        data = read_regular(path, cert_file, MAX_CERT_BYTES)
    except InputError as e:
        reason = e.message.removeprefix("cannot read: ")
        return {**facts, "error": f"cannot read certificate: {reason}"}
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError as e:
        return {**facts, "error": f"not a PEM X.509 certificate: {e}"}
    key = cert.public_key()
    key_type, key_size, curve = "unknown", None, None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, key_size = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, key_size, curve = "EC", key.key_size, key.curve.name
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, key_size = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, key_size = "Ed448", 456
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, key_size = "DSA", key.key_size
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name if algorithm is not None else None
    except Exception:  # unsupported signature algorithm
        signature_hash = None
    not_after = cert.not_valid_after_utc
    return {
        **facts,
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": rfc3339(cert.not_valid_before_utc),
        "not_after": rfc3339(not_after),
        "not_after_ns": calendar.timegm(not_after.utctimetuple()) * 1_000_000_000,
        "key_type": key_type,
        "key_size": key_size,
        "curve": curve,
        "signature_hash": signature_hash,
        "self_signed": cert.issuer == cert.subject,
        "serial": format(cert.serial_number, "x"),
        "error": None,
    }


class SecurityConfigLoader:
    """SecurityConfigs: ``*.toml`` files by name (one without a ``[security]`` table is
    skipped when found in a folder), and YAML/JSON documents with a ``security`` table."""

    kind = "securityconfig"
    format = "securityconfig"
    formats: Mapping[str, str] = {"securityconfig": "TOML/YAML/JSON with a [security] table"}

    def claims(self, name: str) -> bool:
        return name.lower().endswith(".toml")

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        if not explicit and not may_be_config(text):
            return FileLoad(skipped=[Skipped(ctx.rel, "TOML without a [security] table")])
        return FileLoad(format="securityconfig", resources=load_toml(text, ctx))

    def claims_document(self, value: Any) -> bool:
        return isinstance(value, dict) and isinstance(value.get("security"), dict)

    def load_document(self, doc: Document, ctx: FileContext) -> list[Resource]:
        return load_document(doc, ctx)

    def dependencies(self, resource: Resource) -> Iterable[str]:
        """The certificate ``cert_file`` names, when it lies inside the scanned root (one
        outside it is never read)."""
        cert = resource.facts.get("certificate")
        if (
            isinstance(cert, dict)
            and isinstance(cert.get("file"), str)
            and cert.get("error") != CERT_OUTSIDE
        ):
            yield cert["file"]

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """None beyond the walk of its body (secret-looking names)."""


LOADER = SecurityConfigLoader()
