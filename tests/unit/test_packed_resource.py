"""A resource as a load worker sends it (``Resource.to_packed``, body and line map as JSON
bytes) is, through every path that reads it, the resource it was made from: fields,
equality, dumps, copies, pickling, the engine's input and the population."""

from __future__ import annotations

import copy
import math
import pickle
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from compliance.assess import Assessor, members, with_unique_ids
from compliance.evaluation.executor import engine_input, map_in_processes
from compliance.inputs import LoadOptions, load_paths, loading
from compliance.inputs.base import FileContext
from compliance.inputs.spool import Spool, Spooled
from compliance.model import Resource, Source
from compliance.runner import RunOptions, build_evaluator

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return build_evaluator(RunOptions(now=NOW, load=LoadOptions(env={}))).assessor


@pytest.fixture(scope="module")
def loaded() -> list[Resource]:
    resources = load_paths(
        [str(ROOT / "examples"), str(ROOT / "tests" / "fixtures")], LoadOptions(env={})
    ).resources
    assert {r.source.format for r in resources} == {
        "k8s",
        "dockerfile",
        "compose",
        "terraform",
        "securityconfig",
    }
    return resources


def _packed(r: Resource, assessor: Assessor | None = None) -> Resource:
    return Resource.from_packed(r.to_packed(assessor.stamp(r) if assessor else None))


def _lazy(r: Resource) -> bool:
    return "body" not in r.__dict__ and "lines" not in r.__dict__


def test_a_packed_resource_reads_as_the_resource(loaded: list[Resource]) -> None:
    for r in loaded:
        p = _packed(r)
        assert _lazy(p)
        assert p.body == r.body and p.lines == r.lines and p.facts == r.facts
        assert p.line_for("spec") == r.line_for("spec")
        assert list(p.__dict__) == list(r.__dict__)  # field order, as pydantic dumps it
        assert p.model_fields_set == Resource.from_row(r.to_row()).model_fields_set


@pytest.mark.parametrize(
    "read",
    [
        lambda r: r.model_dump(),
        lambda r: r.model_dump(mode="json"),
        lambda r: r.model_dump_json(),
        lambda r: repr(r),
        lambda r: dict(r),
        lambda r: r.to_row(),
        lambda r: orjson.dumps(r.engine_input()),
        lambda r: orjson.dumps(r.engine_input(fragments=True)),
        lambda r: pickle.loads(pickle.dumps(r)).model_dump(),
        lambda r: copy.copy(r).model_dump(),
        lambda r: copy.deepcopy(r).model_dump(),
        lambda r: r.model_copy(update={"id": "x"}).model_dump(),
        lambda r: r.model_copy(deep=True).model_dump(),
    ],
    ids=[
        "model_dump",
        "model_dump_json_mode",
        "model_dump_json",
        "repr",
        "iter",
        "to_row",
        "engine_input",
        "engine_input_fragments",
        "pickle",
        "copy",
        "deepcopy",
        "model_copy_update",
        "model_copy_deep",
    ],
)
def test_every_generic_path_sees_the_same_body(loaded: list[Resource], read: Any) -> None:
    for r in loaded:
        assert read(_packed(r)) == read(r), r.id


def test_equality_either_way_and_when_bodies_differ(loaded: list[Resource]) -> None:
    for r in loaded:
        assert _packed(r) == r and r == _packed(r) and _packed(r) == _packed(r)
    a, b = (r for r in loaded if r.kind == "ConfigMap" and r.body.get("data"))
    assert _packed(a) != _packed(b) and _packed(a) != b
    other = a.model_copy(update={"body": {**a.body, "data": {"k": "changed"}}})
    assert _packed(a) != _packed(other) and _packed(other) == other


def test_the_engine_is_sent_the_workers_bytes(loaded: list[Resource]) -> None:
    packed = [_packed(r) for r in loaded]
    sent = orjson.dumps(engine_input(packed, {"p": 1}, NOW, None, fragments=True))
    assert all(_lazy(p) for p in packed)  # spliced in, not decoded
    assert sent == orjson.dumps(engine_input(loaded, {"p": 1}, NOW, None))
    as_dicts = engine_input(packed, {"p": 1}, NOW, None)  # an engine that takes no fragments
    assert as_dicts == engine_input(loaded, {"p": 1}, NOW, None)


