"""The one analyser of the checks' Rego: check families (``compliance.checks.<family>``
packages) and what each check may read, computed conservatively from the words of its
modules and of the shared modules.

``RegoAnalysis`` takes the modules (name -> source) and the check library, never an
Evaluator: the result cache, the parameter sets of one run, the split by scope and the
admission server's restricted evaluators all ask it. A family is a package under
``compliance.checks``: one module per family or one package per check, both work."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.policy.packs import CheckLibrary

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_CHECKS_PREFIX = "compliance.checks."


@functools.lru_cache(maxsize=256)
def family_of_module(source: str) -> str | None:
    match = _PACKAGE.search(source)
    if match and match.group(1).startswith(_CHECKS_PREFIX):
        return match.group(1)[len(_CHECKS_PREFIX) :]
    return None


_MISSING = object()


@dataclass(frozen=True)
class FamilyPlan:
    """What each check family (``compliance.checks.<family>``) may read, conservatively."""

    family_of_check: dict[str, str]
    family_kinds: dict[str, set[str]]
    """Kinds a family may read: its checks' METADATA kinds plus every word of its module
    and of the shared modules."""
    family_words: dict[str, set[str]]
    """Every word of a family's module and of the shared modules (parameter names too)."""
    dynamic_params: set[str]
    """Families that read parameters by a computed name (any parameter change concerns them)."""
    generic_kinds: dict[str, set[str] | None]
    """Families that iterate ``input.kinds``: the kind-name prefixes they filter on, or None
    for every kind (see ``kind_prefixes``)."""

    def affected(self, before: dict[str, Any], after: dict[str, Any]) -> set[str]:
        """The families whose violations may differ between parameters ``before`` and
        ``after``: those that name a parameter that differs, or read one by a computed name."""
        changed = {
            k
            for k in before.keys() | after.keys()
            if before.get(k, _MISSING) != after.get(k, _MISSING)
        }
        return {
            f
            for f, words in self.family_words.items()
            if f in self.dynamic_params or words & changed
        }

    def to_data(self) -> dict[str, Any]:
        """The plan as JSON data (``from_data`` gives it back): sets as sorted lists, and
        of each family's kinds only those beyond its words (usually none)."""
        return {
            "family_of_check": self.family_of_check,
            "family_words": {f: sorted(w) for f, w in self.family_words.items()},
            "kinds_beyond_words": {
                f: sorted(k - self.family_words.get(f, set())) for f, k in self.family_kinds.items()
            },
            "dynamic_params": sorted(self.dynamic_params),
            "generic_kinds": {
                f: None if k is None else sorted(k) for f, k in self.generic_kinds.items()
            },
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FamilyPlan:
        words = {f: set(w) for f, w in data["family_words"].items()}
        return cls(
            family_of_check=dict(data["family_of_check"]),
            family_kinds={
                f: words.get(f, set()) | set(k) for f, k in data["kinds_beyond_words"].items()
            },
            family_words=words,
            dynamic_params=set(data["dynamic_params"]),
            generic_kinds={
                f: None if k is None else set(k) for f, k in data["generic_kinds"].items()
            },
        )

    def kinds_of(self, families: Iterable[str], present: Iterable[str]) -> set[str]:
        """The kinds of ``present`` that any of ``families`` may read."""
        present = set(present)
        families = list(families)
        out = self.generic_of(families, present)
        if out is None:
            return present
        for family in families:
            out |= self.family_kinds.get(family, set()) & present
        return out

    def generic_of(self, families: Iterable[str], present: set[str]) -> set[str] | None:
        """The kinds of ``present`` that ``families`` read by iterating ``input.kinds``
        under a name prefix; None when one of them iterates every kind."""
        out: set[str] = set()
        for family in families:
            if family in self.generic_kinds:
                prefixes = self.generic_kinds[family]
                if prefixes is None:
                    return None
                out.update(k for k in present if k.startswith(tuple(prefixes)))
        return out


_LITERAL_PARAM = re.compile(r"""\bparam\(\s*"[^"]*"\s*,""")
_ANY_PARAM = re.compile(r"\bparam\(|input\.params")
_PARAM_DEFINITION = re.compile(r"^param\(.*$", re.MULTILINE)
_COMMENT_LINE = re.compile(r"^\s*#.*$", re.MULTILINE)


class RegoAnalysis:
    """What the Rego of a compiled policy may read: built from its modules (library and
    pack modules, name -> source) and the check library; each answer computed once, when
    first asked (an Evaluator owns one: its modules never change)."""

    def __init__(
        self, modules: Mapping[str, str], library: CheckLibrary, *, own_rego: bool = False
    ) -> None:
        self.modules = dict(modules)
        self.library = library
        self.own_rego = own_rego
        """A pack brings its own Rego: families cannot be told apart (no safe split)."""
        self._plan: FamilyPlan | None | object = _MISSING
        self._time_checks: frozenset[str] | None = None

    @property
    def plan(self) -> FamilyPlan | None:
        """The check families; None when a pack has its own Rego or a check lives outside
        ``compliance.checks.*`` (no safe split)."""
        if self._plan is _MISSING:
            self._plan = None if self.own_rego else family_plan(self.modules, self.library)
        return self._plan  # type: ignore[return-value]

    def adopt(self, plan: FamilyPlan | None) -> None:
        """Take ``plan`` as the families: one kept (compliance.incremental) from the
        analysis of the very same modules, instead of reading them all again."""
        self._plan = plan

    def kinds_read(self, present: Collection[str]) -> set[str]:
        return kinds_read(self.modules, self.library, present)

    def words_of_checks(self, checks: Iterable[str]) -> set[str] | None:
        return words_of_checks(self.modules, self.library, checks)

    def kinds_of_checks(self, checks: Sequence[str], read: set[str]) -> set[str]:
        """The kinds of ``read`` that ``checks`` may read: the words of their own rules (and
        the rules those name), their METADATA kinds, and the kinds their families iterate
        generically (LOG-01: every ``aws_`` kind)."""
        plan = self.plan
        if plan is None:
            return set(read)
        if not checks:
            return set()
        families = {plan.family_of_check[c] for c in checks}
        words = self.words_of_checks(checks)
        if words is None:
            return plan.kinds_of(families, read)
        words |= {k for c in checks for k in self.library.checks[c].kinds}
        generic = plan.generic_of(families, read)
        if generic is None:
            return set(read)
        return generic | {k for k in read if k in words}

    def time_checks(self) -> frozenset[str]:
        """Checks whose rules (or the rules they name) read ``input.now``/``input.now_ns``
        (TLS-04, certificate expiry): their results are reused only at the same time."""
        if self._time_checks is None:
            out = set()
            for check in self.library.checks:
                words = self.words_of_checks([check])
                if words is None or words & {"now", "now_ns"}:
                    out.add(check)
            self._time_checks = frozenset(out)
        return self._time_checks


def family_plan(modules: Mapping[str, str], library: CheckLibrary) -> FamilyPlan | None:
    """The families of ``modules`` (library modules, no pack Rego); None when a check lives
    outside ``compliance.checks.*`` (no safe split)."""
    family_of_check: dict[str, str] = {}
    family_kinds: dict[str, set[str]] = {}
    shared_words: set[str] = set()
    family_words: dict[str, set[str]] = {}
    dynamic: set[str] = set()
    shared_dynamic = False
    generic: dict[str, set[str] | None] = {}
    for source in modules.values():
        family = family_of_module(source)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
        words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", source))
        if family is None:
            shared_words |= words
            body = _PARAM_DEFINITION.sub("", _COMMENT_LINE.sub("", source))
            if len(_ANY_PARAM.findall(body)) != len(_LITERAL_PARAM.findall(body)):
                shared_dynamic = True
        else:
            family_words.setdefault(family, set()).update(words)
            code = _COMMENT_LINE.sub("", source)
            if len(_ANY_PARAM.findall(code)) != len(_LITERAL_PARAM.findall(code)):
                dynamic.add(family)
    for meta in library.checks.values():
        family = family_of_module(library.modules.get(meta.module, ""))
        if family is None:
            return None  # a check outside compliance.checks.*: no safe split
        family_of_check[meta.id] = family
        family_kinds.setdefault(family, set()).update(meta.kinds)
    shared_sources = [src for src in modules.values() if family_of_module(src) is None]
    rules = _shared_rules(tuple(shared_sources))
    for family, words in family_words.items():
        # conservative: any kind named anywhere the family, or a shared rule it refers to
        # (transitively), could read it; every shared word when rules cannot be told apart
        used = shared_words if rules is None else referenced_words(words, rules)
        family_kinds.setdefault(family, set()).update(words | used)
        family_words[family] = words | used
    for family in family_words:
        sources = [src for src in modules.values() if family_of_module(src) == family]
        for source in sources + shared_sources:
            prefixes = kind_prefixes(source)
            known = generic.get(family, set())
            if prefixes is None:
                generic[family] = None
            elif prefixes and known is not None:
                generic[family] = known | prefixes
    if shared_dynamic:
        dynamic = set(family_words)
    return FamilyPlan(family_of_check, family_kinds, family_words, dynamic, generic)


_TOP_LEVEL_RULE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\b")
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.lru_cache(maxsize=64)
def _statements(source: str) -> list[tuple[str, str]]:
    """Top-level statements of a module as (rule name, text); ``else`` branches belong
    to the rule before them, comments are dropped."""
    out: list[tuple[str, str]] = []
    for line in _COMMENT_LINE.sub("", source).splitlines():
        match = _TOP_LEVEL_RULE.match(line)
        if match and match.group(1) not in ("else",):
            name = match.group(1)
            if name == "default":
                words = line.split()
                name = words[1] if len(words) > 1 else name
            out.append((name, line + "\n"))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + line + "\n")
    return [(n, t) for n, t in out if n not in ("package", "import")]


