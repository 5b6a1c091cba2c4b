"""``compliance.yaml``: a project's packs, parameters, waivers, failure threshold and scope.

Looked up in the current directory, or given with ``--config FILE``::

    packs: [soc2, gdpr]              # default: every pack
    fail_on: medium                  # default: high
    parameters:
      tls_min_version: "1.3"         # global: every pack that declares it
      gdpr:                          # per pack: only that pack
        log_retention_max_days: 365
    waivers: [...]                   # see compliance.waivers
    ledger: sqlite:///.compliance/ledger.db   # where `evaluate` records runs (COMPLIANCE_LEDGER)
    scope:                           # the ledger scope runs are recorded under (or just a name)
      name: production
      exclude:                       # controls out of scope: reported not_applicable
        - control: "gdpr:Art.5(1)(e)"
          reason: "no personal data is stored by this system"

Precedence, highest first: ``--param`` / ``--pack`` / ``--fail-on`` on the command line, then
this file, then pack defaults. Within one layer a per-pack parameter beats a global one; a
global ``--param`` beats a per-pack value in this file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import UsageError
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model import Pack
from compliance.waivers import LoadedWaiver, located_in, parse_waivers, project_relative

PROJECT_FILE = "compliance.yaml"
MAX_BYTES = 1_000_000

FailOn = Literal["critical", "high", "medium", "low", "info", "none"]


class Exclusion(BaseModel):
    """A control scoped out of the project, with the reason (a Statement of Applicability
    records both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    control: str = Field(pattern=r"^[^:\s]+:\S.*$")
    """``pack:control``, e.g. ``gdpr:Art.5(1)(e)``."""
    reason: str = Field(min_length=1, pattern=r"\S")


class ProjectConfig(BaseModel):
    # defer_build: schema built on first use (a run with no such file builds none)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    packs: list[str] | None = Field(default=None, min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    waivers: list[Any] = Field(default_factory=list)
    """Kept raw; ``compliance.waivers`` validates the entries (file and line)."""
    fail_on: FailOn | None = None
    ledger: str | None = None
    """Default ledger URL (``sqlite:///PATH`` or ``postgresql://...``)."""
    scope: str | dict[str, Any] | None = None
    """The ledger scope's name, or a mapping with ``name`` (and scoping decisions)."""
    sample: dict[str, Any] | None = None
    """Period-report sample sizes: ``{sizes: "1-5:all,6-50:5,51-250:10%,>250:25"}``."""

    def scope_name(self) -> str | None:
        if isinstance(self.scope, str):
            return self.scope
        if isinstance(self.scope, dict) and isinstance(self.scope.get("name"), str):
            return str(self.scope["name"])
        return None


@dataclass(frozen=True)
class Project:
    """A loaded project file (``file`` is None when there is none)."""

    config: ProjectConfig = field(default_factory=ProjectConfig)
    file: str | None = None
    text: str = ""
    lines: dict[str, int] = field(default_factory=dict)

    def exclusions(self, packs: Sequence[Pack], known_packs: Collection[str]) -> dict[str, str]:
        """``pack:control`` -> reason for the controls ``scope.exclude`` names among the
        loaded ``packs``. UsageError (file and line) for an unknown pack or control, or a
        control excluded twice; a control of a known pack that is not loaded is ignored."""
        out: dict[str, str] = {}
        loaded = {p.name: {c.id for c in p.controls} for p in packs}
        for i, entry in enumerate(self._exclude()):
            line = self.lines.get(f"scope.exclude[{i}]")
            pack, _, control = entry.control.partition(":")
            if pack not in known_packs:
                raise UsageError(
                    f"scope.exclude[{i}]: unknown pack {pack!r} in {entry.control!r}",
                    file=self.file,
                    line=line,
                )
            if pack not in loaded:
                continue
            if control not in loaded[pack]:
                raise UsageError(
                    f"scope.exclude[{i}]: pack {pack} has no control {control!r}",
                    file=self.file,
                    line=line,
                )
            if entry.control in out:
                raise UsageError(
                    f"scope.exclude[{i}]: {entry.control} is excluded twice",
                    file=self.file,
                    line=line,
                )
            out[entry.control] = entry.reason.strip()
        return out

    def _exclude(self) -> list[Exclusion]:
        """``scope.exclude`` checked (``scope`` may also be just the ledger scope's name)."""
        scope = self.config.scope
        raw = scope.get("exclude") if isinstance(scope, dict) else None
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise UsageError(
                "scope.exclude must be a list of {control, reason}",
                file=self.file,
                line=self.lines.get("scope.exclude"),
            )
        out = []
        for i, item in enumerate(raw):
            try:
                out.append(Exclusion.model_validate(item))
            except ValidationError as e:
                first = e.errors()[0]
                where = _dotted(("scope", "exclude", i, *first["loc"]))
                line = self.lines.get(where) or self.lines.get(f"scope.exclude[{i}]")
                raise UsageError(
                    f"invalid {where}: {first['msg']}", file=self.file, line=line
                ) from e
        return out

    def loaded_waivers(self) -> list[LoadedWaiver]:
        """The ``waivers:`` entries parsed by ``compliance.waivers`` (``[]`` without a file)."""
        if not self.file or not self.config.waivers:
            return []
        loaded = parse_waivers(self.text, self.file, key_required=False)
        return located_in(loaded, project_relative(Path(self.file)))


def find_project(config: Path | None = None, directory: Path | None = None) -> Project:
    """``config`` if given (it must exist), else ``compliance.yaml`` in ``directory`` (default:
    the current one), else an empty project. Raises UsageError naming the file and line."""
    if config is not None:
        if not config.is_file():
            raise UsageError("project file not found", file=str(config))
        return load_project(config, str(config))
    path = (directory or Path.cwd()) / PROJECT_FILE
    if not path.is_file():
        return Project()
    return load_project(path, PROJECT_FILE)


def load_project(path: Path, name: str) -> Project:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"project file is over {MAX_BYTES} bytes", file=name)
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise UsageError(f"cannot read project file: {e.strerror or e}", file=name) from e
    except UnicodeDecodeError as e:
        raise UsageError("project file is not valid UTF-8", file=name) from e
    return parse_project(text, name)


def parse_project(text: str, name: str = PROJECT_FILE) -> Project:
    try:
        docs = load_documents(text)
    except YamlError as e:
        raise UsageError(e.message, file=name, line=e.line) from e
    if not docs:
        return Project(file=name, text=text)
    if len(docs) != 1 or not isinstance(docs[0].value, dict):
        raise UsageError(
            "a project file is one YAML mapping (packs, parameters, waivers, fail_on)",
            file=name,
            line=docs[0].line,
        )
    doc = docs[0]
    try:
        config = ProjectConfig.model_validate(doc.value)
    except ValidationError as e:
        first = e.errors()[0]
        where = _dotted(first["loc"])
        line = doc.lines.get(where) or doc.lines.get(where.rpartition(".")[0]) or doc.line
        if first["type"] == "extra_forbidden":
            message = f"unknown key {where!r} (known: packs, parameters, waivers, fail_on, ledger, scope, sample)"
        else:
            got = first.get("input")
            shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
            message = f"invalid {where}: {first['msg']}{shown}"
        raise UsageError(message, file=name, line=line) from e
    project = Project(config, name, text, doc.lines)
    project.loaded_waivers()  # validate now: a bad waiver is an error before anything runs
    return project


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
