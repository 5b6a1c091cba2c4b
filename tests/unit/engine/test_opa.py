"""The OPA engine over HTTP against the OPA v1 API test server (tests/opa_server.py).

These tests use ``OpaTestServer`` directly, even when an ``opa`` binary is on PATH: they count
requests and force statuses, which only the test server can do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.cli.engine_options import engine_selection
from compliance.engine import make_engine
from compliance.engine.opa import (
    OpaEngine,
    data_path,
    display_url,
    module_set_digest,
    policy_id,
)
from compliance.errors import EngineError, UsageError
from tests.opa_server import OpaTestServer, free_port, make_tls

LIB = """package compliance.zlib
import rego.v1
label(r) := sprintf("%s/%s", [r.kind, r.id])
"""

MAIN = """package compliance.main
import data.compliance.zlib
import rego.v1
violations contains v if {
	some r in input.kinds.Pod
	r.privileged
	v := {"check": "CTR-01", "resource": r.id, "message": zlib.label(r)}
}
"""

BROKEN = """package compliance.checks.broken
import rego.v1

deny contains msg if {
	msg := 1 +
}
"""

CUSTOM_FUNCTION = """package compliance.checks.ext
import rego.v1

deny contains x if {
	some r in input.kinds.Pod
	x := compliance_ext.lookup(r.id)
}
"""

INPUT = {
    "kinds": {"Pod": [{"id": "a", "kind": "Pod", "privileged": True}, {"id": "b", "kind": "Pod"}]}
}
MODULES = {"checks/main.rego": MAIN, "checks/zlib.rego": LIB}
QUERY = "data.compliance.main.violations"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[OpaTestServer]:
    s = OpaTestServer()
    yield s
    s.stop()


def engine_for(url: str, **options: Any) -> OpaEngine:
    options.setdefault("sleep", Sleeps())
    return OpaEngine(url, **options)


# -- pure helpers ----------------------------------------------------------------------


def test_digest_covers_every_module_and_the_data() -> None:
    base = module_set_digest(MODULES, None)
    assert base == module_set_digest(dict(reversed(MODULES.items())), None)
    assert len(base) == 12 and int(base, 16) >= 0
    assert module_set_digest({**MODULES, "checks/zlib.rego": LIB + "\n"}, None) != base
    assert module_set_digest({"checks/other.rego": LIB, "checks/main.rego": MAIN}, None) != base
    assert module_set_digest(MODULES, {"x": {"y": 1}}) != base


def test_policy_ids_are_namespaced_by_digest() -> None:
    assert policy_id("0123456789ab", "checks/tls.rego") == "compliance/0123456789ab/checks/tls.rego"


def test_query_translates_to_a_data_path() -> None:
    assert data_path("data.compliance.main.violations") == "compliance/main/violations"
    with pytest.raises(EngineError, match="data references only"):
        data_path("x := data.compliance.main.violations")


def test_display_url_drops_credentials() -> None:
    assert (
        display_url("https://user:s3cret@opa.example:8443/base/?a=b#f")
        == "https://opa.example:8443/base"
    )


def test_bad_urls_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="expected http"):
        OpaEngine("opa.example:8181")
    with pytest.raises(UsageError, match="needs an https"):
        OpaEngine("http://127.0.0.1:8181", ca_file="ca.pem")


def test_registered_as_opa_engine(server: OpaTestServer) -> None:
    engine = make_engine("opa", url=server.url, timeout=5)
    assert engine.name == "opa"
    with pytest.raises(UsageError, match="--opa-url"):
        make_engine("opa")


def test_engine_selection_validates_flags(tmp_path: Path) -> None:
    assert engine_selection("embedded") == {"engine": "embedded", "engine_options": {}}
    with pytest.raises(UsageError, match="--opa-url, --opa-token only apply with --engine opa"):
        engine_selection("embedded", "http://x", "t")
    with pytest.raises(UsageError, match="needs --opa-url"):
        engine_selection("opa")
    got = engine_selection("opa", "https://opa:8443", "tok", tmp_path / "ca.pem", 2.5)
    assert got == {
        "engine": "opa",
        "engine_options": {
            "url": "https://opa:8443",
            "token": "tok",
            "ca_file": str(tmp_path / "ca.pem"),
            "timeout": 2.5,
        },
    }


# -- against the server ----------------------------------------------------------------


def test_load_and_evaluate(server: OpaTestServer) -> None:
    engine = engine_for(server.url)
    engine.load(MODULES)
    digest = module_set_digest(MODULES, None)
    assert server.policy_ids() == [policy_id(digest, m) for m in sorted(MODULES)]
    assert engine.evaluate(QUERY, INPUT) == [
        {"check": "CTR-01", "resource": "a", "message": "Pod/a"}
    ]
    assert server.count("POST", "/v1/data/compliance/main/violations") == 1
    assert engine.evaluate("data.compliance.nothing.here", INPUT) is None
    assert engine.version().startswith(f"OPA unknown at {server.url} (opa-python-client 3.0.0")


def test_dependency_uploaded_after_its_user_is_retried(server: OpaTestServer) -> None:
    """OPA compiles on every PUT: main.rego (sorted first) calls zlib.label, not yet there."""
    direct = MAIN.replace("import data.compliance.zlib\n", "").replace(
        "zlib.label", "data.compliance.zlib.label"
    )
    assert "import data." not in direct
    engine = engine_for(server.url)
    engine.load({"a/main.rego": direct, "z/zlib.rego": LIB})
    assert engine.evaluate(QUERY, INPUT)
    puts = server.count("PUT", "/v1/policies/")
    assert puts == 3  # main refused once, zlib, main again


def test_rerun_with_unchanged_modules_uploads_nothing(server: OpaTestServer) -> None:
    engine_for(server.url).load(MODULES)
    assert server.count("PUT", "/v1/policies/") == 2
    again = engine_for(server.url)
    again.load(MODULES)
    assert server.count("PUT", "/v1/policies/") == 2
    assert server.count("GET", "/v1/policies") == 2
    assert again.evaluate(QUERY, INPUT)


def test_new_version_replaces_the_old_one(server: OpaTestServer) -> None:
    engine_for(server.url).load(MODULES)
    changed = {**MODULES, "checks/main.rego": MAIN.replace("zlib.label(r)", '"changed"')}
    engine = engine_for(server.url)
    engine.load(changed)
    digest = module_set_digest(changed, None)
    assert server.policy_ids() == [policy_id(digest, m) for m in sorted(changed)]
    assert server.count("DELETE", "/v1/policies/") == 2
    assert engine.evaluate(QUERY, INPUT) == [
        {"check": "CTR-01", "resource": "a", "message": "changed"}
    ]


def test_foreign_policies_are_left_alone(server: OpaTestServer) -> None:
    other = engine_for(server.url)
    other._client.update_policy_from_string(
        "package team.authz\nimport rego.v1\nallow := true\n", "team/authz.rego", False
    )
    engine_for(server.url).load(MODULES)
    assert "team/authz.rego" in server.policy_ids()


def test_data_goes_through_the_data_api(server: OpaTestServer) -> None:
    module = """package compliance.main
