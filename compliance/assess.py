"""What the checks observed: the ``assesses`` METADATA contract, resource identity in a run,
and the population a report lists (DESIGN.md sections 3 and 4). No I/O.

A resource of kind K is *assessed* by check C when C lists K in ``kinds`` and either lists
no ``assesses`` paths for K (the kind always carries what C judges: a missing setting is
the defect) or one of those paths holds a value in the resource (``body.…``/``facts.…``,
``*`` for any key or item; an empty list: never). A check that reported a finding on a
resource assessed it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from compliance.model import CheckMeta, LoadError, Resource
from compliance.model.notes import SharedIdentity
from compliance.model.resource import Assessed

NO_CHECK = "no check reads this kind"
NO_PROPERTY = "the checks that read this kind found none of the properties they judge"
CONTEXT = "checks read this kind only as context for other resources"
UNEVALUABLE = "the checks could not evaluate them (an error names each)"


class Member(NamedTuple):
    """A resource of the run as the report lists it (``Report.resources``)."""

    id: str
    kind: str
    name: str
    namespace: str | None
    file: str
    line: int
    format: str
    assessed_by: tuple[str, ...]
    """The checks whose ``assesses`` paths found their property (findings add more)."""
    unevaluable: bool = False
    """Set aside: the engine could not evaluate it (``set_aside``), so no check assessed it."""


def format_of_kind(kind: str) -> str:
    """The input format a resource kind comes from."""
    if kind == "SecurityConfig":
        return "securityconfig"
    if kind == "Dockerfile":
        return "dockerfile"
    if kind == "ComposeService":
        return "compose"
    if kind[:1].islower():  # aws_s3_bucket, terraform_variable, azurerm_...
        return "terraform"
    return "k8s"


def formats_of_file(file: str) -> frozenset[str]:
    """The formats a file of this name may hold (what its failed load may have hidden)."""
    from compliance.inputs.registry import kind_by_name

    kind = kind_by_name(file.rpartition("/")[2]) if file != "-" else "yaml"
    if kind == "yaml":
        plan = {"terraform"} if file.lower().endswith(".json") else set()
        return frozenset({"k8s", "securityconfig", *plan})
    return frozenset() if kind is None else frozenset({kind})


def failed_formats(errors: Iterable[LoadError]) -> frozenset[str]:
    """The input formats of the files that failed (fully or partly) to load; pack and
    engine errors (``policies``, ``engine:…``) name no input file."""
    out: set[str] = set()
    for e in errors:
        if e.file == "policies" or e.file.startswith("engine:"):
            continue
        out |= formats_of_file(e.file)
    return frozenset(out)


def _holds(node: Any, parts: Sequence[str], at: int) -> bool:
    """Whether the dotted path ``parts[at:]`` leads from ``node`` to a value (not null)."""
    if at == len(parts):
        return node is not None
    part = parts[at]
    if part == "*":
        items: Iterable[Any] = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        return any(_holds(item, parts, at + 1) for item in items)
    if isinstance(node, dict):
        return part in node and _holds(node[part], parts, at + 1)
    if isinstance(node, list) and part.isdigit():
        index = int(part)
        return index < len(node) and _holds(node[index], parts, at + 1)
    return False


class Assessor:
    """Which of ``used`` checks assess a resource, from their METADATA."""

    def __init__(self, checks: Mapping[str, CheckMeta], used: Collection[str]) -> None:
        by_kind: dict[str, list[tuple[str, list[list[str]] | None]]] = defaultdict(list)
        for check in sorted(used):
            meta = checks[check]
            for kind in meta.kinds:
                paths = meta.assesses.get(kind)
                listed = None if paths is None else [p.split(".") for p in paths]
                by_kind[kind].append((check, listed))
        self.by_kind = dict(by_kind)
        self._always = {
            kind: tuple(check for check, _ in entries)
            for kind, entries in self.by_kind.items()
            if all(paths is None for _, paths in entries)
        }
        """The kinds whose every check lists no ``assesses`` paths: the same answer for
        every resource of the kind."""
        self._reads_body = {
            kind
            for kind, entries in self.by_kind.items()
            if kind not in self._always
            and any(p[0] == "body" for _, paths in entries for p in paths or ())
        }
        """The kinds whose checks' ``assesses`` paths read ``body``: another resource's body
        is not read (it may still be JSON, ``Resource.from_packed``)."""
        spec = {c: [checks[c].kinds, checks[c].assesses] for c in sorted(used)}
        self.key = hashlib.sha256(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
        """Digest of everything ``assessed_by`` depends on besides the resource."""

    def reads(self, kind: str) -> bool:
        return kind in self.by_kind

    def assessed_by(self, kind: str, body: Any, facts: Any) -> tuple[str, ...]:
        """The checks (sorted) that assess a resource of ``kind`` with ``body`` and ``facts``."""
        always = self._always.get(kind)
        if always is not None:
            return always
        entries = self.by_kind.get(kind)
        if entries is None:
            return ()
        out = []
        view = {"body": body, "facts": facts}
        for check, paths in entries:
            if paths is None or any(_holds(view, p, 0) for p in paths):
                out.append(check)
        return tuple(out)

    def assesses(self, resource: Resource) -> tuple[str, ...]:
        """``assessed_by`` of ``resource``: as found where it was loaded (``stamp``), else
        read from its body, only where a path needs it."""
        known = resource.assessed(self.key)
        if known is not None:
            return known
        kind = resource.kind
        body = resource.body if kind in self._reads_body else None
        return self.assessed_by(kind, body, resource.facts)

    def stamp(self, resource: Resource) -> Assessed:
        """What a load worker keeps with ``resource`` (``Resource.to_packed``), so that
        ``assesses`` need not read its body in the main process."""
        return self.key, self.assesses(resource)


# identity -------------------------------------------------------------------------------


def unique_ids(entries: Sequence[tuple[str, str]]) -> tuple[list[str], list[SharedIdentity]]:
    """Each entry's id in the run, from ``(id, file)`` in input order: an id that several
    objects share becomes ``<id>@<file>#<n>`` on each of them (``n``: the object's 1-based
    position among the objects loaded from its file), so that none is lost. With the ids
    that were shared and what each became."""
    counts = Counter(rid for rid, _ in entries)
    at: Counter[str] = Counter()
    out: list[str] = []
    shared: dict[str, list[str]] = {}
    for rid, file in entries:
        at[file] += 1
        if counts[rid] > 1:
            new = f"{rid}@{file}#{at[file]}"
            shared.setdefault(rid, []).append(new)
            out.append(new)
        else:
            out.append(rid)
    return out, [SharedIdentity(rid, tuple(ids)) for rid, ids in shared.items()]


def with_unique_ids(
    resources: Sequence[Resource],
) -> tuple[list[Resource], list[SharedIdentity]]:
    """``resources`` with the ids ``unique_ids`` gives them (the same objects where unchanged)."""
    ids, shared = unique_ids([(r.id, r.source.file) for r in resources])
    if not shared:
        return list(resources), shared
    return [
        r if r.id == new else r.model_copy(update={"id": new})
        for r, new in zip(resources, ids, strict=True)
    ], shared


def members(resources: Iterable[Resource], assessor: Assessor) -> list[Member]:
    assesses = assessor.assesses
    out = []
    for r in resources:
        src = r.source
        out.append(
            Member(
                r.id,
                r.kind,
                r.name,
                r.namespace,
                src.file,
                src.line,
                src.format,
                assesses(r),
            )
        )
    return out


def set_aside(population: list[Member], ids: Collection[str]) -> list[Member]:
    """``population`` with the resources of ``ids`` (those the engine could not evaluate)
    assessed by no check."""
    if not ids:
        return population
    return [m._replace(assessed_by=(), unevaluable=True) if m.id in ids else m for m in population]


# the population in a report ---------------------------------------------------------------


class Observed(NamedTuple):
    """What the run observed, from its population and its findings."""

    by_check: dict[str, list[str]]
    """Per check, the ids of the resources it assessed (in input order)."""
    resources: list[dict[str, Any]]
    """``Report.resources`` as JSON data."""
    unassessed: dict[str, dict[str, Any]]
    """``Summary.unassessed``: per kind, how many resources no check assessed, and why."""


def observed(
    population: Sequence[Member],
    reported: Iterable[tuple[str, str]],
    reason: Callable[[str], str],
) -> Observed:
    """``population`` with the checks that reported a finding on a resource
    (``reported``: (check, resource id)) counted as assessing it; ``reason`` says why a
    kind's resources were not assessed."""
    extra: dict[str, set[str]] = defaultdict(set)
    for check, rid in reported:
        extra[rid].add(check)
    by_check: dict[str, list[str]] = defaultdict(list)
    resources: list[dict[str, Any]] = []
    unassessed: Counter[str] = Counter()
    unevaluable: Counter[str] = Counter()
    for m in population:
        checks: Sequence[str] = m.assessed_by
        more = extra.get(m.id)
        if more and not more.issubset(checks):
            checks = sorted(more.union(checks))
        for check in checks:
            by_check[check].append(m.id)
        if not checks:
            unassessed[m.kind] += 1
            unevaluable[m.kind] += m.unevaluable
        resources.append(
            {
                "id": m.id,
                "kind": m.kind,
                "name": m.name,
                "namespace": m.namespace,
                "file": m.file,
                "line": m.line,
                "format": m.format,
                "assessed_by": list(checks),
            }
        )
    return Observed(
        dict(by_check),
        resources,
        {
            kind: {
                "count": unassessed[kind],
                "reason": _why(reason, kind, unassessed[kind], unevaluable[kind]),
            }
            for kind in sorted(unassessed)
        },
    )


def _why(reason: Callable[[str], str], kind: str, count: int, unevaluable: int) -> str:
    """Why ``count`` resources of ``kind`` were not assessed, ``unevaluable`` of them set
    aside."""
    if not unevaluable:
        return reason(kind)
    if unevaluable == count:
        return UNEVALUABLE
    return f"{reason(kind)}; {unevaluable} of them: {UNEVALUABLE}"
