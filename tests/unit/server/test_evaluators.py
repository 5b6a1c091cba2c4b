"""Per-kind restricted evaluators give exactly the full library's findings for one object.

Every Kubernetes object of the pack cases (tests/packs/cases/*/*/input) and of examples/bpi is
evaluated alone, as at admission, by the full Evaluator and by the restricted one its kind gets.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from compliance.inputs import LoadOptions, load_paths
from compliance.model import Resource
from compliance.runner import RunOptions
from compliance.server.evaluators import KindEvaluators, build, families_for

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    *sorted(str(p) for p in (ROOT / "tests/packs/cases").glob("*/*/input")),
    str(ROOT / "examples/bpi"),
]


@pytest.fixture(scope="module")
def evaluators() -> KindEvaluators:
    return build(RunOptions())


def kubernetes_objects() -> list[Resource]:
    loaded = load_paths(SOURCES, LoadOptions(env={}))
    return [r for r in loaded.resources if r.id.startswith("k8s:")]


OBJECTS = kubernetes_objects()


def test_the_corpus_covers_the_admitted_kinds() -> None:
    kinds = Counter(r.kind for r in OBJECTS)
    for kind in ("Pod", "Deployment", "Service", "Ingress", "ClusterRole", "NetworkPolicy"):
        assert kinds[kind] > 0, f"no {kind} in the corpus: {dict(kinds)}"


def findings(
    evaluator: Any, resource: Resource, parameters: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    report = evaluator.evaluate([resource], parameters=parameters or {})
    assert not report.errors, report.errors
    return [f.model_dump() for f in report.findings]


@pytest.mark.parametrize("resource", OBJECTS, ids=[f"{r.source.file}:{r.id}" for r in OBJECTS])
def test_restricted_evaluation_equals_the_full_one(
    evaluators: KindEvaluators, resource: Resource
) -> None:
    restricted = evaluators.for_kind(resource.kind)
    if resource.kind != "Pod":  # Pods keep the full library (see worth_restricting)
        assert restricted is not evaluators.full
        assert len(restricted.library.modules) < len(evaluators.library.modules)
    assert findings(restricted, resource) == findings(evaluators.full, resource)
    overrides = {"allowed_registries": ["ghcr.io/bpi"], "log_retention_max_days": 30}
    assert findings(restricted, resource, overrides) == findings(
        evaluators.full, resource, overrides
    )


def test_packs_share_one_query_where_no_loaded_family_reads_their_differences(
    evaluators: KindEvaluators,
) -> None:
    def queries(evaluator: Any) -> int:
        sets = {str(sorted(p.parameters.items())) for p in evaluator.packs}
        return len(sets)

    assert evaluators.full is not None and queries(evaluators.full) == 2  # GDPR differs
    assert queries(evaluators.for_kind("Deployment")) == 1  # LOG-03 is not loaded
    # one check per package: a Pod needs neither LOG-03 (GDPR's retention maximum) nor BKP-01
    assert queries(evaluators.for_kind("Pod")) == 1
    assert evaluators.for_kind("Pod") is not evaluators.full
    assert evaluators.worth_restricting(families_for(evaluators.library, "Pod"))


def test_families_keep_lib_and_main_and_every_check_listing_the_kind(
    evaluators: KindEvaluators,
) -> None:
    names = {m.rsplit("/", 1)[-1] for m in families_for(evaluators.library, "Service")}
    assert {"lib.rego", "main.rego", "net_02.rego", "tls_01.rego"} <= names
    assert not {"ctr_01.rego", "net_01.rego", "tls_02.rego"} & names
    unknown = families_for(evaluators.library, "Widget")
    shared = {
        "checks/lib.rego",
        "checks/lib_cloud.rego",
        "checks/lib_terraform.rego",
        "checks/main.rego",
        *(f"checks/lib/{area}.rego" for area in ("auth", "k8s", "log", "net", "tls")),
    }
    assert unknown == shared


def test_a_kept_check_keeps_the_lib_modules_it_calls(evaluators: KindEvaluators) -> None:
    """ENC-01's rules call lib_terraform.rego's helpers and HLT-01's the k8s lib package: a
    restricted set with them has those lib modules, so it compiles on every engine."""
    names = set(families_for(evaluators.library, "Pod"))
    assert {"checks/enc/enc_01.rego", "checks/lib_terraform.rego"} <= names
    assert {"checks/hlt/hlt_01.rego", "checks/lib/k8s.rego"} <= names
    assert "checks/bkp/bkp_01.rego" not in names


def test_unrestricted_mode_uses_the_full_library() -> None:
    full = build(RunOptions(), restrict=False)
    assert full.for_kind("Service") is full.full


def test_the_equivalence_is_not_vacuous(evaluators: KindEvaluators) -> None:
    judged = [r for r in OBJECTS if findings(evaluators.full, r)]
    assert len(judged) >= 30
    assert len({r.kind for r in judged}) >= 6


def test_a_shared_opa_server_is_never_given_restricted_module_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading a module set into OPA deletes the previous one: only the full library goes there."""
    import compliance.server.evaluators as ev

    made: list[frozenset[str]] = []

    class Recorder(KindEvaluators):
        def _build(self, modules: frozenset[str]) -> Any:  # records instead of contacting OPA
            made.append(modules)
            return None

    monkeypatch.setattr(ev, "KindEvaluators", Recorder)
    built = ev.build(RunOptions(engine="opa"))
    assert built.restrict is False
    assert made == [frozenset(built.library.modules)]


def test_an_admission_decision_never_shows_a_secret_of_the_object(
    evaluators: KindEvaluators,
) -> None:
    """A secret value of the object appears in no finding (messages are scrubbed of it);
    identifiers are never rewritten, so a Pod named after its own password keeps its name
    (the name is what Kubernetes shows of the object anyway)."""
    secret = "Hunter2-swordfish-77"

    def pod(name: str) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.27",
                        "env": [{"name": "DB_PASSWORD", "value": secret.lower()}],
                        "securityContext": {"privileged": True},
                    }
                ]
            },
        }

    result = evaluators.admit(pod("shop-api"), "admission", {})
    assert result.findings  # privileged, unpinned image, literal secret...
    text = " ".join(f.model_dump_json() for f in result.findings)
    assert secret.lower() not in text
    named = evaluators.admit(pod(secret.lower()), "admission", {})
    assert named.findings
    assert all(f.resource.name == secret.lower() for f in named.findings)
