"""Find input files, read them safely, and hand each to the loader of its kind.

By name: Dockerfiles, compose files, ``*.tf`` and ``*.toml``. By content, for YAML/JSON:
``apiVersion`` + ``kind`` is Kubernetes, a ``security`` table is a SecurityConfig, a
``terraform show -json`` document is a Terraform plan.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import operator
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from compliance.collector import gc_paused
from compliance.errors import InputError
from compliance.inputs import compose, foreign, safety, yamljson
from compliance.inputs.base import FileContext, LoadOptions, LoadResult
from compliance.inputs.reading import decode, read_regular
from compliance.inputs.yamlutil import MAX_DEPTH
from compliance.model import LoadError, Resource
from compliance.model.construct import trusted
from compliance.model.report import InputRef
from compliance.model.resource import ResourceRow
from compliance.secrets.collect import collect_secrets, mark_shapes, text_may_hold_shape

FORMATS: dict[str, str] = {
    "k8s": "Kubernetes YAML/JSON (multi-document, List): apiVersion + kind",
    "dockerfile": "Dockerfile, *.Dockerfile, Dockerfile.*",
    "compose": "compose*.y*ml, docker-compose*.y*ml",
    "terraform": "*.tf, terraform show -json plan output",
    "securityconfig": "TOML/YAML/JSON with a [security] table",
}

_DOCKERFILE = ("Dockerfile", "*.Dockerfile", "Dockerfile.*", "*.dockerfile")
_COMPOSE = ("compose*.yml", "compose*.yaml", "docker-compose*.yml", "docker-compose*.yaml")
_YAML_JSON = (".yaml", ".yml", ".json")
_SKIP_DIRS = {
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


_COMPOSE_NAME = re.compile("|".join(fnmatch.translate(p) for p in _COMPOSE))
_DOCKERFILE_NAME = re.compile("|".join(fnmatch.translate(p) for p in _DOCKERFILE))
"""fnmatch's patterns, compiled once (POSIX: fnmatch does not fold case either)."""


@functools.lru_cache(maxsize=4096)
def kind_by_name(name: str) -> str | None:
    """The input kind a file name says (names repeat across a tree: memoised)."""
    if _COMPOSE_NAME.match(name):
        return "compose"
    if _DOCKERFILE_NAME.match(name):
        return "dockerfile"
    lower = name.lower()
    if lower.endswith(".tf"):
        return "terraform"
    if lower.endswith(".toml"):
        return "securityconfig"
    if lower.endswith(_YAML_JSON):
        return "yaml"
    return None


_BY_NAME = operator.attrgetter("name")


def _walk(root: str, errors: list[tuple[Path, str]]) -> Iterator[tuple[str, os.DirEntry[str]]]:
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
            if entry.name not in _SKIP_DIRS:
                yield from _walk(path, errors)
        else:
            yield path, entry


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


class FileCache(Protocol):
    """Per-file load results keyed by what was read (see compliance.incremental.cache).

    ``get_unchanged`` may answer from the file's ``os.stat`` alone (no read). What a
    cache keeps is written by its owner once results are known (``Cache.save``)."""

    def get_unchanged(
        self, rel: str, kind: str, explicit: bool, st: os.stat_result
    ) -> Recorded | None: ...

    def get_file(
        self, rel: str, kind: str, explicit: bool, data: bytes, st: os.stat_result | None = None
    ) -> Recorded | None: ...

    def put_file(
        self,
        rel: str,
        kind: str,
        explicit: bool,
        data: bytes,
        result: LoadResult,
        st: os.stat_result | None = None,
    ) -> None: ...


@dataclass
class LoadedFiles(LoadResult):
    """A LoadResult that also carries, per input file, the secret values found in its
    resources: collected where they were parsed (worker processes, or the file cache), so
    that scrubbing a report never walks every resource again in the main process."""

    secrets: dict[str, set[str]] = field(default_factory=dict)