import rego.v1
violations contains v if {
	some r in input.kinds.Pod
	r.id in data.compliance_settings.flagged
	v := {"check": "X", "resource": r.id}
}
"""
    engine = engine_for(server.url)
    engine.load({"checks/main.rego": module}, {"compliance_settings": {"flagged": ["b"]}})
    assert server.count("PUT", "/v1/data/compliance_settings") == 1
    assert engine.evaluate(QUERY, INPUT) == [{"check": "X", "resource": "b"}]


def test_compile_error_names_the_module_and_row(server: OpaTestServer) -> None:
    engine = engine_for(server.url)
    with pytest.raises(EngineError) as e:
        engine.load({**MODULES, "checks/broken.rego": BROKEN})
    assert e.value.file == "checks/broken.rego"
    assert e.value.line == 6
    assert f"OPA at {server.url} could not compile the module: rego_parse_error" in e.value.message


def test_missing_builtin_is_named(server: OpaTestServer) -> None:
    engine = engine_for(server.url)
    with pytest.raises(EngineError) as e:
        engine.load({**MODULES, "checks/ext.rego": CUSTOM_FUNCTION})
    assert e.value.file == "checks/ext.rego"
    assert e.value.line == 6
    assert (
        f"OPA at {server.url} does not have the function compliance_ext.lookup" in e.value.message
    )


def test_auth_failure_without_leaking_the_token() -> None:
    server = OpaTestServer(token="right-token")
    try:
        for token in (None, "wrong-token"):
            with pytest.raises(EngineError) as e:
                engine_for(server.url, token=token).load(MODULES)
            assert f"OPA at {server.url} rejected the credentials" in e.value.message
            assert "token" not in (e.value.message.replace("--opa-token", ""))
        engine = engine_for(server.url, token="right-token")
        engine.load(MODULES)
        assert engine.evaluate(QUERY, INPUT)
    finally:
        server.stop()


def test_unreachable_retries_with_backoff_then_fails() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    sleeps = Sleeps()
    with pytest.raises(EngineError) as e:
        engine_for(url, sleep=sleeps, retries=3).load(MODULES)
    assert sleeps == [0.25, 0.5, 1.0]
    assert f"OPA at {url} is unreachable" in e.value.message
    assert "4 attempt(s)" in e.value.message


def test_http_errors_are_not_retried(server: OpaTestServer) -> None:
    server.force_status = 500
    sleeps = Sleeps()
    with pytest.raises(EngineError) as e:
        engine_for(server.url, sleep=sleeps).load(MODULES)
    assert sleeps == []
    assert len(server.requests) == 1
    assert f"OPA at {server.url} answered 500" in e.value.message
    assert "forced by the test" in e.value.message


def test_evaluation_error_is_an_engine_error(server: OpaTestServer) -> None:
    conflict = """package compliance.main
