"""Pack parameters: their declarations (``policies/parameters.yaml``), layering and checking.

Overrides come as one mapping with two kinds of keys:
  global:   ``{"tls_min_version": "1.3"}``         every pack that takes the parameter
  per pack: ``{"gdpr": {"log_retention_max_days": 365}}`` or ``{"gdpr.log_retention_max_days": 365}``
Within one mapping a per-pack value beats a global one. ``merge_parameters`` layers several
mappings (pack defaults < compliance.yaml < --param), so a later global value also beats an
earlier per-pack one. Values are converted to the declared type (``--param
tls_min_version=1.3`` parses as a float; the checks compare strings) and must be within what
is declared (``allowed`` values, ``minimum``..``maximum``), else a UsageError (exit 2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compliance.errors import PackError, UsageError
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model import Pack
from compliance.model.pack import ParameterSpec

PARAMETERS_FILE = "parameters.yaml"


@dataclass(frozen=True)
class Declarations:
    """The declared parameters of a policy root and the bytes they were read from."""

    specs: dict[str, ParameterSpec]
    raw: bytes

    def for_pack(self, pack: str) -> dict[str, ParameterSpec]:
        return {name: spec for name, spec in self.specs.items() if spec.takes(pack)}


_LOADED: dict[tuple[str, str], Declarations] = {}


def load_declarations(root: Path) -> Declarations:
    """``<root>/parameters.yaml`` (none declared when the file is absent). PackError names
    the file and line of a bad declaration, or of a default outside its own declaration."""
    path = root / PARAMETERS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Declarations({}, b"")
    except OSError as e:
        raise PackError(f"cannot read: {e.strerror}", file=PARAMETERS_FILE) from e
    key = (str(path), hashlib.sha256(raw).hexdigest())
    cached = _LOADED.get(key)
    if cached is not None:
        return cached
    try:
        docs = load_documents(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PackError("not valid UTF-8", file=PARAMETERS_FILE) from e
    except YamlError as e:
        raise PackError(e.message, file=PARAMETERS_FILE, line=e.line) from e
    if len(docs) != 1 or not isinstance(docs[0].value, dict):
        raise PackError("parameter declarations must be one YAML mapping", file=PARAMETERS_FILE)
    doc = docs[0]
    specs: dict[str, ParameterSpec] = {}
    for name, body in doc.value.items():
        line = doc.lines.get(str(name))
        try:
            spec = ParameterSpec.model_validate(body)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PackError(
                f"invalid declaration of {name} at {where}: {first['msg']}",
                file=PARAMETERS_FILE,
                line=line,
            ) from e
        if (spec.type == "list") != (spec.items is not None):
            raise PackError(
                f"{name}: `items` is the item type of a list, and only of a list",
                file=PARAMETERS_FILE,
                line=line,
            )
        try:
            validate_value(str(name), spec.default, spec)
        except UsageError as e:
            raise PackError(
                f"the default of {name} is outside its declaration: {e.message}",
                file=PARAMETERS_FILE,
                line=line,
            ) from e
        specs[str(name)] = spec
    declarations = _LOADED[key] = Declarations(specs, raw)
    return declarations


def validate_value(name: str, value: Any, spec: ParameterSpec) -> Any:
    """``value`` converted to the declared type; UsageError naming the parameter and what is
    allowed when it does not fit."""
    if value is None and spec.nullable:
        return None
    if spec.type == "list":
        items = value
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(items, list):
            raise UsageError(f"parameter {name}: {value!r} is not {spec.describe()}")
        item_type = spec.items or "string"
        return [
            _scalar(f"{name}[{i}]", item, item_type, spec, spec.describe())
            for i, item in enumerate(items)
        ]
    return _scalar(name, value, spec.type, spec, spec.describe())


def _scalar(name: str, value: Any, kind: str, spec: ParameterSpec, allowed: str) -> Any:
    bad = UsageError(f"parameter {name}: {value!r} is not allowed; allowed: {allowed}")
    converted: Any
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "string":
        if isinstance(value, str):
            converted = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            converted = str(value)  # --param tls_min_version=1.3 arrives as a float
        else:
            raise bad
        if not converted.strip():
            raise bad
    elif kind == "integer":
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int):
            converted = value
        elif isinstance(value, float) and value.is_integer():
            converted = int(value)
        elif isinstance(value, str) and _integral(value):
            digits = value.strip().lstrip("-").isdigit()
            converted = int(value) if digits else int(float(value))
        else:
            raise bad
    else:  # number
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad
        try:
            converted = float(value)
        except ValueError as e:
            raise bad from e
    if spec.allowed is not None and converted not in spec.allowed:
        raise bad
    if spec.minimum is not None and converted < spec.minimum:
        raise bad
    if spec.maximum is not None and converted > spec.maximum:
        raise bad
    return converted


def _integral(text: str) -> bool:
    """An integer's text (``30``, ``-5``), or one written with a zero fraction (``30.0``:
    `--param` keeps a float's text)."""
    try:
        number = float(text)
    except ValueError:
        return False
    return number.is_integer() and abs(number) < 2**63


