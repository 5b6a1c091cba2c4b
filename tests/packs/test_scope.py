"""Every check's declared scope (``custom.scope``), proved against full evaluations.

The result cache re-evaluates a changed resource's ``resource`` checks on that resource
alone and its ``namespace`` checks on its group (``compliance.evaluation.scope.group_of``) alone, so a
scope that is too narrow silently gives wrong cached results. For every input set (each
fixture case, examples/bpi, the Kubernetes corpus projects) and every distinct pack
parameter set, this compares the engine's violations over the whole set with:

- ``resource`` checks: the union of the violations over each resource alone; each of those
  names the resource it was evaluated on;
- ``namespace`` checks: the union of the violations over each group's resources alone; each
  of those names a resource of that group.

Besides each case alone, the cases of one check are also evaluated together (in buckets of
disjoint resource ids), and every input with Terraform again with one Terraform resource per
file, so that references between Terraform resources cross groups as they may in a real
configuration. Violations are compared as sets of canonical JSON.
``test_scoped_checks_are_exercised``
fails when a scoped check never produces a violation in any input set that has more than
one resource (group), since then the proof would say nothing about it.
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from compliance.engine.base import VIOLATIONS_QUERY
from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.executor import engine_input
from compliance.evaluation.scope import group_of
from compliance.inputs import load_paths
from compliance.model import Resource
from compliance.policy.cases import DEFAULT_NOW, Case, discover, load_case, parse_time
from compliance.policy.packs import _METADATA, effective_parameters
from compliance.runner import RunOptions, build_evaluator
from tests.packs.conftest import CASES as CASES_DIR
from tests.shared import CORPUS, corpus_projects

ROOT = Path(__file__).resolve().parents[2]

Key = bytes


@dataclass(frozen=True)
class InputSet:
    name: str
    load: Callable[[], list[Resource]]
    now: datetime
    overrides: dict[str, Any] = field(default_factory=dict)
    """Pack parameter overrides (a fixture case's ``params``)."""
    terraform: bool = False
    """Its files include Terraform (``.tf``)."""
    shared: bool = False
    """Read from ../shared/corpus: every project of it (Kubernetes manifests that load in well
    under a second), or without it our own fixture in kube-prometheus's patterns."""


def _load_dir(root: Path, *paths: str) -> list[Resource]:
    with contextlib.chdir(root):
        loaded = load_paths(list(paths))
    assert not loaded.errors, f"{root} {paths} does not load: {loaded.errors}"
    return list(loaded.resources)


def _case_resources(case: Case) -> list[Resource]:
    return list(load_case(case).resources)


def _has_terraform(folder: Path) -> bool:
    return any(folder.glob("**/*.tf"))


def _merged(cases: Sequence[Case]) -> list[Resource]:
    """Cases of one check loaded together, as ``compliance evaluate`` over their folders
    would load them from the check's folder (file-based ids then name the case folder)."""
    return _load_dir(cases[0].root.parent, *(f"{c.name}/input" for c in cases))


def _merge_buckets(cases: Sequence[Case]) -> list[list[Case]]:
    """Cases in buckets whose resource ids are disjoint (first fit, in order). Kubernetes ids
    do not name the file, so two cases declaring Namespace shop stay apart."""
    buckets: list[tuple[list[Case], set[str]]] = []
    for case in cases:
        ids = {r.id for r in _merged([case])}
        for members, taken in buckets:
            if not ids & taken:
                members.append(case)
                taken |= ids
                break
        else:
            buckets.append(([case], ids))
    return [members for members, _ in buckets if len(members) > 1]


def _file_per_terraform_resource(load: Callable[[], list[Resource]]) -> list[Resource]:
    out = []
    for r in load():
        if r.source.format == "terraform":
            file = f"{Path(r.source.file).parent.as_posix()}/{r.kind}.{r.name}.tf"
            r = r.model_copy(update={"source": r.source.model_copy(update={"file": file})})
        out.append(r)
    return out


def _input_sets() -> list[InputSet]:
    cases = discover(CASES_DIR)
    sets = [
        InputSet(
            f"case:{case.id}",
            functools.partial(_case_resources, case),
            case.now,
            case.params,
            _has_terraform(case.root),
        )
        for case in cases
    ]
    # Each check's cases (of one parameter set and time) together: most cases hold a single
    # resource, where splitting proves nothing, and together they share namespaces and files.
    together: dict[tuple[str, Key, datetime], list[Case]] = defaultdict(list)
    for case in cases:
        params = orjson.dumps(case.params, option=orjson.OPT_SORT_KEYS)
        together[(case.check, params, case.now)].append(case)
    for (check, params, now), similar in together.items():
        label = "" if params == b"{}" else f" {params.decode()}"
        for i, bucket in enumerate(_merge_buckets(similar)):
            sets.append(
                InputSet(
                    f"cases:{check}#{i}{label}",
                    functools.partial(_merged, bucket),
                    now,
                    bucket[0].params,
                    any(_has_terraform(c.root) for c in bucket),
                )
            )
    now = parse_time(DEFAULT_NOW)
    sets.append(
        InputSet(
            "examples/bpi",
            functools.partial(_load_dir, ROOT, "examples/bpi"),
            now,
            terraform=_has_terraform(ROOT / "examples" / "bpi"),
        )
    )
    projects = corpus_projects()
    for project in projects:
        sets.append(
            InputSet(
                f"corpus:{project.name}",
                functools.partial(_load_dir, project.parent, project.name),
                now,
                shared=True,
            )
        )
    sets.append(
        InputSet(
            "corpus:all",
            lambda: [r for p in projects for r in _load_dir(p.parent, p.name)],
            now,
            shared=True,
        )
    )
    # The same Terraform configurations written one resource per file, as Terraform allows:
    # references between resources then cross files (groups), so a check that follows them
    # is seen not to be namespace-bounded.
    sets += [
        InputSet(
            f"{s.name} (a file per Terraform resource)",
            functools.partial(_file_per_terraform_resource, s.load),
            s.now,
            s.overrides,
        )
        for s in sets
        if s.terraform
    ]
    return sets


INPUT_SETS = _input_sets()


@functools.cache
def _evaluator() -> Evaluator:
    return build_evaluator(RunOptions())


def _param_sets(
    evaluator: Evaluator, overrides: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Each distinct effective parameter set, named by the packs that share it."""
    by_value: dict[Key, tuple[list[str], dict[str, Any]]] = {}
    for pack in evaluator.packs:
        params = effective_parameters(pack, overrides)
        key = orjson.dumps(params, option=orjson.OPT_SORT_KEYS)
        by_value.setdefault(key, ([], params))[0].append(pack.name)
    return [("+".join(names), params) for names, params in by_value.values()]


def _scopes(evaluator: Evaluator) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for check, meta in evaluator.library.checks.items():
        out[meta.scope].add(check)
    return out


def _violations(
    evaluator: Evaluator, resources: Sequence[Resource], params: dict[str, Any], now: datetime
) -> dict[Key, dict[str, Any]]:
    found = evaluator.engine.evaluate(VIOLATIONS_QUERY, engine_input(resources, params, now))
    return {orjson.dumps(v, option=orjson.OPT_SORT_KEYS): v for v in found or []}


def _of(violations: dict[Key, dict[str, Any]], checks: set[str]) -> dict[Key, dict[str, Any]]:
    return {k: v for k, v in violations.items() if v.get("check") in checks}


def _show(keys: Iterable[Key]) -> str:
    return "".join(f"\n    {k.decode()}" for k in sorted(keys)) or " none"


def _by_check(violations: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for v in violations:
        counts[v["check"]] += 1
    return counts


def _compare(
    scope: str,
    where: str,
    full: dict[Key, dict[str, Any]],
    parts: dict[Key, dict[str, Any]],
    misplaced: list[str],
) -> list[str]:
    """Problems, one per check whose split violations differ from the full run's."""
    problems = list(misplaced)
    checks = {v["check"] for v in [*full.values(), *parts.values()]}
    for check in sorted(checks):
        want = {k for k, v in full.items() if v["check"] == check}
        got = {k for k, v in parts.items() if v["check"] == check}
        if want != got:
            problems.append(
                f"{check} (scope {scope}) on {where}: evaluated per {scope} it differs from "
                f"the full run\n  only in the full run:{_show(want - got)}"
                f"\n  only per {scope}:{_show(got - want)}"
            )
    return problems


def _prove(input_set: InputSet) -> tuple[list[str], dict[str, int]]:
    """Problems found, and the number of units (resources, groups) the set splits into."""
    evaluator = _evaluator()
    scopes = _scopes(evaluator)
    resources = input_set.load()
    groups: dict[str, list[Resource]] = defaultdict(list)
    for r in resources:
        groups[group_of(r)].append(r)
    problems: list[str] = []
    for packs, params in _param_sets(evaluator, input_set.overrides):
        where = f"input set {input_set.name} with the parameters of {packs}"
        full = _violations(evaluator, resources, params, input_set.now)

        per_resource: dict[Key, dict[str, Any]] = {}
        misplaced = []
        for r in resources:
            alone = _of(_violations(evaluator, [r], params, input_set.now), scopes["resource"])
            misplaced += [
                f"{v['check']} (scope resource) on {where}: evaluated on {r.id} alone it "
                f"reports on another resource:\n    {k.decode()}"
                for k, v in alone.items()
                if v["resource"] != r.id
            ]
            per_resource.update(alone)
        problems += _compare(
            "resource", where, _of(full, scopes["resource"]), per_resource, misplaced
        )

        per_group: dict[Key, dict[str, Any]] = {}
        misplaced = []
        for group, members in groups.items():
            ids = {r.id for r in members}
            within = _of(
                _violations(evaluator, members, params, input_set.now), scopes["namespace"]
            )
            misplaced += [
                f"{v['check']} (scope namespace) on {where}: evaluated on group {group} alone "
                f"it reports on a resource outside it:\n    {k.decode()}"
                for k, v in within.items()
                if v["resource"] not in ids
            ]
            per_group.update(within)
        problems += _compare(
            "namespace", where, _of(full, scopes["namespace"]), per_group, misplaced
        )
    return problems, {"resources": len(resources), "groups": len(groups)}


@pytest.mark.parametrize("input_set", INPUT_SETS, ids=[s.name for s in INPUT_SETS])
def test_declared_scopes_hold(input_set: InputSet) -> None:
    problems, units = _prove(input_set)
    assert units["resources"] > 0, f"input set {input_set.name} loads no resources"
    assert not problems, "\n".join(problems)


def test_scoped_checks_are_exercised() -> None:
    """Each resource/namespace-scoped check reports something in an input set that splits
    into more than one unit of its scope, so the proof above compared real violations."""
    evaluator = _evaluator()
    scopes = _scopes(evaluator)
    assert scopes["resource"] and scopes["namespace"], dict(scopes)
    fired: dict[str, int] = defaultdict(int)
    for input_set in INPUT_SETS:
        if input_set.shared and not CORPUS.is_dir():
            continue  # without ../shared the repository's own sets must exercise every check
        resources = input_set.load()
        units = {
            "resource": len(resources),
            "namespace": len({group_of(r) for r in resources}),
        }
        for _, params in _param_sets(evaluator, input_set.overrides):
            full = _violations(evaluator, resources, params, input_set.now)
            for scope in ("resource", "namespace"):
                if units[scope] < 2:
                    continue
                for check, n in _by_check(_of(full, scopes[scope]).values()).items():
                    fired[check] += n
    never = sorted(
        f"{check} ({scope})"
        for scope in ("resource", "namespace")
        for check in scopes[scope]
        if not fired[check]
    )
    assert not never, (
        "scoped checks never compared on an input set with more than one unit of their "
        f"scope: {', '.join(never)}"
    )


def test_every_check_declares_its_scope() -> None:
    """``scope`` is written in every check's METADATA, not left to the ``global`` default."""
    evaluator = _evaluator()
    declared: dict[str, object] = {}
    for module, source in evaluator.library.modules.items():
        for match in _METADATA.finditer(source):
            block = "\n".join(
                row[2:] if row.startswith("# ") else row[1:] for row in match.group(1).splitlines()
            )
            custom = (yaml.safe_load(block) or {}).get("custom") or {}
            if "id" in custom:
                declared[custom["id"]] = custom.get("scope", f"missing in {module}")
    assert set(declared) == set(evaluator.library.checks)
    wrong = {c: s for c, s in declared.items() if s not in ("resource", "namespace", "global")}
    assert not wrong, wrong