_CHECK_LITERAL = re.compile(r'"check"\s*:\s*"([^"]+)"')


@functools.lru_cache(maxsize=64)
def _statement_words(source: str) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """Per top-level statement: its rule name, its words and the check ids it names
    literally (read once per module, however many checks ask)."""
    return tuple(
        (name, frozenset(_WORDS.findall(text)), frozenset(_CHECK_LITERAL.findall(text)))
        for name, text in _statements(source)
    )


def words_of_checks(
    modules: Mapping[str, str], library: CheckLibrary, checks: Iterable[str]
) -> set[str] | None:
    """Every word the rules producing ``checks``' violations may read: each
    ``violations`` rule of their modules that names one of them (or names no check
    literally), and every rule of that module or the shared modules those name,
    transitively. None when shared rules cannot be told apart (see ``shared_rules``)."""
    wanted = set(checks)
    shared = _shared_rules(tuple(src for src in modules.values() if family_of_module(src) is None))
    if shared is None:
        return None
    metas = library.checks
    sources = {metas[c].module for c in wanted if c in metas}
    words: set[str] = set()
    for module in sources:
        local: dict[str, set[str]] = {}
        roots: set[str] = set()
        for name, found, ids in _statement_words(modules.get(module, "")):
            if name == "violations":
                if not ids or ids & wanted:
                    roots |= found
            else:
                local.setdefault(name, set()).update(found)
        rules = {**shared, **local}
        for name in local.keys() & shared.keys():
            rules[name] = local[name] | shared[name]
        words |= roots | referenced_words(roots, rules)
    return words


