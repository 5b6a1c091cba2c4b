"""Which files to load: folders walked (sorted, tool folders skipped, symlinks confined to
the scanned root), each file's kind by name, and what is skipped before reading (tool
files, Helm chart templates, kustomize patches) with the reason. Nothing here reads an
input file."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compliance.errors import InputError
from compliance.inputs import foreign
from compliance.inputs.base import LoadOptions, LoadResult
from compliance.model import LoadError
from compliance.model.notes import BuildNotice, Skipped

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        ".terraform",
        ".compliance-cache",
        "__pycache__",
    }
)

_BY_NAME = operator.attrgetter("name")


@dataclass
class Job:
    """A file to load: ``path`` is what is read, ``rel`` what reports show."""

    path: str
    rel: str
    kind: str
    explicit: bool
    root: Path | None = None


@dataclass
class Discovery:
    steps: list[Job | LoadResult] = field(default_factory=list)
    """In input order: a file to load, or what is known without loading (an error, a skip)."""
    notices: list[BuildNotice] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    """Per path given, how many files were seen under it."""


def walk(root: str, errors: list[tuple[Path, str]]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every non-directory entry under ``root`` with its path, sorted by name at each
    level; the path is what ``(Path(root) / name).as_posix()`` gives (``.`` drops out)."""
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=_BY_NAME)
    except OSError as e:
        errors.append((Path(root), f"cannot list directory: {e.strerror or e}"))
        return
    prefix = "" if root == "." else root if root.endswith("/") else root + "/"
    for entry in entries:
        path = prefix + entry.name
        try:
            real_dir = entry.is_dir(follow_symlinks=False)  # from readdir: no stat
        except OSError:
            real_dir = False
        if real_dir:
            if entry.name not in SKIP_DIRS:
                yield from walk(path, errors)
        else:
            yield path, entry


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _file_root(path: Path, options: LoadOptions) -> Path:
    """The root a file given by name confines what it names to (see LoadOptions.root)."""
    if options.root is not None:
        return options.root.resolve()
    cwd = Path.cwd().resolve()
    real = path.resolve()
    return cwd if real.is_relative_to(cwd) else real.parent


def _errors(error: LoadError) -> LoadResult:
    return LoadResult(errors=[error])


def _skipped(rel: str, reason: str) -> LoadResult:
    return LoadResult(skipped=[Skipped(rel, reason)])


def discover(
    paths: Sequence[str],
    options: LoadOptions,
    kind_by_name: Callable[[str], str | None],
    kind_of_named: Callable[[str], str],
) -> Discovery:
    """The files under ``paths`` to load, in order. ``kind_by_name``: the kind of a file
    found in a folder (None: not an input); ``kind_of_named``: of a file named itself."""
    out = Discovery()
    named = _named_plan(paths, options)
    out.notices.extend(named.notices)
    for given in paths:
        if given == "-":
            raise InputError("'-' (stdin) must be read with load_stream")
        root = Path(given)
        if not root.exists() and not root.is_symlink():
            out.steps.append(_errors(LoadError(file=given, message="no such file or directory")))
            continue
        if root.is_dir():
            _folder(given, root, options, kind_by_name, out)
            continue
        out.seen[given] = 1
        skip = (
            named.skipped.get(os.path.normpath(given))
            or foreign.tool_file(root.name)
            or foreign.chart_template(root)
        )
        if skip is not None:
            out.steps.append(_skipped(given, skip))
            continue
        kind = kind_of_named(root.name)
        out.steps.append(Job(str(root), given, kind, explicit=True, root=_file_root(root, options)))
    return out


def _folder(
    given: str,
    root: Path,
    options: LoadOptions,
    kind_by_name: Callable[[str], str | None],
    out: Discovery,
) -> None:
    root_real = root.resolve()
    confine = options.root.resolve() if options.root is not None else root_real
    walk_errors: list[tuple[Path, str]] = []
    listing = list(walk(str(root), walk_errors))
    out.seen[given] = len(listing)
    names = {rel: entry.name for rel, entry in listing}
    plan = foreign.plan(names, options.max_file_bytes)
    # a root inside a chart's templates/: its Chart.yaml is not in the listing
    under_templates = "templates" in root_real.parts
    out.notices.extend(plan.notices)
    steps = out.steps
    for rel, entry in listing:
        # what Path(root) / name gives: a relative root's paths stay relative
        kind = kind_by_name(entry.name)
        if entry.is_symlink():  # from readdir: no stat
            problem = _symlink_problem(rel, root_real)
            if problem is not None:
                steps.append(problem)
                continue
        skip = plan.skipped.get(rel) or foreign.tool_file(entry.name)
        if skip is None and under_templates:  # the chart above the root
            skip = foreign.chart_template(Path(os.path.abspath(rel)))
        if skip is not None or kind is None:
            steps.append(_skipped(rel, skip or "not a recognised input kind"))
            continue
        steps.append(Job(rel, rel, kind, explicit=False, root=confine))
    cwd = Path.cwd()
    for path, message in walk_errors:
        rel = _rel(path, cwd) if not root.is_absolute() else path.as_posix()
        steps.append(_errors(LoadError(file=rel, message=message)))


def _symlink_problem(rel: str, root_real: Path) -> LoadResult | None:
    """Why a symlink found in a folder is not loaded (dangling, a loop, leaving the root,
    a folder), or None to load its target."""
    try:
        target = Path(rel).resolve(strict=True)
    except (OSError, RuntimeError) as e:
        problem = "symlink loop" if isinstance(e, RuntimeError) else "dangling symlink"
        return _errors(LoadError(file=rel, message=problem))
    if not target.is_relative_to(root_real):
        return _errors(
            LoadError(file=rel, message=f"symlink leaves the scanned root (points to {target})")
        )
    if target.is_dir():
        return _skipped(rel, "symlink to a directory (not followed)")
    return None


def _named_plan(paths: Sequence[str], options: LoadOptions) -> foreign.Plan:
    """The kustomize plan over the files named on the command line (a kustomization named
    with its patch files: the patches are skipped as in a folder)."""
    if not any(os.path.basename(p) in foreign.KUSTOMIZATION_NAMES for p in paths):
        return foreign.Plan({}, [])
    files = {os.path.normpath(p): os.path.basename(p) for p in paths if os.path.isfile(p)}
    return foreign.plan(files, options.max_file_bytes)