def test_a_copy_with_another_body_sends_that_body(loaded: list[Resource]) -> None:
    r = next(r for r in loaded if r.kind == "ConfigMap")
    p = _packed(r)
    changed = p.model_copy(update={"body": {"data": {"other": "x"}}})
    assert changed.body == {"data": {"other": "x"}}
    assert orjson.loads(orjson.dumps(changed.engine_input(fragments=True)))["body"] == {
        "data": {"other": "x"}
    }
    assert p.body == r.body  # the original is unchanged
    renamed = _packed(r).model_copy(update={"id": "new"})
    assert _lazy(renamed) and renamed.id == "new" and renamed.body == r.body


def test_duplicates_get_their_ids_and_keep_their_bodies(loaded: list[Resource]) -> None:
    r = next(r for r in loaded if r.kind == "ConfigMap")
    twins = [_packed(r), _packed(r.model_copy(update={"source": r.source.model_copy()}))]
    out, shared = with_unique_ids(twins)
    assert len(shared) == 1 and out[0].id != out[1].id
    for after in out:
        assert after.body == r.body and after.lines == r.lines
        assert orjson.dumps(after.engine_input(fragments=True)) == orjson.dumps(
            r.model_copy(update={"id": after.id}).engine_input()
        )


def test_the_population_reads_no_body_it_was_stamped_with(
    loaded: list[Resource], assessor: Assessor
) -> None:
    stamped = [_packed(r, assessor) for r in loaded]
    assert members(stamped, assessor) == members(loaded, assessor)
    assert all(_lazy(p) for p in stamped)
    unstamped = [_packed(r) for r in loaded]
    assert members(unstamped, assessor) == members(loaded, assessor)
    read = {p.kind for p in unstamped if "body" in p.__dict__}
    assert "ConfigMap" in read and "Deployment" not in read  # only where a path needs it


def test_a_stamp_holds_only_for_its_assessor_and_body(
    loaded: list[Resource], assessor: Assessor
) -> None:
    r = next(r for r in loaded if r.kind == "ConfigMap" and r.body.get("data"))
    p = _packed(r, assessor)
    assert p.assessed(assessor.key) == ("SEC-01", "SEC-03")
    assert p.assessed("another assessor") is None
    assert p.model_copy(update={"id": "x"}).assessed(assessor.key) == ("SEC-01", "SEC-03")
    emptied = p.model_copy(update={"body": {**r.body, "data": {}}})
    assert emptied.assessed(assessor.key) is None
    assert members([emptied], assessor)[0].assessed_by == ("SEC-03",)
    back = pickle.loads(pickle.dumps(p))
    assert _lazy(back) and back.assessed(assessor.key) == ("SEC-01", "SEC-03")


def _resource(fmt: Any, body: dict[str, Any]) -> Resource:
    return Resource(
        id="x", kind="K", name="n", source=Source(file="f", line=1, format=fmt), body=body
    )


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("k8s", {"a": math.nan}),
        ("k8s", {"a": [1.0, math.inf]}),
        ("k8s", {"a": -math.inf, "s": "null"}),
        ("k8s", {"pad": "x" * 20_000, "deep": [{"a": [1, {"b": math.nan}]}]}),
        ("terraform", {"a": (1, 2)}),
        ("k8s", {"a": "\ud800"}),
        ("k8s", {"a": 2**70}),
    ],
    ids=["nan", "inf", "neg-inf", "large-nan", "tuple", "lone-surrogate", "big-int"],
)
def test_a_body_json_does_not_hold_exactly_stays_a_dict(fmt: Any, body: dict[str, Any]) -> None:
    r = _resource(fmt, body)
    row = r.to_packed()
    assert row[8] is r.body
    p = Resource.from_packed(row)
    assert p.body is r.body and "body" in p.__dict__
    assert p.engine_input(fragments=True)["body"] is r.body


@pytest.mark.parametrize("pad", ["", "x" * 20_000], ids=["small", "large"])
def test_nulls_and_floats_that_json_holds_are_sent_as_bytes(pad: str) -> None:
    body = {"a": None, "b": [1.5, -0.0, 1e300], "c": "null", "d": 2**64 - 1, "pad": pad}
    row = _resource("k8s", body).to_packed()
    assert isinstance(row[8], bytes)
    assert Resource.from_packed(row).body == body