@functools.lru_cache(maxsize=16)
def _shared_rules(sources: tuple[str, ...]) -> dict[str, set[str]] | None:
    return shared_rules(sources)


def shared_rules(sources: Iterable[str]) -> dict[str, set[str]] | None:
    """The words of each top-level rule or function of the shared modules (one entry per
    name, every definition and ``else`` branch merged); None when a module refers to rules
    by a computed name (``lib[x]``), so that any family may read anything of them."""
    rules: dict[str, set[str]] = {}
    for source in sources:
        if re.search(r"\b(lib|compliance)\s*\[", _COMMENT_LINE.sub("", source)):
            return None
        for name, text in _statements(source):
            rules.setdefault(name, set()).update(_WORDS.findall(text))
    return rules


def referenced_words(words: set[str], rules: dict[str, set[str]]) -> set[str]:
    """The words of every shared rule ``words`` name, and of the rules those name."""
    seen: set[str] = set()
    todo = [w for w in words if w in rules]
    out: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        out |= rules[name]
        todo.extend(w for w in rules[name] if w in rules and w not in seen)
    return out


_KIND_ACCESSOR = re.compile(r"object\.get\(\s*input\.kinds\s*,\s*kind\s*,\s*\[\]\s*\)")
_STARTSWITH = re.compile(r"""startswith\(\s*[A-Za-z_][\w.]*\s*,\s*"([^"]+)"\s*\)""")


