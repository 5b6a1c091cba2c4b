"""Pack discovery, manifest validation, the check library and digests."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from compliance.errors import PackError, UsageError
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model import CheckMeta, Pack
from compliance.paths import dotted, nearest_line
from compliance.policy.parameters import (
    PARAMETERS_FILE,
    check_parameters,
    coerce_parameter,
    effective_parameters,
    load_declarations,
    merge_parameters,
    split_parameters,
)

__all__ = [
    "CheckLibrary",
    "available_packs",
    "check_pack_names",
    "check_parameters",
    "coerce_parameter",
    "effective_parameters",
    "load_library",
    "load_pack",
    "load_packs",
    "merge_parameters",
    "policy_root",
    "split_parameters",
    "unknown_pack",
]

_METADATA = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.MULTILINE)


def policy_root() -> Path:
    """``$COMPLIANCE_POLICIES``; else ``policies/`` of a source checkout; else the copy a
    wheel ships as ``compliance/_policies``."""
    env = os.environ.get("COMPLIANCE_POLICIES")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent / "policies"
    return checkout if (checkout / "checks").is_dir() else package / "_policies"


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
        assesses = _assesses(custom, module, line)
        try:
            out.append(
                CheckMeta(
                    id=custom["id"],
                    title=data.get("title", ""),
                    severity=custom.get("severity", "medium"),
                    remediation=custom.get("remediation", ""),
                    kinds=list(custom.get("kinds") or []),
                    assesses=assesses,
                    scope=custom.get("scope", "global"),
                    module=module,
                )
            )
        except ValidationError as e:
            raise PackError(
                f"invalid METADATA for {custom['id']}: {e}", file=module, line=line
            ) from e
    return out


def _assesses(custom: dict[str, Any], module: str, line: int) -> dict[str, list[str]]:
    """``custom.assesses`` checked: a mapping of kinds the check lists in ``kinds`` to lists
    of dotted paths that start at ``body`` or ``facts`` (an empty list: the kind is read as
    context for other resources and never assessed itself)."""
    raw = custom.get("assesses")
    if raw is None:
        return {}
    check = custom.get("id")
    if not isinstance(raw, dict):
        raise PackError(
            f"{check}: assesses must map kinds to lists of paths", file=module, line=line
        )
    kinds = set(custom.get("kinds") or [])
    out: dict[str, list[str]] = {}
    for kind, paths in raw.items():
        if kind not in kinds:
            raise PackError(
                f"{check}: assesses names kind {kind!r}, which is not in its kinds",
                file=module,
                line=line,
            )
        if not isinstance(paths, list):
            raise PackError(
                f"{check}: assesses.{kind} must be a list of paths",
                file=module,
                line=line,
            )
        for path in paths:
            parts = path.split(".") if isinstance(path, str) else []
            if not parts or parts[0] not in ("body", "facts") or not all(parts):
                raise PackError(
                    f"{check}: assesses.{kind} path {path!r} is not a dotted path under body or facts",
                    file=module,
                    line=line,
                )
        out[str(kind)] = [str(p) for p in paths]
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
    for key in ("path", "modules", "digest", "parameter_specs"):
        if key in data:
            raise PackError(
                f"{key!r} is computed, not written in a manifest", file=rel, line=doc.lines.get(key)
            )
    if "parameters" in data:
        raise PackError(
            f"parameters are declared once, in {PARAMETERS_FILE} beside the packs (type, "
            "default, allowed values), not in a pack manifest",
            file=rel,
            line=doc.lines.get("parameters"),
        )
    declarations = load_declarations(root)
    specs = declarations.for_pack(name)
    modules = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / name).rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    }
    try:
        pack = Pack.model_validate(
            {
                **data,
                "path": str(manifest.parent),
                "modules": modules,
                "parameters": {n: spec.default for n, spec in specs.items()},
                "parameter_specs": specs,
            }
        )
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
        *([(PARAMETERS_FILE, declarations.raw)] if specs else []),
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
