"""The result cache: a warm run (cache hits, one file edited) gives exactly the cold run's
report, and any change to the packs invalidates cached results."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compliance.evaluation.evaluator import Evaluator
from compliance.formats.json import render
from compliance.incremental.cache import Cache
from compliance.incremental.run import evaluate_cached
from compliance.inputs import LoadOptions
from compliance.model import Report
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs
from tests.sampling import sample

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)
MONITORING = ROOT / "tests" / "fixtures" / "monitoring"
"""Our own small monitoring stack in one namespace (its README), one object per file."""
SAMPLE = [
    "grafana-deployment.yaml",
    "grafana-service.yaml",
    "grafana-networkPolicy.yaml",
    "alertmanager-podDisruptionBudget.yaml",
    "prometheus-roleBindingConfig.yaml",
    "nodeExporter-daemonset.yaml",
    "prometheus-prometheusRule.yaml",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A multi-file tree of every input format: the BPI example plus a monitoring stack."""
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "examples" / "bpi", root / "bpi")
    (root / "kp").mkdir()
    for name in SAMPLE:
        shutil.copy(MONITORING / name, root / "kp" / name)
    return root


def evaluate(
    evaluator: Evaluator,
    paths: list[str],
    options: RunOptions,
    cache: Cache | None,
    workers: int = 1,
) -> Report:
    """What ``compliance evaluate`` does: through the cache when there is one."""
    loaded = load_inputs(paths, options.load, cache=cache)
    if cache is None:
        return evaluate_loaded(evaluator, loaded, options, workers=workers)
    return evaluate_cached(evaluator, loaded, cache, options, workers=workers)


def run(
    corpus: Path, cache_dir: Path | None, policy_root: Path | None = None
) -> tuple[dict[str, Any], Cache | None, list[str]]:
    """The report, the cache and the result units evaluated in the engine."""
    options = RunOptions(now=NOW, load=LoadOptions(env={}), policy_root=policy_root)
    evaluator = build_evaluator(options)
    cache = Cache(cache_dir, options.load) if cache_dir else None
    report = evaluate(evaluator, [str(corpus)], options, cache)
    units = cache.evaluated_units if cache else []
    return report.model_dump(mode="json"), cache, units