def kind_prefixes(source: str) -> set[str] | None:
    """How a module reads ``input.kinds`` besides by a kind's name: ``set()`` when it does
    not; the ``startswith(kind, "...")`` prefixes that filter a generic iteration (LOG-01
    reads every ``aws_`` kind); None when it iterates with no such filter (every kind)."""
    code = _KIND_ACCESSOR.sub("", _COMMENT_LINE.sub("", source))
    if "input.kinds" not in code:
        return set()
    prefixes = set(_STARTSWITH.findall(code))
    return prefixes or None


@functools.lru_cache(maxsize=16)
def generic_prefixes(sources: tuple[str, ...]) -> frozenset[str] | None:
    """The ``startswith`` prefixes under which modules iterate ``input.kinds`` (None:
    some module iterates every kind); memoised per set of modules."""
    out: set[str] = set()
    for source in sources:
        prefixes = kind_prefixes(source)
        if prefixes is None:
            return None
        out |= prefixes
    return frozenset(out)


_QUERY_LIMIT = 1000
"""regorus refuses a query of 1,024 characters or more."""


def family_query(families: Sequence[str]) -> str:
    """One query for the union of some families' violations (what main.violations unites):
    a union of their rules, or, when that is too long for the engine, a comprehension over
    the family names (as main's, it costs about a whole evaluation)."""
    members = ", ".join(f"data.{_CHECKS_PREFIX}{f}.violations" for f in sorted(families))
    query = f"union({{{members}}})"
    if len(query) < _QUERY_LIMIT:
        return query
    names = ", ".join(f'"{f}"' for f in sorted(families))
    return (
        f"{{v | some f in {{{names}}}; some v in data.{_CHECKS_PREFIX.rstrip('.')}[f].violations}}"
    )


def kinds_read(
    modules: Mapping[str, str], library: CheckLibrary, present: Collection[str]
) -> set[str]:
    """The kinds in ``present`` that a check may read: every kind a check lists in its
    METADATA, and (conservatively) every kind whose name appears as a word in any module."""
    listed = {k for meta in library.checks.values() for k in meta.kinds}
    sources = tuple(modules.values())
    words = _module_words(sources)
    prefixes = generic_prefixes(sources)  # LOG-01 reads every aws_ kind
    if prefixes is None:
        return set(present)
    return {k for k in present if k in listed or k in words or k.startswith(tuple(prefixes))}


@functools.lru_cache(maxsize=16)
def _module_words(sources: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for source in sources:
        found = set(_WORD_DOTTED.findall(source))
        words |= found
        for word in found:
            if "." in word:
                words.update(word.split("."))
    return frozenset(words)


_WORD_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def families_for(library: CheckLibrary, kind: str, always: Collection[str] = ()) -> frozenset[str]:
    """The library modules an object of ``kind`` needs (module names as in
    ``library.modules``): every module of a family that may judge it (a check lists the kind
    in METADATA, or the kind's name is a word of one of the family's modules; a family's
    checks can span several modules of its package), every module outside
    ``compliance.checks`` and the modules named ``always`` (by file name)."""
    keep = {meta.module for meta in library.checks.values() if kind in meta.kinds}
    for name, source in library.modules.items():
        if (
            name.rsplit("/", 1)[-1] in always
            or family_of_module(source) is None
            or kind in _WORDS.findall(source)
        ):
            keep.add(name)
    families = {family_of_module(library.modules[name]) for name in keep}
    for name, source in library.modules.items():
        family = family_of_module(source)
        if family is None or family in families:
            keep.add(name)
    return frozenset(keep)


def parameters_read(sources: Iterable[str], names: Iterable[str]) -> set[str]:
    """Of the parameter ``names``, those that appear as a word in ``sources``: the only
    parameters whose values can change what those modules conclude."""
    words: set[str] = set()
    for source in sources:
        words.update(_WORDS.findall(source))
    return {name for name in names if name in words}