class Recorded(NamedTuple):
    """A file's load as a cache recorded it (``record_of``), answered without reading the
    file: no resources (the cache reads them only when an evaluation needs them). Merged
    straight from the record: a warm run has thousands, and a LoadResult each would cost
    more than everything else it does per file (a tuple: built in half the time of a
    frozen dataclass)."""

    record: dict[str, Any]
    rel: str
    sha256: str
    """The file's path and the SHA-256 of its bytes (its input record's)."""
    text: str | None = None
    """The file's text when it was read after all (its bytes compared): kept as a parsed
    file's text is."""

    def merge_into(self, out: LoadedFiles) -> None:
        record = self.record
        for i in record["inputs"]:  # written from checked InputRefs
            if type(i) is list:  # the file's own: [format, resources]
                values = {
                    "file": self.rel,
                    "format": i[0],
                    "sha256": self.sha256,
                    "resources": i[1],
                }
            else:
                values = dict(i)
            out.inputs.append(trusted(InputRef, values))
        if "errors" in record:
            out.errors.extend(LoadError.model_validate(e) for e in record["errors"])
        if "skipped" in record:
            out.skipped.extend(dict(s) for s in record["skipped"])
        if self.text is not None and record["inputs"]:
            out.texts[self.rel] = self.text
        # a file with no secret values needs no entry: its resources are not in ``out``
        # (an entry only tells input_secrets that they were walked)
        for rel, values in record.get("secrets", {}).items():
            out.secrets.setdefault(rel, set()).update(values)


def record_of(result: LoadedFiles, rel: str, sha256: str) -> dict[str, Any]:
    """What ``Recorded`` holds for file ``rel`` (bytes ``sha256``): the result's input
    records, errors, skipped notes and secret values as JSON data, each only when there
    is one. The file's own input record is kept as [format, resources] (a warm run parses
    one per file; the rest is the file's)."""
    record: dict[str, Any] = {
        "inputs": [
            [i.format, i.resources]
            if i.file == rel and i.sha256 == sha256
            else i.model_dump(mode="json")
            for i in result.inputs
        ]
    }
    if result.errors:
        record["errors"] = [e.model_dump(mode="json") for e in result.errors]
    if result.skipped:
        record["skipped"] = result.skipped
    secrets = {r: sorted(values) for r, values in result.secrets.items() if values}
    if secrets:
        record["secrets"] = secrets
    return record


def with_secrets(result: LoadResult, *, shapes_possible: bool = True) -> LoadedFiles:
    """``result`` with the secret values of its resources, by file (``shapes_possible``:
    see ``collect_secrets``)."""
    return LoadedFiles(
        resources=result.resources,
        errors=result.errors,
        inputs=result.inputs,
        skipped=result.skipped,
        texts=result.texts,
        notices=result.notices,
        seen=result.seen,
        secrets=dict(collect_secrets(result.resources, shapes_possible=shapes_possible)),
    )


@dataclass
class _Job:
    path: str
    rel: str
    kind: str
    explicit: bool
    root: Path | None = None


def _file_root(path: Path, options: LoadOptions) -> Path:
    """The root a file given by name confines what it names to (see LoadOptions.root)."""
    if options.root is not None:
        return options.root.resolve()
    cwd = Path.cwd().resolve()
    real = path.resolve()
    return cwd if real.is_relative_to(cwd) else real.parent


def load_paths(
    paths: list[str],
    options: LoadOptions | None = None,
    *,
    workers: int = 1,
    cache: FileCache | None = None,
    keep_texts: bool = True,
) -> LoadedFiles:
    """Load every file under ``paths``. Never raises for bad input: errors are collected.

    ``workers > 1`` parses files in that many processes; ``cache`` reuses the result of a
    file whose bytes did not change. Either way the result is the same, in the same order.
    ``keep_texts``: keep every input's text (``texts``, what an evidence bundle holds); else
    only JSON inputs' (secret values are also collected from their raw structure)."""
    options = options or LoadOptions()
    steps: list[_Job | LoadResult] = []
    notices: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    cwd = Path.cwd()
    named = _named_plan(paths, options)
    notices.extend(named.notices)
    for given in paths:
        if given == "-":
            raise InputError("'-' (stdin) must be read with load_stream")
        root = Path(given)
        if not root.exists() and not root.is_symlink():
            steps.append(_errors(LoadError(file=given, message="no such file or directory")))
            continue
        if root.is_dir():
            root_real = root.resolve()
            confine = options.root.resolve() if options.root is not None else root_real
            walk_errors: list[tuple[Path, str]] = []
            listing = list(_walk(str(root), walk_errors))
            seen[given] = len(listing)
            names = {rel: entry.name for rel, entry in listing}
            plan = foreign.plan(names, options.max_file_bytes)
            # a root inside a chart's templates/: its Chart.yaml is not in the listing
            under_templates = "templates" in root_real.parts
            notices.extend(plan.notices)
            for rel, entry in listing:
                # what Path(root) / name gives: a relative root's paths stay relative
                kind = kind_by_name(entry.name)
                if entry.is_symlink():  # from readdir: no stat
                    path = Path(rel)
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError) as e:
                        problem = (
                            "symlink loop" if isinstance(e, RuntimeError) else "dangling symlink"
                        )
                        steps.append(_errors(LoadError(file=rel, message=problem)))
                        continue
                    if not target.is_relative_to(root_real):
                        steps.append(
                            _errors(
                                LoadError(
                                    file=rel,
                                    message=f"symlink leaves the scanned root (points to {target})",
                                )
                            )
                        )
                        continue
                    if target.is_dir():
                        steps.append(
                            LoadResult(
                                skipped=[
                                    {"file": rel, "reason": "symlink to a directory (not followed)"}
                                ]
                            )
                        )
                        continue
                skip = plan.skipped.get(rel) or foreign.tool_file(entry.name)
                if skip is None and under_templates:  # the chart above the root
                    skip = foreign.chart_template(Path(os.path.abspath(rel)))
                if skip is not None or kind is None:
                    reason = skip or "not a recognised input kind"
                    steps.append(LoadResult(skipped=[{"file": rel, "reason": reason}]))
                    continue
                steps.append(_Job(rel, rel, kind, explicit=False, root=confine))
            for path, message in walk_errors:
                rel = _rel(path, cwd) if not root.is_absolute() else path.as_posix()
                steps.append(_errors(LoadError(file=rel, message=message)))
        else:
            seen[given] = 1
            skip = (
                named.skipped.get(os.path.normpath(given))
                or foreign.tool_file(root.name)
                or foreign.chart_template(root)
            )
            if skip is not None:
                steps.append(LoadResult(skipped=[{"file": given, "reason": skip}]))
                continue
            kind = kind_by_name(root.name) or "yaml"
            steps.append(
                _Job(str(root), given, kind, explicit=True, root=_file_root(root, options))
            )
    with gc_paused():
        merged = _merge(_execute(steps, options, workers, cache, keep_texts))
    merged.notices.extend(notices)
    merged.seen.update(seen)
    return merged