def test_warm_run_after_an_edit_equals_a_cold_run(corpus: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first, cache, families = run(corpus, cache_dir)
    first_units = families
    assert cache is not None and cache.hits == 0 and cache.misses > 0
    assert len(families) > 3 and "global" in families  # the cold run evaluated every unit
    assert first == run(corpus, None)[0]
    assert (cache_dir / ".gitignore").read_text() == "*\n"

    unchanged, cache, families = run(corpus, cache_dir)
    assert unchanged == first
    assert cache is not None and cache.misses == 0 and cache.hits > 0
    assert families == []  # nothing changed: no engine evaluation at all

    # Edit one Deployment: drop its resource limits and run its container as root.
    target = corpus / "kp" / "grafana-deployment.yaml"
    text = target.read_text()
    edited = text.replace("runAsNonRoot: true", "runAsNonRoot: false").replace(
        "image: grafana/grafana", "image: docker.io/grafana/grafana"
    )
    assert edited != text
    target.write_text(edited)

    warm, cache, families = run(corpus, cache_dir)
    cold, _, _ = run(corpus, None)
    assert warm == cold
    assert warm != first  # the edit matters to the findings
    assert cache is not None and cache.misses == 1  # only the edited file was parsed again
    assert "group:ns:monitoring" in families  # its namespace, never every unit
    assert len(families) < len(first_units)


def test_a_changed_pack_invalidates_cached_results(corpus: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    cache_dir = tmp_path / "cache"
    before, _, _ = run(corpus, cache_dir, policies)
    messages = {f["message"] for f in before["findings"] if f["check_id"] == "RES-01"}
    assert messages, "the corpus must have RES-01 findings for this test to mean anything"

    module = policies / "checks" / "res" / "res_01.rego"
    source = module.read_text()
    edited = source.replace(
        '"message": sprintf("container %s', '"message": sprintf("(edited) container %s'
    )
    assert edited != source
    module.write_text(edited)
    after, cache, families = run(corpus, cache_dir, policies)
    assert after == run(corpus, None, policies)[0]
    assert {p["digest"] for p in after["packs"]} != {p["digest"] for p in before["packs"]}
    assert any("(edited)" in f["message"] for f in after["findings"])
    assert cache is not None and cache.hits > 0  # parsed files still come from the cache
    assert families == run(corpus, None)[2] or "global" in families  # every unit again


def test_corrupt_or_foreign_entries_are_misses(corpus: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cold, _, _ = run(corpus, cache_dir)
    entries = sorted(cache_dir.rglob("*.json"))
    assert entries
    for i, entry in enumerate(entries):
        entry.write_bytes(b"\x80not json" if i % 2 else b'{"resources": 7}')
    again, cache, families = run(corpus, cache_dir)
    assert again == cold
    assert cache is not None and cache.hits == 0
    assert "global" in families  # every unit evaluated again


def test_entries_are_json_never_pickle(corpus: Path, tmp_path: Path) -> None:
    import orjson

    cache_dir = tmp_path / "cache"
    run(corpus, cache_dir)
    for entry in cache_dir.rglob("*.json"):
        orjson.loads(entry.read_bytes())
    assert not [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix not in {".json", ""}]


def test_the_rego_analysis_is_reused_while_rules_and_kinds_stay(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm run takes the analysis of the checks' Rego (what each check may read, the
    check families) from ``analysis.json`` instead of reading every module again; what is
    stored is what the analysis gives, and new kinds in the inputs, or a damaged file, make
    it run again."""
    import compliance.incremental.units as cache_module
    from compliance.policy import analysis as families

    cache_dir = tmp_path / "cache"
    cold, _, _ = run(corpus, cache_dir)
    options = RunOptions(now=NOW, load=LoadOptions(env={}))
    present = {r.kind for r in load_inputs([str(corpus)], options.load).resources}
    computed = cache_module.analyse(build_evaluator(options), present)  # from the modules
    assert computed.cacheable and computed.time_checks and computed.global_kinds <= computed.read

    def unread(*args: Any) -> Any:
        raise AssertionError("the modules were analysed again")

    calls: list[set[str]] = []
    real = cache_module.analyse

    def counted(evaluator: Evaluator, present: set[str]) -> Any:
        calls.append(present)
        return real(evaluator, present)

    monkeypatch.setattr(cache_module, "analyse", counted)
    with monkeypatch.context() as m:
        m.setattr(families, "family_plan", unread)
        evaluator = build_evaluator(options)
        stored = cache_module.stored_analysis(Cache(cache_dir), evaluator, present)
        assert stored == computed  # the cold run's
        # the families come with it: a query over two parameter sets needs them too
        assert evaluator.analysis.plan == computed.plan
        edited = corpus / "kp" / "grafana-deployment.yaml"
        edited.write_text(edited.read_text().replace("replicas: 1", "replicas: 2", 1))
        report, _, evaluated = run(corpus, cache_dir)  # four packs: two parameter sets
    assert calls == []
    assert evaluated and report == run(corpus, None)[0] != cold

    (corpus / "bpi" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: x, namespace: extra}\n"
    )
    warm, _, _ = run(corpus, cache_dir)
    assert len(calls) == 1 and calls[0] == present | {"LimitRange"}  # a kind new to the run
    assert warm == run(corpus, None)[0]
    run(corpus, cache_dir)
    assert len(calls) == 1  # the same kinds again: reused
    (cache_dir / "analysis.json").write_bytes(b'{"sha256":"0"}')
    assert run(corpus, cache_dir)[0] == warm
    assert len(calls) == 2  # a damaged file is not read
    # sealed, the same key, another layout (a build between two versions): analysed again
    import orjson

    evaluator = build_evaluator(options)
    key = cache_module.digest(cache_module.rules_digest(evaluator), *sorted(calls[-1]))
    layout = orjson.dumps({"key": key, "read": sorted(calls[-1])})
    (cache_dir / "analysis.json").write_bytes(cache_module.seal(layout))
    assert run(corpus, cache_dir)[0] == warm
    assert len(calls) == 3


def test_loader_options_are_part_of_the_file_key(tmp_path: Path) -> None:
    config = tmp_path / "c" / "node.toml"
    config.parent.mkdir()
    shutil.copy(ROOT / "examples" / "bpi" / "config" / "node.toml", config)
    shutil.copytree(ROOT / "examples" / "bpi" / "config" / "certs", config.parent / "certs")
    cache_dir = tmp_path / "cache"

    def tls(sets: tuple[str, ...]) -> Any:
        options = LoadOptions(sets=sets, env={})
        cache = Cache(cache_dir, options)
        load_inputs([str(config.parent)], options, cache=cache)
        bodies = cache.resources_of(cache.order)  # parsed now, or from the cached bodies
        assert bodies is not None
        (resource,) = [r for rs in bodies.values() for r in rs if r.kind == "SecurityConfig"]
        return resource.body["security"]["tls_config"]["min_version"]

    assert tls(()) == "1.2"
    assert tls(("security.tls_config.min_version=1.3",)) == "1.3"
    assert tls(()) == "1.2"


def test_partitioned_cache_reevaluates_one_namespace_and_equals_cold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the run split by namespace (as large runs are), an edit in one namespace
    re-evaluates that namespace's unit only (and the global checks if they read its kind),
    and the warm report is still exactly the cold one."""
    from compliance.evaluation import executor as parallel

    monkeypatch.setattr(parallel, "PARTITION_MIN_RESOURCES", 0)
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "examples" / "bpi", root / "bpi")
    for i in range(1, 5):
        (root / f"r{i}").mkdir()
        for name in SAMPLE:
            text = (MONITORING / name).read_text()
            (root / f"r{i}" / name).write_text(
                text.replace("namespace: monitoring", f"namespace: monitoring-r{i}")
            )

    def go(cache_dir: Path | None) -> tuple[dict[str, Any], list[str]]:
        options = RunOptions(now=NOW, load=LoadOptions(env={}))
        evaluator = build_evaluator(options)
        cache = Cache(cache_dir, options.load) if cache_dir else None
        report = evaluate(evaluator, [str(root)], options, cache, 2).model_dump(mode="json")
        return report, cache.evaluated_units if cache else []

    cache_dir = tmp_path / "cache"
    first, units = go(cache_dir)
    assert {f"group:ns:monitoring-r{i}" for i in range(1, 5)} <= set(units)
    assert first == go(None)[0]
    again, units = go(cache_dir)
    assert again == first and units == []

    target = root / "r3" / "grafana-deployment.yaml"
    text = target.read_text()
    target.write_text(text.replace("runAsNonRoot: true", "runAsNonRoot: false"))
    warm, units = go(cache_dir)
    assert warm == go(None)[0]
    assert warm != first
    # its namespace, and the global checks only if one of them reads a Deployment
    assert "group:ns:monitoring-r3" in units
    assert set(units) <= {"group:ns:monitoring-r3", "global"}


# ---------------------------------------------------------------- the files index


def _age(root: Path, seconds: int = 60) -> None:
    """Every file's mtime ``seconds`` in the past (ctime stays: the kernel sets it)."""
    for path in root.rglob("*"):
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def test_unchanged_files_are_not_read_again(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose stat equals the index's is not read (no open); the report is the
    cold one. Files changed just before the indexed run are read again (racy)."""
    from compliance.incremental import cache as cache_module

    _age(corpus)
    cache_dir = tmp_path / "cache"
    first, _, _ = run(corpus, cache_dir)
    # every file's ctime is within RACY_NS of the priming run: all read and hashed again
    racy, cache, _ = run(corpus, cache_dir)
    assert racy == first and cache is not None and cache.stat_hits == 0 and cache.misses == 0
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    read: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        if corpus in self.parents:
            read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    again, cache, families = run(corpus, cache_dir)
    assert again == first
    assert cache is not None and cache.stat_hits == cache.hits > 0 and cache.misses == 0
    assert read == [] and families == []
    bodies = sorted(cache_dir.glob("bodies-*.json"))
    assert len(bodies) > 1  # sharded by namespace
    indexes = sorted(cache_dir.glob("index-*.json"))
    assert len(indexes) > 3  # sharded by folder and unit
    snapshots = [*bodies, *indexes]
    before = [p.stat().st_mtime_ns for p in snapshots]
    run(corpus, cache_dir)
    assert [p.stat().st_mtime_ns for p in snapshots] == before  # nothing changed: no write

    # one edited file rewrites the body shard that holds it and the index shards of its
    # folder and of its namespace's unit: a few small files, not the whole index
    target = corpus / "kp" / "grafana-deployment.yaml"
    target.write_text(target.read_text().replace("runAsNonRoot: true", "runAsNonRoot: false"))
    warm, cache, units = run(corpus, cache_dir)
    assert warm == run(corpus, None)[0]
    assert units == ["group:ns:monitoring"]
    after = [p.stat().st_mtime_ns for p in snapshots]
    changed = [p.name for p, a, b in zip(snapshots, after, before, strict=True) if a != b]
    assert len([n for n in changed if n.startswith("bodies-")]) == 1
    assert 1 <= len([n for n in changed if n.startswith("index-")]) <= 2, changed


@pytest.mark.parametrize("large", [False, True], ids=["units-per-group", "large-groups"])
@pytest.mark.parametrize("change", ["edit", "same-size-mtime-kept", "touch", "add", "delete"])
def test_warm_equals_cold_after_each_kind_of_change(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, large: bool
) -> None:
    """... with every group's resource checks per file too (``LARGE_GROUP`` 0)."""
    from compliance.incremental import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    if large:
        monkeypatch.setattr("compliance.incremental.units.LARGE_GROUP", 0)
    cache_dir = tmp_path / "cache"
    first, _, _ = run(corpus, cache_dir)
    target = corpus / "kp" / "grafana-deployment.yaml"
    text = target.read_text()
    st = target.stat()
    if change == "edit":
        target.write_text(text.replace("runAsNonRoot: true", "runAsNonRoot: false"))
    elif change == "same-size-mtime-kept":
        # the classic risk: same size, mtime put back; the ctime still tells
        edited = text.replace("runAsNonRoot: true", "runAsNonRoot: ture")
        assert len(edited) == len(text)
        target.write_text(edited)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif change == "touch":
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    elif change == "add":
        shutil.copy(target, corpus / "kp" / "grafana-deployment-copy.yaml")
        extra = corpus / "kp" / "grafana-deployment-copy.yaml"
        extra.write_text(text.replace("name: grafana\n", "name: grafana-two\n", 1))
    else:
        target.unlink()
    warm, cache, _ = run(corpus, cache_dir)
    cold, _, _ = run(corpus, None)
    assert warm == cold
    assert cache is not None
    if change == "touch":
        assert warm == first and cache.misses == 0  # read, hashed, same bytes: a hit
    elif change == "delete":
        assert cache.misses == 0 and warm != first
    else:
        assert cache.misses == 1 and warm != first
    assert run(corpus, cache_dir)[0] == cold  # and once more, from the new index


def test_verify_reads_every_file(corpus: Path, tmp_path: Path) -> None:
    """``--cache-verify`` (and runs that write a bundle) never trust a stat."""
    cache_dir = tmp_path / "cache"
    options = RunOptions(now=NOW, load=LoadOptions(env={}))
    run(corpus, cache_dir)
    cache = Cache(cache_dir, options.load, verify=True)
    cache_module_racy = __import__("compliance.incremental.cache", fromlist=["RACY_NS"])
    assert cache_module_racy.RACY_NS > 0
    loaded = load_inputs([str(corpus)], options.load, cache=cache)
    assert cache.stat_hits == 0 and cache.hits > 0
    assert set(loaded.texts) == {i.file for i in loaded.inputs}  # a bundle needs every text


def test_a_foreign_or_edited_index_is_a_miss(corpus: Path, tmp_path: Path) -> None:
    """The index is sealed with the SHA-256 of its body: an edited one (well-formed JSON,
    wrong shapes, the old seal) or an unsealed one (an earlier format) is not read at all,
    never half-trusted."""
    import orjson

    from compliance.incremental.store import seal

    cache_dir = tmp_path / "cache"
    cold, _, _ = run(corpus, cache_dir)
    originals = {p: p.read_bytes() for p in cache_dir.glob("index-*.json")}
    plants = {}
    for index, raw in originals.items():
        sealed = orjson.loads(raw)
        data = sealed["index"]
        for entry in data["files"].values():  # well-formed JSON, wrong shapes
            entry["stat"] = None
            for meta in entry["resources"]:
                meta[0] = 7
            entry["load"]["inputs"] = [{"file": 1}]
        edited = orjson.dumps({"sha256": sealed["sha256"], "index": data})
        truncated = seal(orjson.dumps(sealed["index"]))[:-1]
        plants[index] = (edited, orjson.dumps(data), truncated)
    for kind in range(3):
        for index, planted in plants.items():
            index.write_bytes(planted[kind])
        again, cache, _ = run(corpus, cache_dir)
        assert again == cold and cache is not None and cache.hits == 0


def test_a_body_of_other_bytes_is_never_used(corpus: Path, tmp_path: Path) -> None:
    """A body shard that does not describe the bytes the index holds (a run that died
    between writing a shard and the index, a shard from elsewhere) makes the cached
    evaluation give up (CacheMiss) rather than evaluate the wrong resources; the CLI
    then evaluates without the cache."""
    import orjson

    from compliance.incremental.cache import CacheMiss

    cache_dir = tmp_path / "cache"
    cold, _, _ = run(corpus, cache_dir)
    for body in cache_dir.glob("bodies-*.json"):
        data = orjson.loads(body.read_bytes())
        for entry in data["files"].values():
            entry["sha256"] = "0" * 64
            entry["rows"][0][8] = {"planted": True}
        body.write_bytes(orjson.dumps(data))
    target = corpus / "kp" / "grafana-deployment.yaml"  # a re-evaluation needs the bodies
    target.write_text(target.read_text().replace("runAsNonRoot: true", "runAsNonRoot: false"))
    with pytest.raises(CacheMiss):
        run(corpus, cache_dir)


def test_resources_sharing_an_id_across_files(corpus: Path, tmp_path: Path) -> None:
    """Two files declaring the same cluster-scoped object: both are kept, each with an id
    naming its file, and each has its findings at its own file and line; warm runs (the
    report and its JSON) give the cold run's bytes after an edit of either file
    and after the second copy appears or goes."""
    from compliance.incremental import cache as cache_module

    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        "  name: shared-admin\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n"
        "  verbs: ['*']\n"
    )
    base = "k8s:rbac.authorization.k8s.io/v1/ClusterRole:shared-admin"
    (corpus / "a-role.yaml").write_text(role)
    cache_dir = tmp_path / "cache"
    alone, _, _ = run(corpus, cache_dir)  # cached while its id is its own
    assert base in {r["id"] for r in alone["resources"]}
    (corpus / "z-role.yaml").write_text("# the same object again\n" + role)
    first, _, _ = run(corpus, cache_dir)
    assert first == run(corpus, None)[0]
    ids = {r["id"]: r for r in first["resources"]}
    assert len(ids) == len(first["resources"])  # no two share an id
    a_file, z_file = str(corpus / "a-role.yaml"), str(corpus / "z-role.yaml")
    a_id, z_id = f"{base}@{a_file}#1", f"{base}@{z_file}#1"
    assert base not in ids and {a_id, z_id} <= ids.keys()
    assert (ids[a_id]["line"], ids[z_id]["line"]) == (1, 2)
    assert first["duplicates"] == [{"id": base, "resources": [a_id, z_id]}]
    assert first["summary"]["duplicates"] == 2
    on = {(f["resource"]["id"], f["file"]) for f in first["findings"] if f["check_id"] == "AUTH-03"}
    assert {(a_id, a_file), (z_id, z_file)} <= on
    original = cache_module.RACY_NS
    try:
        cache_module.RACY_NS = 0
        for name in ("a-role.yaml", "z-role.yaml"):
            path = corpus / name
            path.write_text("\n\n" + path.read_text())  # its lines move
            warm, _, _ = run(corpus, cache_dir)
            assert warm == run(corpus, None)[0]
            assert _json_run(corpus, cache_dir) == _json_run(corpus, None)
        (corpus / "z-role.yaml").unlink()
        warm, _, _ = run(corpus, cache_dir)
        assert warm == run(corpus, None)[0]
        assert base in {r["id"] for r in warm["resources"]} and warm["duplicates"] == []
    finally:
        cache_module.RACY_NS = original


def _json_run(corpus: Path, cache_dir: Path | None) -> bytes:
    """The bytes ``--format json`` writes, through the cache when there is one."""
    options = RunOptions(now=NOW, load=LoadOptions(env={}))
    evaluator = build_evaluator(options)
    if cache_dir is None:
        loaded = load_inputs([str(corpus)], options.load)
        return render(evaluate_loaded(evaluator, loaded, options)).encode()
    cache = Cache(cache_dir, options.load)
    loaded = load_inputs([str(corpus)], options.load, cache=cache)
    return render(evaluate_cached(evaluator, loaded, cache, options)).encode()


@pytest.mark.parametrize(
    "variant",
    [
        {"parameters": {"tls_min_version": "1.3"}},
        {"now": datetime(2031, 1, 1, tzinfo=UTC)},
        {"env": {"BPI__SECURITY__TLS_CONFIG__MIN_VERSION": "1.0"}},
        {"sets": ("security.tls_config.min_version=1.0",)},
    ],
    ids=["param", "now", "env", "set"],
)
def test_warm_equals_cold_after_an_option_change(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: dict[str, Any]
) -> None:
    """Parameters, --now, BPI__ variables and --set change results: an index or result
    entry of the other options is never reused for them."""
    from compliance.incremental import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # stat hits wherever possible

    def go(cache_dir: Path | None, changed: bool) -> dict[str, Any]:
        load = LoadOptions(
            env=variant.get("env", {}) if changed else {},
            sets=variant.get("sets", ()) if changed else (),
        )
        options = RunOptions(
            now=variant.get("now", NOW) if changed else NOW,
            parameters=variant.get("parameters", {}) if changed else {},
            load=load,
        )
        evaluator = build_evaluator(options)
        cache = Cache(cache_dir, load) if cache_dir else None
        return evaluate(evaluator, [str(corpus)], options, cache).model_dump(mode="json")

    cache_dir = tmp_path / "cache"
    before = go(cache_dir, changed=False)
    assert go(cache_dir, changed=False) == before
    warm = go(cache_dir, changed=True)
    assert warm == go(None, changed=True)
    assert warm != before  # the option matters to this corpus
    assert go(cache_dir, changed=False) == before  # and back


def test_rows_are_kept_without_their_checks_usual_controls(corpus: Path, tmp_path: Path) -> None:
    """The index keeps a row's controls only when they are not every control of its
    check (a finding one parameter set reported and another did not): a stricter HIPAA
    TLS minimum gives findings of HIPAA's controls alone, and the warm report, rows of
    both kinds read back, is the cold one."""
    import orjson

    from compliance.incremental import cache as cache_module

    options = RunOptions(
        now=NOW, parameters={"hipaa": {"tls_min_version": "1.3"}}, load=LoadOptions(env={})
    )

    evaluated: list[str] = []

    def go(cache_dir: Path | None) -> dict[str, Any]:
        evaluator = build_evaluator(options)
        cache = Cache(cache_dir, options.load) if cache_dir else None
        report = evaluate(evaluator, [str(corpus)], options, cache).model_dump(mode="json")
        evaluated[:] = cache.evaluated_units if cache else []
        return report

    cache_dir = tmp_path / "cache"
    cold = go(cache_dir)
    rows = [
        row
        for path in cache_dir.glob("index-*.json")
        for unit in cache_module.unseal(path.read_bytes())["units"].values()
        for row in unit
    ]
    kept = [row for row in rows if row["controls"] is not None]
    assert kept and len(kept) < len(rows)
    assert all(c.startswith("hipaa:") for row in kept for c in row["controls"])
    hipaa_only = [f for f in cold["findings"] if all(c.startswith("hipaa:") for c in f["controls"])]
    assert len(hipaa_only) == len(kept)
    warm = go(cache_dir)
    assert evaluated == []  # every row read back
    assert warm == cold == go(None)
    assert orjson.dumps(warm) == orjson.dumps(cold)


def test_a_changed_certificate_is_noticed(tmp_path: Path) -> None:
    """A SecurityConfig's certificate is read from another file: changing it (the config
    unchanged) is a miss, and the report is the cold one (TLS-03/TLS-04 read it)."""
    from compliance.incremental import cache as cache_module

    root = tmp_path / "c"
    shutil.copytree(ROOT / "examples" / "bpi" / "config", root)
    certs = sorted((root / "certs").glob("*.pem"))
    cache_dir = tmp_path / "cache"
    first, _, _ = run(root, cache_dir)
    original = cache_module.RACY_NS
    try:
        cache_module.RACY_NS = 0
        config = next(p for p in root.glob("*.toml") if "cert_file" in p.read_text())
        named = next(c for c in certs if c.name in config.read_text())
        named.write_text("not a certificate\n")
        warm, cache, _ = run(root, cache_dir)
        assert warm == run(root, None)[0]
        assert cache is not None and cache.misses >= 1
    finally:
        cache_module.RACY_NS = original
    assert warm != first  # the unreadable certificate changes the TLS findings


def test_a_new_time_re_evaluates_only_the_checks_that_read_it(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --now every run has a new time: only the units of checks that read it
    (TLS-04, certificate expiry) are evaluated again, over the kinds they read."""
    from compliance.incremental import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # files written just now: not re-read
    cache_dir = tmp_path / "cache"

    def go(now: datetime, cache_dir: Path | None) -> tuple[dict[str, Any], list[str]]:
        options = RunOptions(now=now, load=LoadOptions(env={}))
        cache = Cache(cache_dir, options.load) if cache_dir else None
        report = evaluate(build_evaluator(options), [str(corpus)], options, cache)
        return report.model_dump(mode="json"), cache.evaluated_units if cache else []

    first, units = go(NOW, cache_dir)
    assert any(u.endswith("@now") for u in units) and any("@" not in u for u in units)
    later = datetime(2045, 1, 1, tzinfo=UTC)  # every example certificate has expired
    stored = sorted(cache_dir.glob("*.json"))
    before = [p.stat().st_mtime_ns for p in stored]
    warm, units = go(later, cache_dir)
    assert warm == go(later, None)[0]
    assert warm != first
    assert units and all(u.endswith("@now") for u in units)
    # the "@now" units share one index shard: a new time rewrites that one file only
    rewritten = [p.name for p, b in zip(stored, before, strict=True) if p.stat().st_mtime_ns != b]
    assert len(rewritten) == 1 and rewritten[0].startswith("index-"), rewritten
    expired = {f["resource"]["id"] for f in warm["findings"] if f["check_id"] == "TLS-04"}
    assert expired  # the time matters to this corpus


def test_every_pack_case_through_the_cache_equals_a_cold_run(tmp_path: Path) -> None:
    """Fixture cases (every check, sampled with a fixed seed under ``make test``: a case of
    each check and others up to 64; every case under ``make test-all``): primed and fully
    warm runs through the cache give the cold report, and no check reports on a kind the
    rule analysis did not foresee (that would abandon the cache with CacheMiss)."""
    import contextlib

    from compliance.policy.cases import discover

    every = discover(ROOT / "tests" / "packs" / "cases")
    assert len(every) > 150
    cases = sample(every, 64, group=lambda case: case.check)
    assert {c.check for c in cases} == {c.check for c in every}
    evaluators: dict[str, Any] = {}
    for i, case in enumerate(cases):
        options = RunOptions(now=case.now, parameters=case.params, load=LoadOptions(env={}))
        key = repr(sorted(case.params.items()))
        evaluator = evaluators.setdefault(key, build_evaluator(options))
        cache_dir = tmp_path / f"cache-{i}"
        with contextlib.chdir(case.root / "input"):
            cold_report = evaluate(evaluator, ["."], options, None)
            cold = cold_report.model_dump(mode="json")
            primed = evaluate(evaluator, ["."], options, Cache(cache_dir, options.load))
            warm_cache = Cache(cache_dir, options.load)
            warm = evaluate(evaluator, ["."], options, warm_cache)
        assert primed.model_dump(mode="json") == cold, case.id
        assert warm.model_dump(mode="json") == cold, case.id
        assert warm_cache.evaluated_units == [], case.id  # nothing changed: all reused
        assert render(warm) == render(cold_report), case.id  # the same bytes


def test_a_large_group_re_evaluates_the_edited_file_and_its_namespace_checks(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a group over ``LARGE_GROUP`` resources an edit re-evaluates the resource checks of
    the edited file only, and the namespace checks (NET-01, RES-01, HLT-01) over the whole
    group in a query of their own; each warm report is the cold one, through edits that
    change a resource check's verdict and each namespace check's."""
    from compliance.incremental import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    monkeypatch.setattr("compliance.incremental.units.LARGE_GROUP", 3)
    cache_dir = tmp_path / "cache"
    kp = corpus / "kp"
    first, _, units = run(corpus, cache_dir)
    assert first == run(corpus, None)[0]
    assert "group:ns:monitoring" in units
    per_file = [u for u in units if u.startswith("group:ns:monitoring|")]
    assert len(per_file) >= 5  # the group is large: its resource checks are per file

    def verdicts(report: dict[str, Any], check: str) -> set[str]:
        return {f["message"] for f in report["findings"] if f["check_id"] == check}

    deployment = kp / "grafana-deployment.yaml"
    policy = kp / "deny-all.yaml"
    budget = kp / "grafana-pdb.yaml"
    quota = kp / "quota.yaml"
    edits = [
        # a resource check's verdict (CTR) on one file
        lambda: deployment.write_text(
            deployment.read_text().replace("runAsNonRoot: true", "runAsNonRoot: false")
        ),
        # NET-01: a default-deny policy for the namespace
        lambda: policy.write_text(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            "  name: deny-all\n  namespace: monitoring\nspec:\n  podSelector: {}\n"
            "  policyTypes: [Ingress, Egress]\n"
        ),
        # HLT-01: a budget covering grafana's pods
        lambda: budget.write_text(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n"
            "  name: grafana\n  namespace: monitoring\nspec:\n  minAvailable: 1\n"
            "  selector:\n    matchLabels:\n      app.kubernetes.io/name: grafana\n"
        ),
        # RES-01: a quota for the namespace
        lambda: quota.write_text(
            "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n"
            "  namespace: monitoring\nspec:\n  hard: {pods: '50'}\n"
        ),
        lambda: policy.unlink(),
    ]
    before = first
    for edit in edits:
        edit()
        warm, cache, units = run(corpus, cache_dir)
        cold = run(corpus, None)[0]
        assert warm == cold
        assert warm != before  # every edit changes the findings
        assert "group:ns:monitoring" in units  # its namespace checks, over the whole group
        # the resource checks of the edited (or added) file only, never every file's
        assert len([u for u in units if u.startswith("group:ns:monitoring|")]) <= 1, units
        before = warm
    for check in ("HLT-01", "RES-01"):
        assert verdicts(first, check) != verdicts(before, check), check


def test_a_group_turning_large_reuses_none_of_its_former_rows(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same resources under another ``LARGE_GROUP``: the group's unit no longer holds
    its resource checks, so its former rows (which did) are not reused for it."""

    cache_dir = tmp_path / "cache"
    first, _, _ = run(corpus, cache_dir)
    monkeypatch.setattr("compliance.incremental.units.LARGE_GROUP", 3)
    warm, _, units = run(corpus, cache_dir)
    assert warm == first == run(corpus, None)[0]
    assert "group:ns:monitoring" in units
    monkeypatch.setattr("compliance.incremental.units.LARGE_GROUP", 500)
    again, _, units = run(corpus, cache_dir)
    assert again == first
    assert "group:ns:monitoring" in units


@pytest.mark.parametrize("named", ["api.env", ".env"])
def test_a_changed_env_file_is_noticed(tmp_path: Path, named: str) -> None:
    """A compose service's env_file and the project's .env are read beside the compose
    file: writing a secret into one (the compose file unchanged) is a miss, and the warm
    report is the cold one; so is creating a .env that was missing."""
    from compliance.incremental import cache as cache_module

    root = tmp_path / "c"
    root.mkdir()
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: api:1.0\n    env_file: api.env\n"
        "    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n"
    )
    (root / "api.env").write_text("LOG_LEVEL=info\n")
    cache_dir = tmp_path / "cache"
    first, _, _ = run(root, cache_dir)
    original = cache_module.RACY_NS
    try:
        cache_module.RACY_NS = 0
        (root / named).write_text("API_TOKEN=tok-1a2b3c4d\nDB_PASSWORD=pw-1a2b3c4d\n")
        warm, cache, _ = run(root, cache_dir)
        assert warm == run(root, None)[0]
        assert cache is not None and cache.misses >= 1
    finally:
        cache_module.RACY_NS = original
    assert warm != first
