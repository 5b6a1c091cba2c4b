"""The loaders, asked in order: a file goes to the first file loader that claims its name,
a YAML/JSON document to the first document loader that claims its content.

By name: compose files, Dockerfiles, ``*.tf``, ``*.toml``, then ``*.yaml``/``*.yml``/
``*.json``. By content, for YAML/JSON: ``apiVersion`` + ``kind`` is Kubernetes, a
``security`` table is a SecurityConfig (a ``terraform show -json`` document is a Terraform
plan). A resource's format names the loader that answers for its secret values and the
other files its load read.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from compliance.errors import InputError
from compliance.inputs import compose, dockerfile, k8s, safety, securityconfig, terraform, yamljson
from compliance.inputs.base import (
    DocumentLoader,
    FileContext,
    FileLoader,
    LoadedFiles,
    Loader,
    LoadResult,
)
from compliance.inputs.records import FileCache, Recorded, record_of
from compliance.inputs.yamlutil import MAX_DEPTH
from compliance.model import LoadError, Resource
from compliance.model.report import InputRef
from compliance.secrets.collect import (
    mark_shapes,
    scan_literals,
    scan_string,
    text_may_hold_shape,
    walk,
)

__all__ = [
    "FORMATS",
    "NOTHING_TO_EVALUATE",
    "FileCache",
    "LoadedFiles",
    "Recorded",
    "collect_secrets",
    "dependencies",
    "kind_by_name",
    "load_text",
    "nothing_to_evaluate",
    "record_of",
    "register",
    "register_document",
    "unregister",
    "with_secrets",
]

DOCUMENT_LOADERS: list[DocumentLoader] = [k8s.LOADER, securityconfig.LOADER]
"""Asked in order by the YAML/JSON loader for each document."""
YAML = yamljson.YamlJsonLoader(DOCUMENT_LOADERS)
LOADERS: list[FileLoader] = [
    compose.LOADER,
    dockerfile.LOADER,
    terraform.LOADER,
    securityconfig.LOADER,
    YAML,
]
"""Asked in order for each file name; a file named on the command line that none claims
is read as YAML/JSON."""

FORMATS: dict[str, str] = {}
"""Input format -> what is read as it (every loader's ``formats``)."""
_BY_FORMAT: dict[str, Loader] = {}
_BY_KIND: dict[str, FileLoader] = {}


def _index() -> None:
    """The maps by format and kind, after a change to the lists (the first loader of a
    format or kind wins, as in the order they are asked)."""
    FORMATS.clear()
    _BY_FORMAT.clear()
    _BY_KIND.clear()
    for loader in [*DOCUMENT_LOADERS, *LOADERS]:
        for fmt, what in loader.formats.items():
            FORMATS.setdefault(fmt, what)
            _BY_FORMAT.setdefault(fmt, loader)
    for file_loader in LOADERS:
        _BY_KIND.setdefault(file_loader.kind, file_loader)
    kind_by_name.cache_clear()


def register(loader: FileLoader) -> None:
    """Ask ``loader`` for file names before the loaders already registered."""
    LOADERS.insert(0, loader)
    _index()


def register_document(loader: DocumentLoader) -> None:
    """Ask ``loader`` for YAML/JSON documents before the loaders already registered."""
    DOCUMENT_LOADERS.insert(0, loader)
    _index()


def unregister(loader: FileLoader | DocumentLoader) -> None:
    """Stop asking ``loader`` (registered with ``register`` or ``register_document``)."""
    if loader in LOADERS:
        LOADERS.remove(loader)
    if loader in DOCUMENT_LOADERS:
        DOCUMENT_LOADERS.remove(loader)
    _index()


@functools.lru_cache(maxsize=4096)
def kind_by_name(name: str) -> str | None:
    """The kind of the first loader that claims a file of this name (names repeat across
    a tree: memoised)."""
    for loader in LOADERS:
        if loader.claims(name):
            return loader.kind
    return None


def kind_of_named(name: str) -> str:
    """The kind a file named on the command line is loaded as: YAML/JSON when no loader
    claims its name."""
    return kind_by_name(name) or YAML.kind


_index()


def load_text(text: str, ctx: FileContext, kind: str, explicit: bool) -> LoadedFiles:
    """One file's resources, errors, input record and secret values (its text is added by
    the caller)."""
    result = LoadResult()
    hinted = text_may_hold_shape(text)
    parse(text, ctx, kind, result, explicit=explicit, hinted=hinted)
    result.texts.clear()
    # a YAML or JSON file's bodies hold only strings of its text (other loaders add what
    # they read elsewhere: env files, certificates)
    return with_secrets(result, shapes_possible=hinted or kind != YAML.kind)


def parse(
    text: str,
    ctx: FileContext,
    kind: str,
    result: LoadResult,
    *,
    explicit: bool,
    hinted: bool | None = None,
) -> None:
    """Load ``text`` with the loader of ``kind`` into ``result``: its resources (with
    ``facts.secret_shapes``), text and input record, or the error that stopped it."""
    resources: list[Resource] = []
    fmt: str | None = None
    try:
        loaded = _BY_KIND[kind].load(text, ctx, explicit=explicit)
        result.errors.extend(loaded.errors)
        result.skipped.extend(loaded.skipped)
        fmt, resources = loaded.format, loaded.resources
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
    if fmt is None:
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


def collect_secrets(
    resources: Iterable[Resource], *, shapes_possible: bool = True
) -> dict[str, set[str]]:
    """rel file -> the secret values of its resources: what each resource's loader makes
    secret, and what ``walk`` finds in its body (secret-looking names, credential shapes).
    ``shapes_possible=False`` (the file they were parsed from fails ``text_may_hold_shape``:
    no token mark, no URL with ``@``, no escape that could spell one) skips the token and
    URL-password patterns on the bodies' strings; every other rule runs as usual."""
    found: dict[str, set[str]] = defaultdict(set)
    scan = scan_string if shapes_possible else scan_literals
    by_format = _BY_FORMAT
    for r in resources:
        values = found[r.source.file]
        loader = by_format.get(r.source.format)
        if loader is not None:
            loader.secret_values(r, values)
        walk(r.body, values, scan)
    return found


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


def dependencies(rel: str, resources: Sequence[Resource]) -> list[Path]:
    """The other files the load of ``rel`` read (as its resources' loaders say), each once,
    relative to ``rel``'s folder unless absolute."""
    named: list[str] = []
    for r in resources:
        loader = _BY_FORMAT.get(r.source.format)
        if loader is not None:
            named.extend(loader.dependencies(r))
    out: list[Path] = []
    for written in dict.fromkeys(named):
        path = Path(written)
        out.append(path if path.is_absolute() else Path(rel).parent / path)
    return out


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
