"""Admission webhook load test: AdmissionReviews at concurrency C against a real `compliance serve`.

    python benchmarks/admission.py [--requests 5000] [--concurrency 20] [--evaluators N]
                                   [--results benchmarks/RESULTS.md]

Two scenarios, each against a fresh `compliance serve` subprocess on a free loopback port (plain
HTTP, decision log on, decision cache at its default size):

  unique  every request carries a distinct object (names, images, security contexts, kinds vary),
          so the decision cache cannot help: this is the evaluation path's latency.
  gitops  a GitOps-like stream over a "repository" of 300 manifests: most requests re-apply an
          unchanged manifest (new uid/resourceVersion/managedFields, as the API server sends
          it), some change one (new image tag), some are dry-runs, a few are DELETEs.

The object mix: Deployments, Pods, StatefulSets, Jobs/CronJobs (hardened, partly hardened,
privileged, root), Services (ClusterIP/LoadBalancer/NodePort), Ingresses (with and without TLS),
ClusterRoles/Roles (wildcards or narrow), RoleBindings, NetworkPolicies and ConfigMaps.

Reports per scenario p50/p95/p99/max latency, throughput, errors, the RSS of the server and its
worker processes before and after, the cache hit ratio, the serial service time and the IPC
overhead of the worker processes (from the server's own histograms), and the load average. Before
the servers, it measures in-process the time of one evaluation per kind with the full check
library and with the kind's restricted library. With --results, replaces the
`## Admission webhook` section.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sections import replace_section  # noqa: E402

from tests.integration.server_harness import review  # noqa: E402
from tests.ports import free_port  # noqa: E402

SECTION = "## Admission webhook"
TARGET_P99_MS = 25.0
BEFORE = {
    "p50_ms": 640.11,
    "p99_ms": 848.24,
    "throughput_rps": 36.0,
    "serial_p50_ms": 33.77,
    "note": "1 evaluator thread, full library, no cache; every object distinct; load 2.6",
}

REGISTRIES = ["registry.example", "ghcr.io/shop", "docker.io/library", "quay.io/team", ""]
NAMESPACES = ["shop", "payments", "search", "platform", "data"]


# --- the object mix -----------------------------------------------------------------------


def image(rng: random.Random, name: str) -> str:
    registry = rng.choice(REGISTRIES)
    base = f"{registry}/{name}" if registry else name
    style = rng.random()
    if style < 0.45:
        return f"{base}@sha256:{rng.getrandbits(256):064x}"
    if style < 0.85:
        return f"{base}:{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}"
    return f"{base}:latest" if style < 0.95 else base


def container(rng: random.Random, name: str) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image(rng, name)}
    posture = rng.random()
    if posture < 0.55:  # hardened
        c["securityContext"] = {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    elif posture < 0.8:  # partly hardened
        c["securityContext"] = {"runAsNonRoot": True, "allowPrivilegeEscalation": False}
    elif posture < 0.9:  # privileged
        c["securityContext"] = {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}}
    else:  # nothing at all
        pass
    if rng.random() < 0.75:
        c["resources"] = {
            "requests": {"cpu": f"{rng.choice([50, 100, 250])}m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": f"{rng.choice([128, 256, 512])}Mi"},
        }
    if rng.random() < 0.7:
        port = rng.choice([8080, 8443, 9000])
        c["ports"] = [{"containerPort": port}]
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port}}
        c["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": port}}
    if rng.random() < 0.2:
        c["env"] = [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_PASSWORD", "value": f"pw-{rng.getrandbits(32):08x}"}
            if rng.random() < 0.3
            else {
                "name": "DB_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
            },
        ]
    return c


def pod_spec(rng: random.Random, app: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [container(rng, app)]}
    if rng.random() < 0.25:
        spec["containers"].append(container(rng, "sidecar"))
    if rng.random() < 0.6:
        spec["securityContext"] = {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    if rng.random() < 0.6:
        spec["automountServiceAccountToken"] = False
    if rng.random() < 0.05:
        spec["hostNetwork"] = True
    return spec


def make_object(i: int, rng: random.Random) -> dict[str, Any]:
    ns = rng.choice(NAMESPACES)
    app = f"app{i}"
    labels = {"app": app, "team": rng.choice(["a", "b", "c"])}
    meta = {"name": f"{app}-{rng.getrandbits(24):06x}", "namespace": ns, "labels": labels}
    roll = rng.random()
    if roll < 0.30:
        kind = rng.choice(["Deployment", "Deployment", "Deployment", "StatefulSet"])
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": meta,
            "spec": {
                "replicas": rng.choice([1, 2, 3]),
                "selector": {"matchLabels": {"app": app}},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec(rng, app)},
            },
        }
    if roll < 0.42:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec(rng, app)}
    if roll < 0.47:
        job_spec = {"template": {"spec": {**pod_spec(rng, app), "restartPolicy": "Never"}}}
        if rng.random() < 0.5:
            return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job_spec}
        return {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": job_spec}},
        }
    if roll < 0.62:
        service_type = rng.choice(["ClusterIP", "ClusterIP", "LoadBalancer", "NodePort"])
        port = rng.choice([80, 443, 8080, 22, 5432])
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": service_type,
                "selector": {"app": app},
                "ports": [{"port": port, "targetPort": 8080, "protocol": "TCP"}],
            },
        }
    if roll < 0.70:
        host = f"{app}.example.com"
        spec: dict[str, Any] = {
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": app, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        }
        if rng.random() < 0.6:
            spec["tls"] = [{"hosts": [host], "secretName": f"{app}-tls"}]
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": meta,
            "spec": spec,
        }
    if roll < 0.78:
        cluster = rng.random() < 0.5
        verbs = ["*"] if rng.random() < 0.3 else ["get", "list", "watch"]
        resources = ["*"] if rng.random() < 0.2 else [rng.choice(["pods", "secrets", "configmaps"])]
        role_meta = {"name": meta["name"]} if cluster else meta
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole" if cluster else "Role",
            "metadata": role_meta,
            "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}],
        }
    if roll < 0.84:
        subject = (
            {"kind": "Group", "name": "system:anonymous"}
            if rng.random() < 0.1
            else {"kind": "ServiceAccount", "name": app, "namespace": ns}
        )
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": rng.choice(["view", "edit", "cluster-admin"]),
            },
            "subjects": [subject],
        }
    if roll < 0.92:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta,
            "spec": {
                "podSelector": {} if rng.random() < 0.5 else {"matchLabels": {"app": app}},
                "policyTypes": ["Ingress", "Egress"],
            },
        }
    data = {"LOG_LEVEL": "info", "FEATURE_X": str(rng.random() < 0.5).lower()}
    if rng.random() < 0.2:
        data["api_token"] = f"tok-{rng.getrandbits(64):016x}"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def as_stored(obj: dict[str, Any], version: int) -> dict[str, Any]:
    """The object as the API server sends it on UPDATE: volatile metadata filled in."""
    out = copy.deepcopy(obj)
    out["metadata"].update(
        uid=hashlib.sha256(out["metadata"]["name"].encode()).hexdigest()[:32],
        resourceVersion=str(version),
        generation=version,
        creationTimestamp="2026-11-01T10:00:00Z",
        managedFields=[
            {"manager": "argocd-controller", "operation": "Apply", "time": f"v{version}"}
        ],
    )
    return out


def namespace_of(obj: dict[str, Any]) -> str:
    return str(obj["metadata"].get("namespace", ""))


def unique_bodies(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for i in range(n):
        obj = make_object(i, rng)
        if rng.random() < 0.15:
            old = as_stored(obj, 1)
            new = as_stored(obj, 2)
            new["metadata"].setdefault("labels", {})["rev"] = str(i)
            body = review(
                new, uid=f"u-{seed}-{i}", old=old, operation="UPDATE", namespace=namespace_of(obj)
            )
        else:
            body = review(obj, uid=f"u-{seed}-{i}", namespace=namespace_of(obj))
        bodies.append(orjson.dumps(body))
    return bodies


def gitops_bodies(n: int, seed: int, repo_size: int = 300) -> tuple[list[bytes], dict[str, float]]:
    """Re-applies (85%), changed manifests (9%), dry-runs of the next change (4%), DELETEs (2%)."""
    rng = random.Random(seed)
    repo = [make_object(i, rng) for i in range(repo_size)]
    versions = [1] * repo_size
    hot = list(range(repo_size))
    rng.shuffle(hot)
    weights = [1 / (k + 1) ** 0.8 for k in range(repo_size)]  # Zipf-like: some manifests are hot
    counts = {"reapply": 0, "change": 0, "dry_run": 0, "delete": 0}
    bodies = []
    for i in range(n):
        slot = hot[rng.choices(range(repo_size), weights)[0]]
        obj = repo[slot]
        roll = rng.random()
        ns = namespace_of(obj)
        if roll < 0.02:
            counts["delete"] += 1
            body = review(
                None,
                uid=f"g-{i}",
                old=as_stored(obj, versions[slot]),
                operation="DELETE",
                namespace=ns,
            )
        elif roll < 0.11:
            counts["change"] += 1
            changed = copy.deepcopy(obj)
            changed["metadata"].setdefault("labels", {})["rev"] = str(i)
            repo[slot] = changed
            old = as_stored(obj, versions[slot])
            versions[slot] += 1
            body = review(
                as_stored(changed, versions[slot]),
                uid=f"g-{i}",
                old=old,
                operation="UPDATE",
                namespace=ns,
            )
        elif roll < 0.15:
            counts["dry_run"] += 1
            body = review(
                as_stored(obj, versions[slot]),
                uid=f"g-{i}",
                old=as_stored(obj, versions[slot]),
                operation="UPDATE",
                dry_run=True,
                namespace=ns,
            )
        else:
            counts["reapply"] += 1
            old = as_stored(obj, versions[slot])
            versions[slot] += 1  # a no-op apply still gets a new resourceVersion and managedFields
            body = review(
                as_stored(obj, versions[slot]),
                uid=f"g-{i}",
                old=old,
                operation="UPDATE",
                namespace=ns,
            )
        bodies.append(orjson.dumps(body))
    return bodies, {k: round(v / n, 3) for k, v in counts.items()}


# --- measuring ------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                text = (task / "children").read_text().split()
                todo.extend(int(c) for c in text)
        except OSError:
            continue
    return out


def rss_mib(pid: int) -> tuple[float, int]:
    """RSS of the server and all its worker processes, and how many processes that is."""
    total, count = 0, 0
    for p in descendants(pid):
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
        total += int(match.group(1)) if match else 0
        count += 1
    return round(total / 1024, 1), count


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator shares the
    machine with the server, and httpx's per-request CPU cost (about a millisecond) would be
    taken from the server under test."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def drive(base: str, bodies: list[bytes], concurrency: int) -> tuple[list[float], int, float]:
    """Send ``bodies`` over ``concurrency`` keep-alive connections, each one request at a time;
    an error is a transport failure, a status other than 200 or a body without ``response``."""
    host, _, port = base.removeprefix("http://").partition(":")
    latencies: list[float] = []
    errors = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, errors
        conn = Connection(host, int(port))
        try:
            while next_index < len(bodies):
                body = bodies[next_index]
                next_index += 1
                start = time.perf_counter()
                try:
                    status, payload = await asyncio.wait_for(conn.post("/v1/admission", body), 30)
                    ok = status == 200 and b'"response"' in payload
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                    ok = False
                    await conn.close()
                latencies.append(time.perf_counter() - start)
                errors += 0 if ok else 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def scrape(base: str) -> dict[str, float]:
    """Counters and histogram sums/counts of interest from /metrics."""
    text = httpx.get(f"{base}/metrics").text
    out: dict[str, float] = {}
    for name, key in (
        (r'compliance_admission_cache_total\{result="hit"\}', "hits"),
        (r'compliance_admission_cache_total\{result="miss"\}', "misses"),
        (r'compliance_admission_evaluation_seconds_sum\{where="worker"\}', "worker_sum"),
        (r'compliance_admission_evaluation_seconds_count\{where="worker"\}', "worker_count"),
        (r'compliance_admission_evaluation_seconds_sum\{where="roundtrip"\}', "rt_sum"),
        (r'compliance_admission_evaluation_seconds_count\{where="roundtrip"\}', "rt_count"),
    ):
        match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        out[key] = float(match.group(1)) if match else 0.0
    return out


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_for_quiet(max_load: float, wait: float) -> str:
    deadline = time.monotonic() + wait
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        print(f"load {load()} > {max_load}; waiting", file=sys.stderr)
        time.sleep(15)
    return load()


@contextmanager
def server(evaluators: int, log: Path, extra: list[str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [
        str(Path(sys.executable).parent / "compliance"),
        "serve",
        "--port",
        str(port),
        "--decision-log",
        str(log),
        "--evaluators",
        str(evaluators),
        *extra,
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def scenario(
    name: str, bodies: list[bytes], warm: list[bytes], serial: list[bytes], args: argparse.Namespace
) -> dict[str, Any]:
    quiet = wait_for_quiet(args.max_load, args.wait)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "decisions.jsonl"
        with server(args.evaluators, log, []) as (base, pid):
            asyncio.run(drive(base, warm, args.concurrency))
            rss_before, processes = rss_mib(pid)
            before = scrape(base)
            latencies, errors, elapsed = asyncio.run(drive(base, bodies, args.concurrency))
            rss_after, _ = rss_mib(pid)
            during = scrape(base)
            serial_lat, serial_errors, _ = asyncio.run(drive(base, serial, 1))
            after = scrape(base)
            records = sum(1 for _ in log.open("rb"))
    ms = [x * 1000 for x in latencies]
    looked_up = (during["hits"] - before["hits"]) + (during["misses"] - before["misses"])
    evaluated = after["worker_count"] - during["worker_count"]
    worker_ms = 1000 * (after["worker_sum"] - during["worker_sum"]) / max(evaluated, 1)
    roundtrip_ms = 1000 * (after["rt_sum"] - during["rt_sum"]) / max(evaluated, 1)
    return {
        "scenario": name,
        "requests": len(bodies),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(ms, 0.95), 2),
        "p99_ms": round(pct(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "throughput_rps": round(len(bodies) / elapsed, 1),
        "errors": errors + serial_errors,
        "rss_before_mib": rss_before,
        "rss_after_mib": rss_after,
        "processes": processes,
        "hit_ratio": round((during["hits"] - before["hits"]) / looked_up, 3) if looked_up else 0.0,
        "decision_records": records,
        "serial_p50_ms": round(statistics.median(serial_lat) * 1000, 2),
        "serial_mean_ms": round(statistics.fmean(serial_lat) * 1000, 2),
        "serial_worker_ms": round(worker_ms, 2),
        "serial_ipc_ms": round(roundtrip_ms - worker_ms, 2),
        "load_start": quiet,
        "load_end": load(),
    }


KIND_SAMPLES = (
    "Deployment",
    "Pod",
    "Service",
    "Ingress",
    "ClusterRole",
    "NetworkPolicy",
    "ConfigMap",
)


def kind_costs(repeat: int) -> list[dict[str, Any]]:
    """In-process: ms per single-object evaluation, full library vs the kind's restricted one."""
    from compliance.inputs.k8s import resource_from_object
    from compliance.runner import RunOptions
    from compliance.server.evaluators import build

    evaluators = build(RunOptions())
    assert evaluators.full is not None
    rng = random.Random(7)
    samples: dict[str, dict[str, Any]] = {}
    i = 0
    while len(samples) < len(KIND_SAMPLES):
        obj = make_object(i, rng)
        i += 1
        if obj["kind"] in KIND_SAMPLES and obj["kind"] not in samples:
            samples[obj["kind"]] = obj
    rows = []
    for kind in KIND_SAMPLES:
        resource = resource_from_object(samples[kind], "bench")
        pair = {"full": evaluators.full, "restricted": evaluators.for_kind(kind)}
        times: dict[str, list[float]] = {label: [] for label in pair}
        for evaluator in pair.values():
            evaluator.evaluate([resource])
        for _ in range(repeat):  # alternating, so both see the same machine
            for label, evaluator in pair.items():
                start = time.process_time()
                evaluator.evaluate([resource])
                times[label].append(time.process_time() - start)
        row: dict[str, Any] = {"kind": kind}
        for label, evaluator in pair.items():
            row[label] = round(statistics.median(times[label]) * 1000, 2)
            row[f"{label}_modules"] = len(evaluator.library.modules)
            row[f"{label}_queries"] = len(
                {orjson.dumps(p.parameters, option=orjson.OPT_SORT_KEYS) for p in evaluator.packs}
            )
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--evaluators", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--serial", type=int, default=200, help="Requests sent one at a time.")
    parser.add_argument(
        "--max-load", type=float, default=2.0, help="Wait for a 1-min load below this."
    )
    parser.add_argument(
        "--wait", type=float, default=300, help="Seconds to wait for a quiet machine."
    )
    parser.add_argument("--scenarios", default="unique,gitops")
    parser.add_argument("--results", type=Path, help="Markdown file whose section to replace.")
    args = parser.parse_args()

    kinds = kind_costs(60)
    for row in kinds:
        print(row)
    warm = unique_bodies(args.warmup, seed=1)
    serial = unique_bodies(args.serial, seed=2)
    results = []
    for name in args.scenarios.split(","):
        if name == "unique":
            r = scenario("unique", unique_bodies(args.requests, seed=3), warm, serial, args)
        elif name == "gitops":
            bodies, mix = gitops_bodies(args.requests, seed=4)
            r = scenario("gitops", bodies, warm, serial, args)
            r["mix"] = mix
        else:
            raise SystemExit(f"unknown scenario {name!r}")
        results.append(r)
        for k, v in r.items():
            print(f"{k:>18}: {v}")
    if args.results:
        write_section(args.results, results, kinds, args)
    return 0 if all(r["errors"] == 0 for r in results) else 1