def _named_plan(paths: Sequence[str], options: LoadOptions) -> foreign.Plan:
    """The kustomize plan over the files named on the command line (a kustomization named
    with its patch files: the patches are skipped as in a folder)."""
    if not any(os.path.basename(p) in foreign.KUSTOMIZATION_NAMES for p in paths):
        return foreign.Plan({}, [])
    files = {os.path.normpath(p): os.path.basename(p) for p in paths if os.path.isfile(p)}
    return foreign.plan(files, options.max_file_bytes)


NOTHING_TO_EVALUATE = "nothing to evaluate under"


def nothing_to_evaluate(result: LoadResult, paths: Sequence[str]) -> None:
    """When nothing under ``paths`` was recognised and nothing failed: an error per path,
    so that a run over nothing is never green."""
    if result.inputs or result.errors or result.resources:
        return
    for given in paths:
        count = result.seen.get(given, 0)
        result.errors.append(
            LoadError(
                file=given,
                message=f"{NOTHING_TO_EVALUATE} {given} ({count} files seen, none recognised)",
            )
        )


def _errors(error: LoadError) -> LoadResult:
    return LoadResult(errors=[error])


def _execute(
    steps: list[_Job | LoadResult],
    options: LoadOptions,
    workers: int,
    cache: FileCache | None,
    keep_texts: bool = True,
) -> list[LoadResult | Recorded]:
    """Parse every job's file the cache does not hold (in ``workers`` processes when there
    is enough to share), keeping the order of ``steps``. Without a cache each file is read
    where it is parsed; with one, here (its bytes are compared, then recorded)."""
    done: list[LoadResult | Recorded | None] = []
    pending: list[tuple[int, FileContext, str, bool]] = []
    read: dict[int, tuple[str, bytes, os.stat_result | None]] = {}
    """Per pending file read here (with a cache): its text, bytes and stat."""
    size = 0
    for step in steps:
        if isinstance(step, LoadResult):
            done.append(step)
            continue
        if cache is None:
            with contextlib.suppress(OSError):  # an unreadable file: its reader says why
                size += os.stat(step.path).st_size
            ctx = FileContext(Path(step.path), step.rel, options, step.root)
            pending.append((len(done), ctx, step.kind, step.explicit))
            done.append(None)
            continue
        st: os.stat_result | None = None
        with contextlib.suppress(OSError):
            st = os.stat(step.path)  # before reading: a later write changes it
        unchanged = (
            cache.get_unchanged(step.rel, _cache_kind(step.kind, step.root), step.explicit, st)
            if st
            else None
        )
        if unchanged is not None:  # same stat as when it was last read: not read again
            done.append(unchanged)
            continue
        try:
            data = _read_bytes(Path(step.path), step.rel, options)
            text = decode(data, step.rel)
        except InputError as e:
            done.append(_errors(LoadError(file=step.rel, line=e.line, message=e.message)))
            continue
        hit = cache.get_file(step.rel, _cache_kind(step.kind, step.root), step.explicit, data, st)
        if hit is not None:  # the same bytes as recorded (touched, racy, or --cache-verify)
            kept = text if _keeps_text(step.rel, keep_texts) else None
            done.append(Recorded(hit.record, hit.rel, hit.sha256, kept))
            continue
        read[len(done)] = (text, data, st)
        size += len(data)
        ctx = FileContext(Path(step.path), step.rel, options, step.root)
        pending.append((len(done), ctx, step.kind, step.explicit))
        done.append(None)
    args = [
        (read[index][0] if index in read else None, ctx, kind, explicit, keep_texts)
        for index, ctx, kind, explicit in pending
    ]
    if workers > 1 and len(args) > 1 and size >= PARALLEL_MIN_BYTES:
        from compliance.evaluation.executor import chunk_size, map_in_processes

        # the files of a kind together (a kind's one-time cost in a process is paid by as
        # few workers as can be), Terraform's first: python-hcl2's grammar is read from the
        # cache folder here (every fork inherits it), or compiled by the one worker whose
        # first chunk holds every .tf file, or else here before the fork
        order = sorted(range(len(args)), key=lambda i: (args[i][2] != "terraform", args[i][2]))
        if terraform := sum(1 for a in args if a[2] == "terraform"):
            from compliance.inputs import hcl_grammar

            if hcl_grammar.has_cache_dir() or terraform > chunk_size(len(args), workers):
                hcl_grammar.parser()
        parsed = map_in_processes(_load_packed, [args[i] for i in order], workers)
        unpacked: dict[int, tuple[LoadedFiles, str | None]] = {
            i: (_unpack(packed), kept) for i, (packed, kept) in zip(order, parsed, strict=True)
        }
        loads = [unpacked[i] for i in range(len(args))]
    else:
        loads = [_load(*a) for a in args]
    for (index, ctx, kind, explicit), (result, kept) in zip(pending, loads, strict=True):
        if cache is not None:
            _, data, st = read[index]
            cache.put_file(ctx.rel, _cache_kind(kind, ctx.root), explicit, data, result, st)
        if kept is not None:
            result.texts[ctx.rel] = kept
        done[index] = result
    return [d for d in done if d is not None]


