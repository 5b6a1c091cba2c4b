"""Pack discovery, manifest validation, the check library and digests."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from compliance.errors import PackError, UsageError
from compliance.loaders.yamlutil import YamlError, load_documents
from compliance.models import CheckMeta, Pack
from compliance.paths import dotted, nearest_line

_METADATA = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.MULTILINE)


def policy_root() -> Path:
    """``$COMPLIANCE_POLICIES``; else ``policies/`` of a source checkout; else the copy a
    wheel ships as ``compliance/_policies``."""
    env = os.environ.get("COMPLIANCE_POLICIES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    checkout = here.parent / "policies"
    return checkout if (checkout / "checks").is_dir() else here / "_policies"


@dataclass(frozen=True)
class CheckLibrary:
    """The shared Rego modules (``policies/checks``) and the checks their METADATA declares."""

    modules: dict[str, str]
    checks: dict[str, CheckMeta]

    def digest_material(self) -> list[tuple[str, bytes]]:
        return [(name, self.modules[name].encode()) for name in sorted(self.modules)]


def load_library(root: Path | None = None) -> CheckLibrary:
    root = root or policy_root()
    check_dir = root / "checks"
    if not check_dir.is_dir():
        raise PackError("check library not found", file=str(check_dir))
    modules: dict[str, str] = {}
    checks: dict[str, CheckMeta] = {}
    for path in sorted(check_dir.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        name = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8")
        modules[name] = source
        for meta in parse_metadata(source, name):
            if meta.id in checks:
                raise PackError(
                    f"check {meta.id} declared twice (also in {checks[meta.id].module})", file=name
                )
            checks[meta.id] = meta
    return CheckLibrary(modules, checks)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (the same documents, ~10x faster)."""


def parse_metadata(source: str, module: str) -> list[CheckMeta]:
    """Every ``# METADATA`` block of ``source`` that declares a check (``custom.id``)."""
    out = []
    for match in _METADATA.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        block = "\n".join(
            row[2:] if row.startswith("# ") else row[1:] for row in match.group(1).splitlines()
        )
        try:
            data = yaml.load(block, Loader=_SAFE_LOADER) or {}
        except yaml.YAMLError as e:
            raise PackError(f"invalid METADATA block: {e}", file=module, line=line) from e
        custom = data.get("custom") or {}
        if "id" not in custom:
            continue
        try:
            out.append(
                CheckMeta(
                    id=custom["id"],
                    title=data.get("title", ""),
                    severity=custom.get("severity", "medium"),
                    remediation=custom.get("remediation", ""),
                    kinds=list(custom.get("kinds") or []),
                    scope=custom.get("scope", "global"),
                    module=module,
                )
            )
        except ValidationError as e:
            raise PackError(
                f"invalid METADATA for {custom['id']}: {e}", file=module, line=line
            ) from e
    return out


def available_packs(root: Path | None = None) -> list[str]:
    root = root or policy_root()
    return sorted(p.parent.name for p in root.glob("*/pack.yaml"))


_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)