def split_parameters(
    overrides: dict[str, Any], pack_names: Collection[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(global, per_pack)`` from one overrides mapping, given the names of known packs."""
    glob: dict[str, Any] = {}
    per: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        head, dot, rest = key.partition(".")
        if key in pack_names and isinstance(value, dict):
            per.setdefault(key, {}).update(value)
        elif dot and head in pack_names and rest:
            per.setdefault(head, {})[rest] = value
        else:
            glob[key] = value
    return glob, per


def merge_parameters(
    layers: Sequence[dict[str, Any]], pack_names: Collection[str]
) -> dict[str, Any]:
    """Layers lowest precedence first into one overrides mapping (globals, then ``{pack: {...}}``)."""
    glob: dict[str, Any] = {}
    per: dict[str, dict[str, Any]] = {}
    for layer in layers:
        layer_glob, layer_per = split_parameters(layer, pack_names)
        for key, value in layer_glob.items():
            glob[key] = value
            for values in per.values():
                values.pop(key, None)
        for pack, values in layer_per.items():
            per.setdefault(pack, {}).update(values)
    return {**glob, **{pack: values for pack, values in per.items() if values}}


def effective_parameters(pack: Pack, overrides: dict[str, Any]) -> dict[str, Any]:
    """Pack defaults, then the global overrides it takes, then its per-pack overrides.

    Raises UsageError for a value outside the parameter's declaration."""
    params = dict(pack.parameters)
    glob, per = split_parameters(overrides, {pack.name})
    for key, value in [*glob.items(), *per.get(pack.name, {}).items()]:
        if key in params:
            params[key] = _convert(pack, key, value)
    return params


def _convert(pack: Pack, key: str, value: Any, label: str | None = None) -> Any:
    """``value`` for ``pack``'s parameter ``key``; errors name it as ``label`` (default ``key``)."""
    spec = pack.parameter_specs.get(key)
    if spec is not None:
        return validate_value(label or key, value, spec)
    return coerce_parameter(label or key, value, pack.parameters[key])


def check_parameters(
    packs: Sequence[Pack],
    overrides: dict[str, Any],
    pack_names: Collection[str],
    source: str,
    lines: dict[str, int] | None = None,
) -> None:
    """UsageError for a parameter no loaded pack takes, or a value outside its declaration.

    Per-pack values for a known pack that is not loaded in this run are ignored. ``source``
    names where the overrides came from (``--param``, ``compliance.yaml``); ``lines`` maps
    ``parameters.<name>`` / ``parameters.<pack>.<name>`` to lines of that file."""
    lines = lines or {}
    glob, per = split_parameters(overrides, pack_names)
    loaded = {p.name: p for p in packs}
    known = sorted({k for p in packs for k in p.parameters})
    entries: list[tuple[str, Any, list[Pack]]] = [
        (key, value, [p for p in packs if key in p.parameters]) for key, value in glob.items()
    ]
    for name, values in per.items():
        if name in loaded:
            entries += [
                (f"{name}.{k}", v, [loaded[name]] if k in loaded[name].parameters else [])
                for k, v in values.items()
            ]
    for key, value, owners in entries:
        line = lines.get(f"parameters.{key}")
        if not owners:
            raise UsageError(
                f"unknown parameter {key}; known: {', '.join(known)}", file=source, line=line
            )
        bare = key.rpartition(".")[2] if key not in glob else key
        for pack in owners:
            try:
                _convert(pack, bare, value, key)
            except UsageError as e:
                raise UsageError(e.message, file=source, line=line) from e


def coerce_parameter(name: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (str, int, float, bool or a list of them): for a
    parameter a pack has without a declaration."""
    if default is None or value is None:
        return value
    if isinstance(default, list):
        items = value
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(items, list):
            raise UsageError(f"parameter {name}: expected a list, got {value!r}")
        sample = default[0] if default else ""
        return [coerce_parameter(f"{name}[{i}]", item, sample) for i, item in enumerate(items)]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise UsageError(f"parameter {name}: expected true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise UsageError(f"parameter {name}: expected an integer, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise UsageError(f"parameter {name}: expected a number, got {value!r}")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise UsageError(f"parameter {name}: expected a string, got {value!r}")
    if isinstance(default, dict) and not isinstance(value, dict):
        raise UsageError(f"parameter {name}: expected a mapping, got {value!r}")
    return value
