"""Worker processes and the decision cache on a real server: a crashed worker fails closed (or
open) and is replaced; a cached decision equals an uncached one; a changed object misses."""

from __future__ import annotations

import copy
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson

from compliance.runner import RunOptions
from compliance.server.decide import Policy
from compliance.server.decisionlog import DecisionLog, verify
from compliance.server.evaluators import KindEvaluators, build
from tests.integration.server_harness import POD, config, privileged_pod, review, running


class CrashingEvaluators:
    """The real evaluators, except that an object named crash-me kills the worker process."""

    def __init__(self) -> None:
        self.inner: KindEvaluators = build(RunOptions())

    def admit(self, obj: dict[str, Any], source: str, parameters: dict[str, Any]) -> Any:
        if obj["metadata"]["name"] == "crash-me":
            os._exit(7)
        return self.inner.admit(obj, source, parameters)


def crashing() -> CrashingEvaluators:
    return CrashingEvaluators()


class SlowEvaluators(CrashingEvaluators):
    """The real evaluators, taking a second longer: identical requests overlap for sure."""

    def admit(self, obj: dict[str, Any], source: str, parameters: dict[str, Any]) -> Any:
        time.sleep(1)
        return self.inner.admit(obj, source, parameters)


def slow() -> SlowEvaluators:
    return SlowEvaluators()


def admit(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/admission", json=body)
    assert r.status_code == 200, r.text
    response: dict[str, Any] = r.json()["response"]
    return response


def records(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def crash_me() -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    pod["metadata"]["name"] = "crash-me"
    return pod


def test_a_worker_crash_fails_closed_is_logged_and_the_worker_is_replaced(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    with running(config(evaluator_factory=crashing, decision_log=DecisionLog(log))) as c:
        first_pids = c.get("/readyz").json()["pids"]
        denied = admit(c, review(crash_me(), uid="uid-crash-1"))
        again = admit(c, review(crash_me(), uid="uid-crash-2"))  # errors are never cached
        healthy = admit(c, review(privileged_pod(), uid="uid-after"))
        ready = c.get("/readyz")
        metrics = c.get("/metrics").text
    for response in (denied, again):
        assert response["allowed"] is False and response["status"]["code"] == 500
        assert "fail closed" in response["status"]["message"]
        assert "died (exit code 7)" in response["status"]["message"]
        assert "Traceback" not in response["status"]["message"]
    assert healthy["allowed"] is False and "CTR-01" in healthy["status"]["message"]
    assert ready.status_code == 200 and ready.json()["pids"] != first_pids
    assert re.search(r'compliance_admission_decisions_total\{result="error_deny"\} 2\.0', metrics)
    entries = records(log)
    assert [e["result"] for e in entries] == ["error_deny", "error_deny", "deny"]
    assert all(e["cached"] is False for e in entries)
    assert "died (exit code 7)" in entries[0]["errors"][0]
    assert verify(log).records == 3


def test_a_worker_crash_with_fail_open_allows_and_warns() -> None:
    with running(config(evaluator_factory=crashing, policy=Policy(fail_open=True))) as c:
        opened = admit(c, review(crash_me(), uid="uid-open"))
    assert opened["allowed"] is True
    assert any("fail-open" in w and "died (exit code 7)" in w for w in opened["warnings"])


def reapplied(obj: dict[str, Any], version: str) -> dict[str, Any]:
    """The same manifest as the API server sends it again: new uid, resourceVersion, managedFields."""
    out = copy.deepcopy(obj)
    out["metadata"].update(uid=f"obj-{version}", resourceVersion=version, generation=int(version))
    out["metadata"]["managedFields"] = [{"manager": "argocd", "time": f"2026-01-0{version}"}]
    return out


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "uid"}


def comparable_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("time", "uid", "cached", "prev", "hash")}


def test_a_cached_decision_equals_an_uncached_one_and_a_change_misses(tmp_path: Path) -> None:
    pod = privileged_pod()
    pod["spec"]["containers"][0]["image"] = "nginx:latest"  # a warning as well as a denial
    cached_log, uncached_log = tmp_path / "cached.jsonl", tmp_path / "uncached.jsonl"
    bodies = [
        review(reapplied(pod, "1"), uid="uid-1"),
        review(reapplied(pod, "2"), uid="uid-2"),  # identical apart from volatile metadata
        review(reapplied(pod, "3"), uid="uid-3", dry_run=True),
    ]
    changed = copy.deepcopy(pod)
    changed["spec"]["containers"][0]["securityContext"]["privileged"] = False
    bodies.append(review(reapplied(changed, "4"), uid="uid-4"))

    with running(config(decision_log=DecisionLog(cached_log))) as c:
        with_cache = [admit(c, b) for b in bodies]
        metrics = c.get("/metrics").text
    with running(config(decision_log=DecisionLog(uncached_log), decision_cache=0)) as c:
        without_cache = [admit(c, b) for b in bodies]

    assert [comparable(r) for r in with_cache] == [comparable(r) for r in without_cache]
    assert [r["uid"] for r in with_cache] == ["uid-1", "uid-2", "uid-3", "uid-4"]
    assert with_cache[1]["allowed"] is False and "CTR-01" in with_cache[1]["status"]["message"]
    assert with_cache[3]["allowed"] is True  # the changed object was evaluated, not served stale
    cached_entries, uncached_entries = records(cached_log), records(uncached_log)
    assert [e["cached"] for e in cached_entries] == [False, True, True, False]
    assert [e["cached"] for e in uncached_entries] == [False, False, False, False]
    assert [comparable_entry(e) for e in cached_entries] == [
        comparable_entry(e) for e in uncached_entries
    ]
    assert [e["uid"] for e in cached_entries] == ["uid-1", "uid-2", "uid-3", "uid-4"]
    assert 'compliance_admission_cache_total{result="hit"} 2.0' in metrics
    assert 'compliance_admission_cache_total{result="miss"} 2.0' in metrics


def test_identical_requests_in_flight_share_one_evaluation(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    bodies = [review(reapplied(privileged_pod(), str(i)), uid=f"uid-{i}") for i in range(1, 7)]
    with running(config(evaluator_factory=slow, decision_log=DecisionLog(log))) as c:
        with ThreadPoolExecutor(len(bodies)) as pool:
            responses = list(pool.map(lambda b: admit(c, b), bodies))
        metrics = c.get("/metrics").text
    assert [r["uid"] for r in responses] == [f"uid-{i}" for i in range(1, 7)]
    assert len({orjson.dumps(comparable(r)) for r in responses}) == 1
    assert responses[0]["allowed"] is False
    assert 'compliance_admission_evaluation_seconds_count{where="worker"} 1.0' in metrics
    entries = records(log)
    assert sorted(e["cached"] for e in entries) == [False, True, True, True, True, True]