def load_pack(name: str, library: CheckLibrary, root: Path | None = None) -> Pack:
    """Validate ``<root>/<name>/pack.yaml`` against ``library``. PackError names file and line."""
    root = root or policy_root()
    manifest = root / name / "pack.yaml"
    if not manifest.is_file():
        raise unknown_pack(name, root)
    rel = manifest.relative_to(root).as_posix()
    raw = manifest.read_bytes()
    try:
        docs = load_documents(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PackError("pack manifest is not valid UTF-8", file=rel) from e
    except YamlError as e:
        raise PackError(e.message, file=rel, line=e.line) from e
    if len(docs) != 1 or not isinstance(docs[0].value, dict):
        raise PackError(
            "pack manifest must be one YAML mapping", file=rel, line=docs[0].line if docs else None
        )
    doc = docs[0]
    data: dict[str, Any] = doc.value
    for key in ("path", "modules", "digest"):
        if key in data:
            raise PackError(
                f"{key!r} is computed, not written in a manifest", file=rel, line=doc.lines.get(key)
            )
    modules = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / name).rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    }
    try:
        pack = Pack.model_validate({**data, "path": str(manifest.parent), "modules": modules})
    except ValidationError as e:
        first = e.errors()[0]
        where = dotted(first["loc"])
        line = nearest_line(doc.lines, where) or doc.line
        raise PackError(
            f"invalid pack manifest at {where}: {first['msg']}", file=rel, line=line
        ) from e
    if pack.name != name:
        raise PackError(
            f"pack name {pack.name!r} does not match its folder {name!r}",
            file=rel,
            line=doc.lines.get("name"),
        )
    if not _SEMVER.match(pack.version):
        raise PackError(
            f"pack version {pack.version!r} is not semver (MAJOR.MINOR.PATCH)",
            file=rel,
            line=doc.lines.get("version"),
        )
    seen: set[str] = set()
    for i, control in enumerate(pack.controls):
        at = doc.lines.get(f"controls[{i}]")
        if control.id in seen:
            raise PackError(f"control {control.id} listed twice", file=rel, line=at)
        seen.add(control.id)
        for j, check in enumerate(control.checks):
            if check not in library.checks:
                raise PackError(
                    f"control {control.id} names unknown check {check!r} (not declared by any METADATA block in checks/)",
                    file=rel,
                    line=doc.lines.get(f"controls[{i}].checks[{j}]", at),
                )
        if len(set(control.checks)) != len(control.checks):
            raise PackError(f"control {control.id} lists a check twice", file=rel, line=at)
        if control.evidence != "manual" and not control.checks:
            raise PackError(
                f"control {control.id} is {control.evidence} but names no checks",
                file=rel,
                line=at,
            )
    digest = hashlib.sha256()
    for part_name, part in [
        (rel, raw),
        *library.digest_material(),
        *((n, s.encode()) for n, s in modules.items()),
    ]:
        digest.update(part_name.encode() + b"\0" + hashlib.sha256(part).digest())
    return pack.model_copy(update={"digest": f"sha256:{digest.hexdigest()}"})


def unknown_pack(
    name: str, root: Path | None = None, *, file: str | None = None, line: int | None = None
) -> UsageError:
    """The usage error for a pack name that names no pack, with the nearest one."""
    known = available_packs(root)
    by_case = [k for k in known if k.lower() == name.lower()]
    near = by_case or difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    listed = ", ".join(known) or "none"
    return UsageError(f"unknown pack {name!r}{hint} (available: {listed})", file=file, line=line)


def check_pack_names(
    names: Sequence[str],
    root: Path | None = None,
    *,
    file: str | None = None,
    lines: dict[str, int] | None = None,
) -> None:
    """UsageError naming the first of ``names`` that is no pack (and where it was written)."""
    known = set(available_packs(root))
    for i, name in enumerate(names):
        if name not in known:
            raise unknown_pack(name, root, file=file, line=(lines or {}).get(f"packs[{i}]"))


def load_packs(
    names: list[str] | None, library: CheckLibrary, root: Path | None = None
) -> list[Pack]:
    return [load_pack(n, library, root) for n in (names or available_packs(root))]


# Parameters -----------------------------------------------------------------------------
#
# Overrides come as one mapping with two kinds of keys:
#   global:   ``{"tls_min_version": "1.3"}``         every pack that declares the parameter
#   per pack: ``{"gdpr": {"log_retention_max_days": 365}}`` or ``{"gdpr.log_retention_max_days": 365}``
# Within one mapping a per-pack value beats a global one. ``merge_parameters`` layers several
# mappings (pack defaults < compliance.yaml < --param), so a later global value also beats an
# earlier per-pack one. Values are coerced to the type of the pack's default (``--param
# tls_min_version=1.3`` parses as a float; the checks compare strings).


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
    """Pack defaults, then the global overrides it declares, then its per-pack overrides.

    Raises UsageError for a value that does not fit the default's type."""
    params = dict(pack.parameters)
    glob, per = split_parameters(overrides, {pack.name})
    for key, value in [*glob.items(), *per.get(pack.name, {}).items()]:
        if key in params:
            params[key] = coerce_parameter(key, value, pack.parameters[key])
    return params


def check_parameters(
    packs: Sequence[Pack],
    overrides: dict[str, Any],
    pack_names: Collection[str],
    source: str,
    lines: dict[str, int] | None = None,
) -> None:
    """UsageError for a parameter no loaded pack declares, or a value of the wrong type.

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
                coerce_parameter(key, value, pack.parameters[bare])
            except UsageError as e:
                raise UsageError(e.message, file=source, line=line) from e


def coerce_parameter(name: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (str, int, float, bool or a list of them)."""
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
