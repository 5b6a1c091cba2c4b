"""Faster YAML parsers than PyYAML's C loader, measured on the ~1k benchmark corpus.

    python benchmarks/yaml_parsers.py [--copies 12] [--runs 5] [--install DIR]
                                      [--results benchmarks/RESULTS.md]

Issue 6 asks for "a faster YAML parser if one keeps line numbers and safety". ``make
bench-yaml`` installs the candidates (``PINS``) into benchmarks/.peers/yaml (git-ignored,
``--install``) and runs this with that directory on the path. Values are compared as JSON
would hold them (dates as ISO text, as the loader keeps them). Per parser, in this process:

- seconds to parse every YAML file of the corpus (best of ``--runs``);
- whether its values equal PyYAML's safe loader's on the corpus, and on YAML 1.1 scalars
  the corpus does not hold (``yes``, ``on``, ``0755``, ``1e3``, ``2001-12-14``) but
  manifests in the wild do: a parser that reads ``runAsNonRoot: yes`` as a string changes
  a check's verdict;
- what an alias bomb does to it, in a child process capped at 2 GiB and 30 s.

With --results, replaces the ``## YAML parsers`` section.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import corpus  # noqa: E402
from sections import replace_section  # noqa: E402

SECTION = "## YAML parsers"
PINS = [
    "rapidyaml==0.15.2",
    "deprecation==2.1.0",  # rapidyaml's one dependency
    "yaml-rs==0.1.6",
    "ryaml==0.5.1",
    "pyyaml-rs==0.1.0",
]
"""The candidates ``--install`` puts in its directory, without resolving dependencies (the
project's own PyYAML must not be shadowed)."""

YAML11 = "a: yes\nb: on\nc: 0755\nd: 1e3\ne: 2001-12-14\nf: ~\n"
BOMB_LEVELS = 8
"""``l0: &a0 [x, x, ..x]`` and each next level a list of 10 aliases of the previous:
10**8 scalars once expanded."""


def _bomb() -> str:
    lines = ["l0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    for level in range(1, BOMB_LEVELS + 1):
        lines.append(f"l{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _ryml_values(text: str) -> list[Any]:
    """rapidyaml's tree as Python values, through its bindings (strings only: the tree
    holds no tags or types)."""
    import ryml

    none = ryml.NONE
    tree = ryml.parse_in_arena(text.encode())

    def value(node: int) -> Any:
        if tree.is_map(node):
            out = {}
            child = tree.first_child(node)
            while child != none:
                out[bytes(tree.key(child)).decode()] = value(child)
                child = tree.next_sibling(child)
            return out
        if tree.is_seq(node):
            items = []
            child = tree.first_child(node)
            while child != none:
                items.append(value(child))
                child = tree.next_sibling(child)
            return items
        val = tree.val(node)
        return None if val is None else bytes(val).decode()

    tree.resolve()  # aliases expanded, as a loader must
    root = tree.root_id()
    if not tree.is_stream(root):
        return [value(root)]
    docs, child = [], tree.first_child(root)
    while child != none:
        docs.append(value(child))
        child = tree.next_sibling(child)
    return docs


def _ryml_parse_only(text: str) -> list[Any]:
    import ryml

    ryml.parse_in_arena(text.encode())
    return []


def _ours(text: str) -> list[Any]:
    from compliance.inputs.yamlutil import load_documents

    return [doc.value for doc in load_documents(text)]


def _pyyaml(text: str) -> list[Any]:
    import yaml

    return [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]


def _yaml_rs(text: str) -> list[Any]:
    import yaml_rs

    value = yaml_rs.loads(text)
    # one document comes back as itself, several as a list (ambiguous for a document that
    # is a list: the corpus has none)
    docs = value if isinstance(value, list) else [value]
    return [d for d in docs if d is not None]


def _ryaml(text: str) -> list[Any]:
    import ryaml

    return [d for d in ryaml.loads_all(text) if d is not None]


def _pyyaml_rs(text: str) -> list[Any]:
    import pyyaml_rs

    return [d for d in pyyaml_rs.safe_load_all(text) if d is not None]


PARSERS: list[tuple[str, str, Callable[[str], list[Any]], str]] = [
    # name, module it needs, parse, line numbers it gives
    ("PyYAML 6 CSafeLoader (the parse floor)", "yaml", _pyyaml, "on nodes (compose)"),
    (
        "compliance (`yamlutil.load_documents`)",
        "yaml",
        _ours,
        "yes: every key and item; alias, depth and duplicate-key limits",
    ),
    ("rapidyaml, parse only (no Python values)", "ryml", _ryml_parse_only, "none in Python"),
    ("rapidyaml, parse + values via the bindings", "ryml", _ryml_values, "none in Python"),
    ("yaml-rs", "yaml_rs", _yaml_rs, "none (values only)"),
    ("ryaml (serde_yaml)", "ryaml", _ryaml, "none (values only)"),
    ("pyyaml-rs", "pyyaml_rs", _pyyaml_rs, "none (values only)"),
]


def _available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _time(parse: Callable[[str], list[Any]], texts: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            parse(text)
        best = min(best, time.perf_counter() - start)
    return best


def _plain(value: Any) -> Any:
    """``value`` as JSON holds it: dates and times as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _same(parse: Callable[[str], list[Any]], texts: list[str], reference: list[list[Any]]) -> str:
    try:
        got = [_plain(parse(text)) for text in texts]
    except Exception as e:  # a parser that fails on the corpus says so in the table
        return f"error: {type(e).__name__}"
    if not any(got):
        return "n/a"
    return "same" if got == reference else "differs"


def _yaml11(parse: Callable[[str], list[Any]]) -> str:
    reference = _plain(_pyyaml(YAML11)[0])
    try:
        got = _plain(parse(YAML11))
    except Exception as e:
        return f"error: {type(e).__name__}"
    if not got:
        return "n/a"
    differ = [k for k in reference if got[0].get(k) != reference[k]]
    if not differ:
        return "same"
    return ", ".join(f"`{YAML11.split(k + ': ')[1].split()[0]}`" for k in differ) + " differ"


def _bomb_probe(index: int, site: str | None) -> str:
    """What the parser does with ``_bomb()``, in a child process with limits."""
    cmd = [sys.executable, __file__, "--probe", str(index)]
    if site:
        cmd += ["--site", site]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "still expanding after 30 s"
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        return lines[-1]
    return (
        "killed (over 2 GiB)"
        if done.returncode < 0 or "MemoryError" in done.stderr
        else ("crashed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80])
    )


def _probe(index: int) -> None:
    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _, _, parse, _ = PARSERS[index]
    start = time.perf_counter()
    try:
        docs = parse(_bomb())
    except MemoryError:
        print("killed (over 2 GiB)")
        return
    except Exception as e:
        print(f"refused ({type(e).__name__}, {time.perf_counter() - start:.2f} s)")
        return
    if not docs:
        print("n/a")
        return
    last = docs[0][f"l{BOMB_LEVELS}"]
    shared = all(item is last[0] for item in last)
    print(
        "accepted, aliases shared (a tree of 10**8 leaves for whoever walks it)"
        if shared
        else f"accepted, expanded ({time.perf_counter() - start:.2f} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--site", help="a directory of candidate packages to put on the path")
    parser.add_argument("--install", help="install PINS into this directory first (--site)")
    parser.add_argument("--results", type=Path)
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.install:
        args.site = args.install
        stamp = Path(args.install, ".pins")
        if not stamp.is_file() or stamp.read_text() != "\n".join(PINS):
            pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--upgrade"]
            subprocess.run([*pip, "--target", args.install, *PINS], check=True)
            stamp.write_text("\n".join(PINS))
    if args.site:
        sys.path.insert(1, args.site)
    if args.probe is not None:
        _probe(args.probe)
        return 0
    root = corpus.build(args.copies)
    texts = [p.read_text() for p in corpus.files(root) if p.suffix in (".yaml", ".yml")]
    reference = [_plain(_pyyaml(text)) for text in texts]
    rows, missing = [], []
    for index, (name, module, parse, lines) in enumerate(PARSERS):
        if not _available(module):
            missing.append(name)
            continue
        seconds = _time(parse, texts, args.runs)
        rows.append(
            f"| {name} | {seconds:.3f} | {_same(parse, texts, reference)} | {_yaml11(parse)} "
            f"| {lines} | {_bomb_probe(index, args.site)} |"
        )
        print(rows[-1], file=sys.stderr)
    body = (
        f"{SECTION}\n\n"
        f"`make bench-yaml` (benchmarks/yaml_parsers.py): every YAML file of the ~1k corpus "
        f"({len(texts)} files, {sum(map(len, texts)) / 1e6:.1f} MB) parsed in one process, best "
        f"of {args.runs}; values compared with PyYAML's safe loader; YAML 1.1 scalars `{YAML11!r}`; "
        f"an alias bomb of {BOMB_LEVELS} levels in a child capped at 2 GiB and 30 s.\n\n"
        "| parser | seconds | values on the corpus | YAML 1.1 scalars | line numbers | alias bomb |\n"
        "|---|---:|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        + (f"Not installed: {', '.join(missing)}.\n\n" if missing else "")
        + NOTES
    )
    if args.results:
        replace_section(args.results, SECTION, body)
    else:
        print(body)
    return 0


NOTES = """\
None of the faster parsers keeps line numbers, so none replaces the loader: a finding
names its file and line, and a waiver or an auditor finds it by them. rapidyaml parses in
C++ ten times faster than libyaml, but its Python bindings give no source locations and
hand the tree out one node per call: building Python values through them (untyped strings)
costs most of what our whole loader costs with types, limits and lines. The Rust parsers
(yaml-rs, ryaml, pyyaml-rs) are 2-8x faster than the floor and refuse the alias bomb, but
return values only, and read YAML 1.2: `yes`, `on`, `0755` and `1e3` come back as other
values than PyYAML (and Kubernetes, which reads YAML 1.1 booleans) gives them, which would
change verdicts (`runAsNonRoot: yes`). Values from one of them and lines from libyaml would
parse every file twice, and the two could disagree. The loader stays on libyaml's composer
with our own construction (aliases bounded, depth and duplicate keys checked), which the
table shows is already below the floor.
"""


if __name__ == "__main__":
    raise SystemExit(main())