import rego.v1
violations := 1 if input.a
violations := 2 if input.b
"""
    engine = engine_for(server.url)
    engine.load({"checks/main.rego": conflict})
    with pytest.raises(
        EngineError, match=rf"OPA at {server.url} answered 500 .*eval_conflict_error"
    ):
        engine.evaluate(QUERY, {"a": True, "b": True})


def test_timeout(server: OpaTestServer) -> None:
    server.stall = threading.Event()
    try:
        with pytest.raises(EngineError, match=rf"OPA at {server.url} did not answer within 0.2s"):
            engine_for(server.url, timeout=0.2).load(MODULES)
    finally:
        server.stall.set()


def test_tls_verified_against_the_private_ca(tmp_path: Path) -> None:
    tls = make_tls(tmp_path)
    server = OpaTestServer(tls=tls)
    try:
        sleeps = Sleeps()
        with pytest.raises(EngineError) as e:
            engine_for(server.url, sleep=sleeps).load(MODULES)
        assert f"OPA at {server.url}: TLS verification failed" in e.value.message
        assert "--opa-ca" in e.value.message
        assert sleeps == []
        engine = engine_for(server.url, ca_file=str(tls.ca))
        engine.load(MODULES)
        assert engine.evaluate(QUERY, INPUT)
        other_ca = make_tls(tmp_path / "other", "another CA")
        with pytest.raises(EngineError, match="TLS verification failed"):
            engine_for(server.url, ca_file=str(other_ca.ca)).load(MODULES)
    finally:
        server.stop()


def test_stale_library_is_deleted_after_its_users(server: OpaTestServer) -> None:
    """OPA refuses to delete a module others still call: a/zlib.rego goes after b/main.rego."""
    old = {"a/zlib.rego": LIB, "b/main.rego": MAIN}
    engine_for(server.url).load(old)
    new = {**old, "b/main.rego": MAIN + "\n"}
    engine_for(server.url).load(new)
    digest = module_set_digest(new, None)
    assert server.policy_ids() == [policy_id(digest, m) for m in sorted(new)]
    assert server.count("DELETE", "/v1/policies/") == 3  # zlib refused once, main, zlib again