def write_section(
    path: Path, results: list[dict[str, Any]], kinds: list[dict[str, Any]], args: argparse.Namespace
) -> None:
    cpu = platform.processor() or platform.machine()
    rows = "\n".join(
        f"| {r['scenario']} | {r['p50_ms']} ms | {r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms "
        f"| {r['throughput_rps']} req/s | {r['errors']} | {r['hit_ratio']:.0%} "
        f"| {r['rss_before_mib']} -> {r['rss_after_mib']} MiB ({r['processes']} processes) "
        f"| {r['decision_records']} | {r['load_start']} / {r['load_end']} |"
        for r in results
    )
    verdicts = "\n".join(
        f"- **{r['scenario']}**: p99 {r['p99_ms']} ms, errors {r['errors']}: "
        + (
            "target met."
            if r["p99_ms"] <= TARGET_P99_MS and r["errors"] == 0
            else "**target missed**."
        )
        for r in results
    )
    service = "\n".join(
        f"- {r['scenario']}: end to end p50 {r['serial_p50_ms']} ms, mean {r['serial_mean_ms']} ms; "
        f"of an evaluation's round trip from the server process (means), {r['serial_worker_ms']} ms "
        f"in the worker and {r['serial_ipc_ms']} ms pipe IPC, pickling and lane hand-off."
        for r in results
    )
    kind_rows = "\n".join(
        f"| {k['kind']} | {k['full']} ms ({k['full_modules']} modules, {k['full_queries']} queries) "
        f"| {k['restricted']} ms ({k['restricted_modules']} modules, {k['restricted_queries']} "
        f"{'query' if k['restricted_queries'] == 1 else 'queries'}) "
        f"| {round(100 * (1 - k['restricted'] / k['full'])) if k['full'] else 0}% |"
        for k in kinds
    )
    mix = next((r.get("mix") for r in results if r.get("mix")), None)
    body = (
        f"{SECTION}\n\n"
        f"`make bench-admission` (benchmarks/admission.py): {args.requests} AdmissionReviews per scenario "
        f"at concurrency {args.concurrency} over loopback HTTP against `compliance serve` (all packs, "
        f"decision log on, {args.evaluators} evaluation worker processes at nice +5, decision cache "
        "10000); a fresh "
        f"server per scenario, {args.warmup} warm-up requests first; client and server on the same "
        f"{os.cpu_count()}-core {cpu} machine. Objects: Deployments, StatefulSets, Pods, Jobs, CronJobs "
        "(hardened, partly hardened, privileged, bare), Services, Ingresses, ClusterRoles/Roles, "
        "RoleBindings, NetworkPolicies, ConfigMaps with varying names, images and security contexts.\n\n"
        "- **unique**: every object distinct (85% CREATE, 15% UPDATE); the cache cannot help.\n"
        "- **gitops**: a repository of 300 manifests re-applied as a GitOps controller does (new uid, "
        "resourceVersion and managedFields each time)"
        + (
            f": {mix['reapply']:.0%} unchanged re-applies, {mix['change']:.0%} changed manifests, "
            f"{mix['dry_run']:.0%} dry-runs, {mix['delete']:.0%} DELETEs.\n\n"
            if mix
            else ".\n\n"
        )
        + "| scenario | p50 | p95 | p99 | max | throughput | errors | cache hits | RSS before -> after "
        "| decision records | load start / end |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Target p99 <= {TARGET_P99_MS:g} ms, zero errors:\n{verdicts}\n\n"
        "Load generator: an asyncio HTTP/1.1 keep-alive client (httpx cost about a millisecond of "
        "CPU per request, taken from the server on a 2-core machine), closed loop: each of the "
        f"{args.concurrency} connections sends its next request when the previous one is answered.\n\n"
        f"Before (one evaluator thread, full library, no cache): p50 {BEFORE['p50_ms']} ms, p99 "
        f"{BEFORE['p99_ms']} ms, {BEFORE['throughput_rps']} req/s, serial p50 {BEFORE['serial_p50_ms']} ms "
        f"({BEFORE['note']}).\n\n"
        f"Service time ({args.serial} distinct objects sent one at a time after each run):\n{service}\n\n"
        "One evaluation of one object per kind, in-process, CPU time (median of 60, full and "
        "restricted alternating): the full check library vs the families whose checks list the "
        "kind, with only the pack parameters those families read (one engine query per distinct "
        "parameter set):\n\n"
        "| kind | full library | restricted | saved |\n|---|---|---|---|\n"
        f"{kind_rows}\n\n"
        f"{NOTES}\n"
    )
    replace_section(path, SECTION, body)


