"""The one Rego analyser (compliance.policy.analysis.RegoAnalysis) over modules, never an
Evaluator: families, kinds and parameters read, time-dependent checks, for one package per
family (``compliance.checks.net`` in several files) and one package per check
(``compliance.checks.net_01``) alike; the family query it plans runs on the real engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from compliance.engine import make_engine
from compliance.engine.base import VIOLATIONS_QUERY
from compliance.evaluation.executor import engine_input
from compliance.model import Resource
from compliance.model.pack import CheckMeta
from compliance.policy.analysis import RegoAnalysis, families_for, family_query
from compliance.policy.packs import CheckLibrary

LIB = """package compliance.lib

import rego.v1

param(name, default_value) := object.get(input.params, name, default_value)

of_kind(kind) := object.get(input.kinds, kind, [])
"""

MAIN = """package compliance.main

import rego.v1

violations contains v if {
	some family
	some v in data.compliance.checks[family].violations
}
"""

NET = """package compliance.checks.{package}

import rego.v1

import data.compliance.lib

violations contains v if {{
	some r in lib.of_kind("NetworkPolicy")
	some port in lib.param("admin_ports", [22])
	object.get(r.body, "port", 0) == port
	v := {{"check": "NET-01", "resource": r.id, "message": "admin port open"}}
}}
"""

TLS = """package compliance.checks.{package}

import rego.v1

import data.compliance.lib

violations contains v if {{
	some r in lib.of_kind("Certificate")
	r.body.not_after_ns < input.now_ns
	v := {{"check": "TLS-04", "resource": r.id, "message": "expired"}}
}}
"""

LOG = """package compliance.checks.{package}

import rego.v1

violations contains v if {{
	some kind, rs in input.kinds
	startswith(kind, "aws_")
	some r in rs
	v := {{"check": "LOG-01", "resource": r.id, "message": "no trail"}}
}}
"""

LAYOUTS = {
    # one package per family, the family's checks in two files
    "per family": {
        "checks/net.rego": ("net", NET),
        "checks/net_tls.rego": ("net", TLS),
        "checks/log.rego": ("log", LOG),
    },
    # one package per check, under folders by area
    "per check": {
        "checks/net/net_01.rego": ("net_01", NET),
        "checks/tls/tls_04.rego": ("tls_04", TLS),
        "checks/log/log_01.rego": ("log_01", LOG),
    },
}


def library(layout: str) -> CheckLibrary:
    modules = {"checks/lib.rego": LIB, "checks/main.rego": MAIN}
    owner = {}
    for name, (package, template) in LAYOUTS[layout].items():
        modules[name] = template.format(package=package)
        check = template.split('"check": "')[1].split('"')[0]
        owner[check] = (name, package)
    metas = {
        "NET-01": CheckMeta(id="NET-01", title="t", severity="high", scope="namespace"),
        "TLS-04": CheckMeta(id="TLS-04", title="t", severity="high", kinds=["Certificate"]),
        "LOG-01": CheckMeta(id="LOG-01", title="t", severity="low"),
    }
    checks = {c: m.model_copy(update={"module": owner[c][0]}) for c, m in metas.items()}
    return CheckLibrary(modules, checks)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_analysis_of_either_layout(layout: str) -> None:
    lib = library(layout)
    analysis = RegoAnalysis(lib.modules, lib)
    plan = analysis.plan
    assert plan is not None
    family = {c: LAYOUTS[layout][m.module][0] for c, m in lib.checks.items()}
    assert plan.family_of_check == family
    # a parameter only NET-01 names concerns its family alone
    assert plan.affected({"admin_ports": [22]}, {"admin_ports": [3389]}) == {family["NET-01"]}
    assert plan.affected({"x": 1}, {"x": 2}) == set()
    assert analysis.time_checks() == {"TLS-04"}
    present = {"NetworkPolicy", "Certificate", "aws_s3_bucket", "Pod"}
    read = analysis.kinds_read(present)
    assert read == {"NetworkPolicy", "Certificate", "aws_s3_bucket"}  # no check reads Pod
    assert analysis.kinds_of_checks(["NET-01"], read) == {"NetworkPolicy"}
    assert analysis.kinds_of_checks(["TLS-04"], read) == {"Certificate"}
    assert analysis.kinds_of_checks(["LOG-01"], read) == {"aws_s3_bucket"}
    kept = families_for(lib, "NetworkPolicy", always=("lib.rego", "main.rego"))
    net_modules = {n for n, (p, _) in LAYOUTS[layout].items() if p == family["NET-01"]}
    assert kept == {"checks/lib.rego", "checks/main.rego", *net_modules}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_family_query_runs_on_the_engine(layout: str) -> None:
    lib = library(layout)
    plan = RegoAnalysis(lib.modules, lib).plan
    assert plan is not None
    engine = make_engine("embedded")
    engine.load(lib.modules)
    now = datetime(2026, 11, 27, tzinfo=UTC)

    def res(kind: str, name: str, body: dict[str, object]) -> Resource:
        return Resource.model_validate(
            {
                "id": f"x:{kind}:{name}",
                "kind": kind,
                "name": name,
                "body": body,
                "source": {"file": "f.yaml", "line": 1, "format": "k8s"},
            }
        )

    resources = [
        res("NetworkPolicy", "np", {"port": 22}),
        res("Certificate", "c", {"not_after_ns": 1}),
        res("aws_s3_bucket", "b", {}),
    ]
    doc = engine_input(resources, {"admin_ports": [22]}, now)
    net = plan.family_of_check["NET-01"]
    found = engine.evaluate(family_query([net]), doc)
    # the family's checks only: NET-01, and TLS-04 where it shares NET-01's package
    assert sorted(v["check"] for v in found) == sorted(
        c for c, f in plan.family_of_check.items() if f == net
    )
    every = engine.evaluate(family_query(sorted(set(plan.family_of_check.values()))), doc)
    assert sorted(v["check"] for v in every) == ["LOG-01", "NET-01", "TLS-04"]
    assert every == engine.evaluate(VIOLATIONS_QUERY, doc)


def test_a_pack_with_its_own_rego_has_no_families() -> None:
    lib = library("per check")
    assert RegoAnalysis(lib.modules, lib, own_rego=True).plan is None
    outside = CheckLibrary(
        {**lib.modules, "checks/x.rego": "package compliance.other\n"},
        {
            **lib.checks,
            "X-01": CheckMeta(id="X-01", title="t", severity="low", module="checks/x.rego"),
        },
    )
    assert RegoAnalysis(outside.modules, outside).plan is None  # a check outside checks.*