def test_threads_reading_one_packed_resource_see_one_body(loaded: list[Resource]) -> None:
    r = max(loaded, key=lambda r: len(orjson.dumps(r.body)))

    def read(p: Resource, seen: list[Any]) -> None:
        seen.append(p.body)

    for _ in range(20):
        p = _packed(r)
        seen: list[Any] = []
        threads = [threading.Thread(target=read, args=(p, seen)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seen) == 4 and all(b == r.body for b in seen)
        assert p.__dict__["body"] == r.body


def test_loading_in_processes_with_a_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, assessor: Assessor
) -> None:
    """Through real worker processes: resources come back packed and stamped, equal to one
    process's, and the population reads none of their bodies."""
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 0)
    paths = [str(ROOT / "examples" / "bpi")]
    alone = load_paths(paths, LoadOptions(env={}))
    multi = load_paths(
        paths,
        LoadOptions(env={}),
        map_files=lambda fn, args: map_in_processes(fn, args, workers=2),
        stamp=assessor.stamp,
    )
    assert len(multi.resources) == len(alone.resources) > 20
    assert all(_lazy(r) for r in multi.resources if r.source.format == "k8s")
    # read where the workers wrote them, in memory shared with this process
    assert all(isinstance(r._encoded["body"], memoryview) for r in multi.resources if _lazy(r))
    assert members(multi.resources, assessor) == members(alone.resources, assessor)
    assert all(_lazy(r) for r in multi.resources if r.source.format == "k8s")
    assert multi.resources == alone.resources


def test_a_row_packed_without_encoding_holds_dicts(
    loaded: list[Resource], assessor: Assessor
) -> None:
    """What a run with a cache sends (the cache stores every body decoded)."""
    for r in loaded:
        row = r.to_packed(assessor.stamp(r), encode=False)
        assert row[8] is r.body and row[10] is r.lines
        p = Resource.from_packed(row)
        assert p == r and list(p.__dict__) == list(r.__dict__)
        assert p.model_dump() == r.model_dump() and p.lines == r.lines
        assert p.assessed(assessor.key) == assessor.assesses(r)
        assert p.engine_input(fragments=True) == r.engine_input()


def test_a_spool_hands_back_what_was_put_and_refuses_what_does_not_fit() -> None:
    spool = Spool(10)
    first = spool.put([b"abc", b"de"])
    assert first is not None and [bytes(spool.get(w)) for w in first] == [b"abc", b"de"]
    assert spool.put([b"123456"]) is None  # 5 + 6 > 10: nothing written
    last = spool.put([b"12345"])
    assert last is not None and bytes(spool.get(last[0])) == b"12345"
    assert spool.put([b"x"]) is None


def test_rows_go_through_the_pipe_when_the_spool_is_full_or_not_shared(
    loaded: list[Resource],
) -> None:
    rows = [r.to_packed() for r in loaded]
    full = Spool(0)
    assert loading._spooled(rows, full) == rows
    spool = Spool(10_000_000)
    spooled = loading._spooled(rows, spool)
    assert any(isinstance(row[8], Spooled) for row in spooled)
    back = loading._unpack((spooled, [], [], [], {}), spool).resources
    assert back == loaded
    assert all(isinstance(r._encoded["body"], memoryview) for r in back if _lazy(r))
    # a worker not given this spool's token writes nothing to it
    path = ROOT / "examples" / "bpi" / "k8s" / "bpi-core-statefulset.yaml"
    ctx = FileContext(path, path.name, LoadOptions(), ROOT)
    packed, _ = loading._load_packed(None, ctx, "yaml", True, False, None, True, "another")
    assert packed[0] and all(isinstance(row[8], bytes) for row in packed[0])
    loading._SPOOL = spool  # as a forked worker of this load sees it
    try:
        packed, _ = loading._load_packed(None, ctx, "yaml", True, False, None, True, spool.token)
    finally:
        loading._SPOOL = None
    assert packed[0] and all(isinstance(row[8], Spooled) for row in packed[0])


def test_a_spooled_resource_pickles_as_its_bytes(loaded: list[Resource]) -> None:
    r = next(r for r in loaded if r.kind == "ConfigMap")
    spool = Spool(1_000_000)
    (row,) = loading._spooled([r.to_packed()], spool)
    p = loading._unpack(([row], [], [], [], {}), spool).resources[0]
    back = pickle.loads(pickle.dumps(p))
    assert _lazy(back) and back == r
    assert isinstance(back._encoded["body"], bytes)