NOTES = (
    "Where the time goes. Distinct objects: latency is queueing behind the engine. An evaluation "
    "is regorus `eval_query_as_json` (the worker time above), and with 20 requests in flight "
    "and two workers each request waits for about ten others; p50 is about 20 / throughput. "
    "The restricted libraries cut the engine time most for Services, Ingresses, RBAC, "
    "NetworkPolicies and ConfigMaps, and halve it for workloads, which drop to one query. Pods "
    "keep the full library: log.rego judges Pods (API server audit flags) and reads GDPR's "
    "log_retention_max_days, so a restricted Pod library drops only bkp.rego, keeps two "
    "queries, and measured about 10% slower than the full one (the Pod row compares the full "
    "library with itself: the noise). These CPU times are about three times the ~5 ms per query "
    "measured on a quiet machine: other engineers' test runs shared the two cores (load above). "
    "GitOps mix: hits are answered in the server process in about a millisecond, but in a closed "
    "loop the connections pile up on the misses (a connection whose request hit sends another "
    "at once), so p95/p99 are the misses' queueing: about 20 x worker time / 2. The IPC of the "
    "worker processes is one to two milliseconds per evaluation, scheduling of the nice +5 "
    "workers on a busy machine included. What would cut further: one engine query for all "
    "parameter sets (Pods), a faster engine per query, more cores or replicas (the webhook is "
    "stateless apart from its decision log)."
)


if __name__ == "__main__":
    sys.exit(main())
