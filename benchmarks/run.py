"""``make bench``: scaled corpora, the parse floor and ``compliance evaluate`` (cold and warm)
measured in the same run; writes benchmarks/RESULTS.md. A benchmark, never a test."""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

from compliance import __version__ as compliance_version  # noqa: E402
from compliance.incremental.units import LARGE_GROUP  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
NOW = "2026-11-27T00:00:00Z"
COPIES_MEASURED: list[int] = []
FLOOR = """
import sys, yaml
n = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        n += sum(1 for d in yaml.load_all(f.read(), Loader=yaml.CSafeLoader) if d)
print(n)
"""


def timed(cmd: list[str]) -> dict[str, float]:
    """wall s, cpu s (user+sys of the process and its children), peak RSS MiB (largest process)."""
    out = subprocess.run(
        ["/usr/bin/time", "-f", "@@%e %U %S %M", *cmd],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    line = [x for x in out.stderr.splitlines() if x.startswith("@@")][-1]
    wall, user, sys_, rss = line[2:].split()
    if out.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss": int(rss) / 1024}


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def evaluate(root: Path, *extra: str, now: str | None = NOW) -> list[str]:
    return [
        str(BIN / "compliance"),
        "evaluate",
        str(root),
        "--format",
        "json",
        "--fail-on",
        "none",
        *(("--now", now) if now else ()),
        "-o",
        os.devnull,
        *extra,
    ]


WARM_RUNS = 7
"""Warm runs with one file changed per corpus (3 with nothing changed, 3 without --now)."""


def measure(copies: int, runs: int) -> dict[str, object]:
    root = corpus.build(copies)
    yaml_files = [str(p) for p in corpus.files(root) if p.suffix in (".yaml", ".yml")]
    floor = median([timed([sys.executable, "-c", FLOOR, *yaml_files]) for _ in range(runs)])
    cold = median([timed(evaluate(root, "--no-cache")) for _ in range(runs)])
    # a warm run takes about a second: more of them, so that one slow moment of a shared
    # machine does not decide the median
    warm, unchanged, clock = measure_warm(root, max(runs, WARM_RUNS), unchanged_runs=3)
    objects = int(
        subprocess.run(
            [sys.executable, "-c", FLOOR, *yaml_files], capture_output=True, text=True
        ).stdout
    )
    checkov = peers(root, runs) if copies == min(COPIES_MEASURED) else None
    return {
        "checkov": checkov,
        "copies": copies,
        "files": len(corpus.files(root)),
        "objects": objects,
        "floor": floor,
        "cold": cold,
        "warm": warm,
        "unchanged": unchanged,
        "clock": clock,
    }


def measure_warm(
    root: Path, runs: int, unchanged_runs: int, target: Path | None = None
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Warm runs on a primed cache: median of ``runs`` after changing ``replicas:`` in one
    Deployment (``target``, a new value each time), median of ``unchanged_runs`` with
    nothing changed (the first after the file is restored is a one-file change, not
    counted), and with nothing changed but no ``--now`` (the clock moves between runs)."""
    with tempfile.TemporaryDirectory() as cache_dir:
        timed(evaluate(root, "--cache-dir", cache_dir))  # prime
        # The priming run writes the whole cache (176 MB for the 10k corpus);
        # flush it before measuring, or the kernel's writeback of it runs during the first
        # warm runs (a user's re-run comes long after the run that filled the cache).
        os.sync()
        target = target or root / corpus.copy_tag(1) / "grafana-deployment.yaml"
        original = target.read_text()
        warm_runs = []
        try:
            for i in range(runs):
                edited = re.sub(r"replicas: \d+", f"replicas: {i + 3}", original, count=1)
                assert edited != original, f"no replicas: in {target}"
                target.write_text(edited)
                warm_runs.append(timed(evaluate(root, "--cache-dir", cache_dir)))
        finally:
            target.write_text(original)
        timed(evaluate(root, "--cache-dir", cache_dir))  # the restored file
        unchanged = [timed(evaluate(root, "--cache-dir", cache_dir)) for _ in range(unchanged_runs)]
        # what a user gets without --now: a new time on every run, so the checks that read
        # it (TLS-04) are evaluated again each time
        clock = [
            timed(evaluate(root, "--cache-dir", cache_dir, now=None))
            for _ in range(max(unchanged_runs, 1))
        ]
    return median(warm_runs), median(unchanged), median(clock)


def measure_dense(apps: int, runs: int) -> dict[str, object]:
    """One namespace of ``apps`` applications (``corpus.build_dense``): cold, and warm with
    one application's Deployment changed."""
    root = corpus.build_dense(apps)
    cold = median([timed(evaluate(root, "--no-cache")) for _ in range(runs)])
    warm, _, _ = measure_warm(root, runs, unchanged_runs=1, target=root / "app-0001.yaml")
    return {
        "apps": apps,
        "objects": apps * corpus.DENSE_OBJECTS,
        "files": len(corpus.files(root)),
        "cold": cold,
        "warm": warm,
    }


PEERS = HERE / ".peers" / "venv" / "bin"
CHECKOV_PUBLISHED = {"wall": 20.0, "rss": 346.0}
"""../shared/corpus/README.md: Checkov 3.3.30 on ~1k objects, this kind of machine."""


def peers(root: Path, runs: int) -> dict[str, float] | None:
    """Checkov (``make bench-peers`` installs it) on the same corpus, or None if absent."""
    checkov = PEERS / "checkov"
    if not checkov.exists():
        return None
    cmd = [str(checkov), "-d", str(root), "--framework", "kubernetes", "--quiet", "--compact"]
    return median([timed(cmd) for _ in range(runs)])


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    load = os.getloadavg()
    return (
        f"- CPU: {cpu}, nproc {os.cpu_count()}; RAM {mem} MiB; load average at start "
        f"{load[0]:.1f} (the machine is shared: other jobs ran during the benchmark)\n"
        f"- Python {platform.python_version()}, PyYAML {version('PyYAML')} (C loader), "
        f"regorus {version('gordon-to-regorus')}, orjson {version('orjson')}, "
        f"compliance {compliance_version}\n"
        f"- Corpus source: {corpus.SOURCE_NAME}\n"
    )


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def checkov_line(small: dict[str, object]) -> str:
    cold = small["cold"]
    assert isinstance(cold, dict)
    peer = small.get("checkov")
    warm = small["warm"]
    assert isinstance(warm, dict)
    if isinstance(peer, dict):
        ratio = peer["wall"] / cold["wall"]
        return (
            f"Checkov took {peer['wall']:.1f} s ({peer['rss']:.0f} MiB) on the same corpus, "
            f"measured side by side; we took {cold['wall']:.1f} s cold = {ratio:.1f}x, "
            f"{verdict(ratio >= 20)} (a like-for-like single run; Checkov has no cache). "
            f"A re-run of ours after changing one file took {warm['wall']:.2f} s = "
            f"{peer['wall'] / warm['wall']:.0f}x."
        )
    ratio = CHECKOV_PUBLISHED["wall"] / cold["wall"]
    return (
        f"Checkov is not installed here (`make bench-peers`). Published on this kind of "
        f"machine (../shared/corpus/README.md): {CHECKOV_PUBLISHED['wall']:.1f} s on ~1k "
        f"objects; we took {cold['wall']:.1f} s cold = {ratio:.1f}x, {verdict(ratio >= 20)} "
        f"(published, not re-measured)."
    )


def write(
    results: list[dict[str, object]],
    runs: int,
    path: Path,
    dense: dict[str, object] | None = None,
) -> None:
    rows = []
    for r in results:
        for label, key in (
            ("parse floor (CSafeLoader)", "floor"),
            ("evaluate, cold (--no-cache)", "cold"),
            ("evaluate, warm (1 file changed)", "warm"),
            ("evaluate, warm (nothing changed)", "unchanged"),
            ("evaluate, warm (nothing changed, no --now)", "clock"),
        ):
            m = r[key]
            assert isinstance(m, dict)
            rows.append(
                f"| ~{r['objects']} objects ({r['copies']} copies, {r['files']} files) | {label} "
                f"| {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} |"
            )
    for r in results:
        peer = r.get("checkov")
        if isinstance(peer, dict):
            rows.append(
                f"| ~{r['objects']} objects ({r['copies']} copies, {r['files']} files) "
                f"| Checkov 3.3.30 `-d DIR --framework kubernetes` "
                f"| {peer['wall']:.2f} | {peer['cpu']:.2f} | {peer['rss']:.0f} |"
            )
    dense_line = ""
    if dense is not None:
        d_cold, d_warm = dense["cold"], dense["warm"]
        assert isinstance(d_cold, dict) and isinstance(d_warm, dict)
        where = f"~{dense['objects']} objects in one namespace ({dense['files']} files)"
        for label, m in (
            ("evaluate, cold (--no-cache)", d_cold),
            ("evaluate, warm (1 file changed)", d_warm),
        ):
            rows.append(
                f"| {where} | {label} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} |"
            )
        dense_line = (
            f"\nOne dense namespace (not a target; `corpus.build_dense`, {dense['apps']} applications "
            f"of {corpus.DENSE_OBJECTS} objects): cold {d_cold['wall']:.2f} s, a re-run after changing one file "
            f"{d_warm['wall']:.2f} s. The checks that judge a namespace as a whole see all of it; "
            "a re-run evaluates every check over the changed file and those checks over the "
            f"namespace (a group of over {LARGE_GROUP} resources keeps its resource checks per "
            "file).\n"
        )
    small, big = results[0], results[-1]
    s_cold, b_cold = small["cold"], big["cold"]
    b_floor, b_warm = big["floor"], big["warm"]
    assert isinstance(s_cold, dict) and isinstance(b_cold, dict)
    assert isinstance(b_floor, dict) and isinstance(b_warm, dict)
    ratio = b_cold["wall"] / b_floor["wall"]
    growth = b_cold["wall"] / s_cold["wall"]
    text = f"""# Benchmark results

Written by `make bench` (benchmarks/run.py); medians of {runs} run(s) per row (warm rows:
{max(runs, WARM_RUNS)} runs with one file changed, 3 with nothing changed, 3 without --now). Wall and CPU
(user+sys, children included) in seconds; peak RSS in MiB of the largest process
(`/usr/bin/time -v`; with parallel loading two processes exist for part of the run).

## Machine

{machine()}
## Results

| corpus | what | wall s | CPU s | peak RSS MiB |
|---|---|---:|---:|---:|
{chr(10).join(rows)}

## Targets

- ~10k objects, all four packs, cold wall <= 1.2x parse floor (issues 16 and 18; 2x
  before them): {b_cold["wall"]:.2f} s vs floor {b_floor["wall"]:.2f} s = {ratio:.2f}x,
  {verdict(ratio <= 1.2)}.
- Peak RSS <= 1 GiB: {b_cold["rss"]:.0f} MiB, {verdict(b_cold["rss"] <= 1024)}.
- 10k time <= 11x 1k time: {b_cold["wall"]:.1f} s / {s_cold["wall"]:.1f} s = {growth:.1f}x,
  {verdict(growth <= 11)}.
- Warm re-run, one file changed in the 10k corpus, <= 1 s: {b_warm["wall"]:.2f} s,
  {verdict(b_warm["wall"] <= 1)}.
- >= 20x faster than Checkov 3.3.30 on ~1k objects: {checkov_line(small)}
"""
    old = path.read_text() if path.exists() else ""
    load = os.getloadavg()
    text += dense_line
    text += f"\nLoad average when the run ended: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}.\n"
    path.write_text(text + _others(old))


OWN_SECTIONS = ("## Machine", "## Results", "## Targets")
"""The sections this benchmark writes; every other section of RESULTS.md is kept as it is."""


def _others(old: str) -> str:
    """Every ``## `` section of ``old`` this benchmark does not write, in its order."""
    kept = []
    for section in re.split(r"^(?=## )", old, flags=re.MULTILINE)[1:]:
        if not section.startswith(OWN_SECTIONS):
            kept.append("\n" + section.rstrip() + "\n")
    return "".join(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, nargs="+", default=[12, 112])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--dense", type=int, default=1000, help="applications in the one-namespace corpus (0: none)"
    )
    parser.add_argument(
        "--only-warm",
        action="store_true",
        help="only the warm runs (median of --runs each), printed; RESULTS.md untouched",
    )
    args = parser.parse_args()
    COPIES_MEASURED[:] = args.copies
    if args.only_warm:
        for copies in args.copies:
            warm, unchanged, clock = measure_warm(corpus.build(copies), args.runs, args.runs)
            print(
                f"{copies} copies: warm (1 file changed) {warm['wall']:.2f} s wall, "
                f"{warm['cpu']:.2f} s CPU, {warm['rss']:.0f} MiB; nothing changed "
                f"{unchanged['wall']:.2f} s wall, {unchanged['cpu']:.2f} s CPU; without --now "
                f"{clock['wall']:.2f} s wall"
            )
        return
    results = []
    for copies in args.copies:
        print(f"benchmark: {copies} copies ...", file=sys.stderr)
        results.append(measure(copies, args.runs))
        print(results[-1], file=sys.stderr)
    dense = None
    if args.dense:
        print(f"benchmark: one namespace of {args.dense} applications ...", file=sys.stderr)
        dense = measure_dense(args.dense, args.runs)
        print(dense, file=sys.stderr)
    write(results, args.runs, args.output, dense)
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
