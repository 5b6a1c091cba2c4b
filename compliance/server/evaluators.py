"""What an evaluation worker process holds: the full Evaluator and, for admission, Evaluators
restricted to the check families that can judge an object's kind.

At admission the engine input holds one object, so every family that never reads that kind only
iterates empty lists; compiling a library without those families cuts the per-request engine time
(a Service is judged by NET-02, TLS-01 and SEC-03, not by the other 24 checks). A family (one check
package) is kept for a kind when its check lists the kind in METADATA ``kinds``, or (conservatively,
like ``compliance.policy.analysis.kinds_read``) when the kind's name appears as a word in one
of its modules; a kept family keeps every module of its package.
The shared modules (``lib``, ``main``) are always kept: ``main.rego`` iterates
``data.compliance.checks[family]``, so it collects whichever families are loaded. Pack modules are always kept (the Evaluator adds them).
A restricted Evaluator also sees only the pack parameters its modules read, so packs whose
parameters differ only where no loaded family looks share one engine query instead of two.
``tests/unit/server/test_evaluators.py`` proves the restricted evaluation gives exactly the full
evaluation's findings for every Kubernetes object of the pack cases and the BPI example.

Everything here runs inside one process and one thread: regorus engines are thread-affine.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from compliance.engine import make_engine
from compliance.evaluation.evaluator import Evaluator
from compliance.evidence.redact import collect_secrets, redact_report
from compliance.inputs import LoadOptions
from compliance.inputs.k8s import resource_from_object
from compliance.model import Finding, Pack
from compliance.pipeline import PipelineOptions, run
from compliance.policy import analysis
from compliance.policy.packs import CheckLibrary, effective_parameters, load_library, load_packs
from compliance.runner import RunOptions

ALWAYS = ("lib.rego", "main.rego")
"""Library modules every restricted set keeps (by file name), beside every other module
outside the ``compliance.checks`` packages (shared helpers such as lib_terraform.rego)."""


def families_for(library: CheckLibrary, kind: str) -> frozenset[str]:
    """The library modules an object of ``kind`` needs (module names as in ``library.modules``):
    every module of a family that may judge it (a family's checks can span several files of
    its package), and every shared module (``lib``, ``main``): see
    ``compliance.policy.analysis.families_for``."""
    return analysis.families_for(library, kind, ALWAYS)


def parameters_read(modules: dict[str, str], packs: list[Pack]) -> set[str]:
    """Parameter names that appear as a word in the given modules or any pack's own modules:
    the only parameters whose values can change what those modules conclude."""
    sources = [*modules.values(), *(s for p in packs for s in p.modules.values())]
    return analysis.parameters_read(sources, [name for p in packs for name in p.parameters])


def restricted_packs(packs: list[Pack], modules: dict[str, str]) -> list[Pack]:
    """The packs with only the parameters the loaded modules read. The Evaluator runs one engine
    query per distinct set of effective parameters; packs that differ only in a parameter no
    loaded family reads (GDPR's log_retention_max_days, read by LOG-03 alone) then share one."""
    read = parameters_read(modules, packs)
    return [
        p.model_copy(update={"parameters": {k: v for k, v in p.parameters.items() if k in read}})
        for p in packs
    ]


def _queries(packs: list[Pack]) -> int:
    """Engine queries the Evaluator runs (one per distinct parameter set, without overrides)."""
    return len({str(sorted(p.parameters.items(), key=lambda kv: kv[0])) for p in packs})


def restricted_library(library: CheckLibrary, modules: frozenset[str]) -> CheckLibrary:
    """The same checks (control results and validation need all their metadata), fewer modules."""
    return CheckLibrary({n: s for n, s in library.modules.items() if n in modules}, library.checks)


@dataclass
class AdmitResult:
    """What a worker sends back for one admission object (pickled over the worker's pipe)."""

    findings: list[Finding]
    errors: list[str]
    family_count: int
    """How many library modules the evaluator that judged the object had loaded."""
    seconds: float = 0.0
    """Time spent in the worker (parse and evaluate); the rest of a round trip is IPC and queueing."""
    masks: list[str] = field(default_factory=list)
    """Secret values of the object that its name, generateName or namespace contain: the
    decision log redacts them from its record (kept in memory only, never written)."""


def names_holding(obj: dict[str, Any], secrets: set[str]) -> list[str]:
    """The ``secrets`` that the object's name, generateName or namespace contain."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return []
    names = [metadata.get(k) for k in ("name", "generateName", "namespace")]
    texts = [n for n in names if isinstance(n, str)]
    return sorted(s for s in secrets if any(s in t for t in texts))


def lean(finding: Finding) -> Finding:
    """A finding without the check's title and remediation text: admission decisions and the
    decision log never show them, and they are most of a finding's size on the worker pipe and
    in the decision cache."""
    return finding.model_copy(update={"title": "", "remediation": ""})


@dataclass
class KindEvaluators:
    """The full Evaluator, plus one restricted Evaluator per distinct module set (built lazily,
    and eagerly for ``prebuild`` kinds), shared by every kind that needs the same set."""

    library: CheckLibrary
    packs: list[Pack]
    engine: str = "embedded"
    engine_options: dict[str, Any] = field(default_factory=dict)
    restrict: bool = True
    full: Evaluator | None = None
    _by_modules: dict[frozenset[str], Evaluator] = field(default_factory=dict)
    _by_kind: dict[str, Evaluator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.full = self._build(frozenset(self.library.modules))

    def _build(self, modules: frozenset[str]) -> Evaluator:
        existing = self._by_modules.get(modules)
        if existing is not None:
            return existing
        library = restricted_library(self.library, modules)
        full = modules == frozenset(self.library.modules)
        evaluator = Evaluator(
            make_engine(self.engine, **self.engine_options),
            library,
            self.packs if full else restricted_packs(self.packs, library.modules),
        )
        self._by_modules[modules] = evaluator
        return evaluator

    def for_kind(self, kind: str) -> Evaluator:
        if not self.restrict:
            assert self.full is not None
            return self.full
        evaluator = self._by_kind.get(kind)
        if evaluator is None:
            modules = families_for(self.library, kind)
            if not self.worth_restricting(modules):
                modules = frozenset(self.library.modules)
            evaluator = self._by_kind[kind] = self._build(modules)
        return evaluator

    def worth_restricting(self, modules: frozenset[str]) -> bool:
        """Restrict when it saves an engine query or drops at least two families. Dropping one
        family alone measured slower, not faster, when a family was a whole area of checks."""
        kept = {n: s for n, s in self.library.modules.items() if n in modules}
        fewer_queries = _queries(restricted_packs(self.packs, kept)) < _queries(self.packs)
        dropped = {
            analysis.family_of_module(source)
            for name, source in self.library.modules.items()
            if name not in modules
        }
        return fewer_queries or len(dropped) >= 2

    def admit(self, obj: dict[str, Any], source: str, parameters: dict[str, Any]) -> AdmitResult:
        """Judge one Kubernetes object (already validated by the caller)."""
        start = time.perf_counter()
        resource = resource_from_object(obj, source)
        evaluator = self.for_kind(resource.kind)
        report = evaluator.evaluate([resource], parameters=parameters)
        # As every report: no secret value of the object in a message (a resource named
        # after its own secret would otherwise show it in the response and decision log).
        secrets = set().union(*collect_secrets([resource]).values())
        if secrets:
            report = redact_report(report, secrets)
        return AdmitResult(
            findings=[lean(f) for f in report.findings],
            errors=[e.message for e in report.errors],
            family_count=len(evaluator.library.modules),
            seconds=time.perf_counter() - start,
            masks=names_holding(obj, secrets) if secrets else [],
        )

    def evaluate_files(
        self, root: str, names: list[str], parameters: dict[str, Any]
    ) -> dict[str, Any]:
        """A whole-input evaluation (``/v1/evaluate``) of the files ``names`` under ``root``:
        ``compliance evaluate``'s pipeline run in ``root`` on the full library, without a
        cache, in this process; the report as JSON data."""
        assert self.full is not None
        paths = [os.path.join(root, name) for name in names]
        # files a SecurityConfig names are read only from the uploaded set
        upload = Path(os.path.commonpath([os.path.dirname(p) for p in paths])) if paths else None
        options = RunOptions(parameters=parameters, load=LoadOptions(env={}, root=upload))
        # named relative to the upload, as a run there names them (resource ids and
        # fingerprints hold the names); a worker process runs one job at a time
        with contextlib.chdir(root):
            result = run(
                PipelineOptions(
                    paths=names,
                    run=options,
                    evaluator=self.full,
                    cache=False,
                    workers=1,
                    gc_freeze=False,
                )
            )
        data: dict[str, Any] = result.report.model_dump(mode="json")
        return data


KUBERNETES_KINDS = (
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Service",
    "Ingress",
    "NetworkPolicy",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
)
"""Kinds whose evaluators a worker compiles at start, so the first request of each is not slow."""


def build(options: RunOptions, restrict: bool = True) -> KindEvaluators:
    """Load the library and packs and compile the evaluators. Raises PackError/EngineError."""
    library = load_library(options.policy_root)
    packs = load_packs(options.packs, library, options.policy_root)
    # An OPA server holds one module set at a time (loading another deletes the previous one),
    # so restricted module sets are for engines owned by this process only.
    restrict = restrict and options.engine == "embedded"
    evaluators = KindEvaluators(
        library, packs, options.engine, dict(options.engine_options), restrict=restrict
    )
    if restrict:
        for kind in KUBERNETES_KINDS:
            evaluators.for_kind(kind)
    return evaluators


def factory(options: RunOptions, restrict: bool = True) -> Callable[[], KindEvaluators]:
    """A picklable zero-argument builder for worker processes."""
    return partial(build, options, restrict)


def settings(evaluators: KindEvaluators, parameters: dict[str, Any]) -> dict[str, Any]:
    """What every evaluation depends on besides the object: engine, pack digests and the effective
    parameters (for the decision cache key)."""
    library = hashlib.sha256()
    for name, source in evaluators.library.digest_material():
        library.update(name.encode() + b"\x00" + source + b"\x00")
    return {
        "engine": evaluators.engine,
        "library": library.hexdigest(),
        "packs": {p.name: p.digest for p in evaluators.packs},
        "effective_parameters": {
            p.name: effective_parameters(p, parameters) for p in evaluators.packs
        },
    }