def _cache_kind(kind: str, root: Path | None) -> str:
    """The kind a file's cache entry is kept under: with the scanned root for the kinds
    that may hold a SecurityConfig, whose certificate is read only inside that root."""
    return f"{kind}@{root}" if root is not None and kind in ("securityconfig", "yaml") else kind


def _keeps_text(rel: str, keep_texts: bool) -> bool:
    """Whether an input's text is kept: always a JSON input's (``input_secrets`` reads its
    raw structure), every other's for evidence bundles only."""
    return keep_texts or rel.lower().endswith(".json")


def _load(
    text: str | None, ctx: FileContext, kind: str, explicit: bool, keep_texts: bool
) -> tuple[LoadedFiles, str | None]:
    """One file's load (read first unless ``text`` is given) and the text to keep: that of a
    file with inputs, as ``_keeps_text`` says."""
    if text is None:
        try:
            text = _read(ctx.path, ctx.rel, ctx.options)
        except InputError as e:
            return LoadedFiles(
                errors=[LoadError(file=ctx.rel, line=e.line, message=e.message)]
            ), None
    result = _load_text(text, ctx, kind, explicit)
    return result, text if result.inputs and _keeps_text(ctx.rel, keep_texts) else None


_Packed = tuple[
    list[ResourceRow],
    list[LoadError],
    list[InputRef],
    list[dict[str, str]],
    dict[str, set[str]],
]


def _load_packed(
    text: str | None, ctx: FileContext, kind: str, explicit: bool, keep_texts: bool
) -> tuple[_Packed, str | None]:
    """``_load`` in a worker process (which reads the file itself: no text is sent to it),
    its resources as plain tuples: pickling and unpickling a pydantic model per resource
    costs the main process about twice as much."""
    result, kept = _load(text, ctx, kind, explicit, keep_texts)
    resources = [r.to_row() for r in result.resources]
    return (resources, result.errors, result.inputs, result.skipped, result.secrets), kept


def _unpack(packed: _Packed) -> LoadedFiles:
    """The worker's result as it was there (every field set; validated in the worker)."""
    resources, errors, inputs, skipped, secrets = packed
    return LoadedFiles(
        resources=[Resource.from_row(row) for row in resources],
        errors=errors,
        inputs=inputs,
        skipped=skipped,
        secrets=secrets,
    )


PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""Below this much text, starting processes costs more than it saves."""


def _load_text(text: str, ctx: FileContext, kind: str, explicit: bool) -> LoadedFiles:
    """One file's resources, errors, input record and secret values (its text is added by
    the caller)."""
    result = LoadResult()
    hinted = text_may_hold_shape(text)
    _dispatch_text(text, ctx, kind, result, explicit=explicit, hinted=hinted)
    result.texts.clear()
    # a YAML or JSON file's bodies hold only strings of its text (other loaders add
    # what they read elsewhere: env files, certificates)
    return with_secrets(result, shapes_possible=hinted or kind != "yaml")


def _merge(parts: Sequence[LoadResult | Recorded]) -> LoadedFiles:
    out = LoadedFiles()
    secrets = out.secrets
    for part in parts:
        if isinstance(part, Recorded):
            part.merge_into(out)
            continue
        if part.resources:
            out.resources.extend(part.resources)
            if not isinstance(part, LoadedFiles):
                part = with_secrets(part)  # e.g. from another FileCache: collect them now
        out.errors.extend(part.errors)
        out.inputs.extend(part.inputs)
        out.skipped.extend(part.skipped)
        out.notices.extend(part.notices)
        out.texts.update(part.texts)
        if isinstance(part, LoadedFiles):
            for rel, values in part.secrets.items():
                secrets.setdefault(rel, set()).update(values)
    return out


def load_stream(text: str, name: str = "-", options: LoadOptions | None = None) -> LoadResult:
    """A YAML stream (``helm template ... | compliance evaluate -``)."""
    result = LoadResult()
    options = options or LoadOptions()
    root = options.root.resolve() if options.root is not None else Path.cwd().resolve()
    ctx = FileContext(Path.cwd() / name, name, options, root)
    _dispatch_text(text, ctx, "yaml", result, explicit=True, hinted=text_may_hold_shape(text))
    return result


def _read_bytes(path: Path, rel: str, options: LoadOptions) -> bytes:
    return read_regular(path, rel, options.max_file_bytes)


def _read(path: Path, rel: str, options: LoadOptions) -> str:
    return decode(_read_bytes(path, rel, options), rel)


def _dispatch_text(
    text: str, ctx: FileContext, kind: str, result: LoadResult, *, explicit: bool, hinted: bool
) -> None:
    resources: list[Resource] = []
    fmt = kind
    try:
        if kind == "dockerfile":
            from compliance.inputs import dockerfile  # dockerfile-parse only when one is read

            resources = dockerfile.load(text, ctx)
        elif kind == "terraform":
            from compliance.inputs import terraform  # python-hcl2 only when a .tf is read

            resources = terraform.load(text, ctx)
        elif kind == "securityconfig":
            from compliance.inputs import securityconfig

            if not explicit and not securityconfig.may_be_config(text):
                result.skipped.append(
                    {"file": ctx.rel, "reason": "TOML without a [security] table"}
                )
                return
            resources = securityconfig.load_toml(text, ctx)
        elif kind == "compose":
            docs = yamljson.documents(text, ctx)
            for doc in docs:
                resources.extend(compose.load_document(doc, ctx))
        else:
            fmt, resources = yamljson.load_yaml_json(text, ctx, result, explicit=explicit)
        yamljson.check_resources(resources, ctx)
    except InputError as e:
        result.errors.append(LoadError(file=e.file or ctx.rel, line=e.line, message=e.message))
        return
    except RecursionError:  # a parser without a depth limit of its own (TOML, HCL)
        result.errors.append(
            LoadError(
                file=ctx.rel,
                line=safety.deepest_line(text, MAX_DEPTH),
                message=f"nested too deeply (more than {MAX_DEPTH} levels)",
            )
        )
        return
    except Exception as e:  # a loader bug must not stop the other inputs
        if isinstance(e, ValueError) and safety.too_many_digits(e):
            result.errors.append(
                LoadError(
                    file=ctx.rel,
                    line=safety.too_many_digits_line(text),
                    message="integer of more than 4300 digits is too large to read",
                )
            )
            return
        result.errors.append(
            LoadError(
                file=ctx.rel, message=f"internal error while loading ({type(e).__name__}: {e})"
            )
        )
        return
    if fmt == "unrecognised":
        return
    mark_shapes(resources, text, hinted=hinted)
    result.resources.extend(resources)
    result.texts[ctx.rel] = text
    result.inputs.append(
        InputRef(
            file=ctx.rel,
            format=fmt,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            resources=len(resources),
        )
    )
