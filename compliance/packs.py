"""Pack discovery, manifest validation, the check library and digests."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from compliance.errors import PackError
from compliance.models import CheckMeta, Pack

_METADATA = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.MULTILINE)


def policy_root() -> Path:
    """``$COMPLIANCE_POLICIES``, else ``policies/`` beside the package."""
    env = os.environ.get("COMPLIANCE_POLICIES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "policies"


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
                raise PackError(f"check {meta.id} declared twice (also in {checks[meta.id].module})", file=name)
            checks[meta.id] = meta
    return CheckLibrary(modules, checks)


def parse_metadata(source: str, module: str) -> list[CheckMeta]:
    """Every ``# METADATA`` block of ``source`` that declares a check (``custom.id``)."""
    out = []
    for match in _METADATA.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        block = "\n".join(row[2:] if row.startswith("# ") else row[1:] for row in match.group(1).splitlines())
        try:
            data = yaml.safe_load(block) or {}
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
                    module=module,
                )
            )
        except ValidationError as e:
            raise PackError(f"invalid METADATA for {custom['id']}: {e}", file=module, line=line) from e
    return out


def available_packs(root: Path | None = None) -> list[str]:
    root = root or policy_root()
    return sorted(p.parent.name for p in root.glob("*/pack.yaml"))


def load_pack(name: str, library: CheckLibrary, root: Path | None = None) -> Pack:
    root = root or policy_root()
    manifest = root / name / "pack.yaml"
    rel = manifest.relative_to(root).as_posix()
    if not manifest.is_file():
        known = ", ".join(available_packs(root)) or "none"
        raise PackError(f"unknown pack {name!r} (available: {known})")
    raw = manifest.read_bytes()
    try:
        data: Any = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PackError(f"invalid YAML: {e}", file=rel, line=mark.line + 1 if mark else None) from e
    if not isinstance(data, dict):
        raise PackError("pack manifest must be a mapping", file=rel)
    modules = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / name).rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    }
    try:
        pack = Pack.model_validate({**data, "path": str(manifest.parent), "modules": modules})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PackError(f"invalid pack manifest at {where}: {first['msg']}", file=rel) from e
    if pack.name != name:
        raise PackError(f"pack name {pack.name!r} does not match its folder {name!r}", file=rel)
    seen: set[str] = set()
    for control in pack.controls:
        if control.id in seen:
            raise PackError(f"control {control.id} listed twice", file=rel)
        seen.add(control.id)
        unknown = [c for c in control.checks if c not in library.checks]
        if unknown:
            raise PackError(f"control {control.id} names unknown check(s): {', '.join(unknown)}", file=rel)
        if control.evidence != "manual" and not control.checks:
            raise PackError(f"control {control.id} is {control.evidence} but names no checks", file=rel)
    digest = hashlib.sha256()
    for part_name, part in [(rel, raw), *library.digest_material(), *((n, s.encode()) for n, s in modules.items())]:
        digest.update(part_name.encode() + b"\0" + hashlib.sha256(part).digest())
    return pack.model_copy(update={"digest": f"sha256:{digest.hexdigest()}"})


def load_packs(names: list[str] | None, library: CheckLibrary, root: Path | None = None) -> list[Pack]:
    return [load_pack(n, library, root) for n in (names or available_packs(root))]


def effective_parameters(pack: Pack, overrides: dict[str, Any]) -> dict[str, Any]:
    """Pack defaults with the overrides that name one of its parameters."""
    params = dict(pack.parameters)
    for key, value in overrides.items():
        if key in params:
            params[key] = value
    return params
