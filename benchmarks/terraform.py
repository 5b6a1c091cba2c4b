"""``make bench-terraform`` (also run by ``make bench``): cold load of a generated 100-file
Terraform configuration, one run each (the machine is shared), written to the
"## Terraform cold load" section of RESULTS.md. A benchmark, never a test.

Rows: the first run with an empty cache folder (python-hcl2's grammar compiled, then kept
there: what the first run after an install pays, read-only install or not), a run whose
cache folder holds only that grammar (every input still parsed), and two ``--no-cache`` runs
with an empty user cache folder (``XDG_CACHE_HOME``): the first compiles the grammar and keeps
it there, the second reads it. Load-only rows time ``load_paths`` in one process.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import evaluate, machine, timed  # noqa: E402
from sections import replace_section  # noqa: E402

HERE = Path(__file__).resolve().parent
HEADING = "## Terraform cold load"

FILE = """\
resource "aws_s3_bucket" "data_{n}" {{
  bucket = "data-{n}"
}}

resource "aws_security_group" "web_{n}" {{
  name = "web-{n}"
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_iam_policy" "app_{n}" {{
  name = "app-{n}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::data-{n}/*" }}]
  }})
}}

resource "aws_instance" "node_{n}" {{
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
  user_data     = base64encode(<<-EOT
    #!/bin/bash
    REGION=eu-central-1
  EOT
  )
  root_block_device {{
    encrypted = true
  }}
}}

variable "size_{n}" {{
  type    = number
  default = {n}
}}

locals {{
  name_{n} = "node-{n}"
}}
"""

LOAD = """
import sys, time
from pathlib import Path
from compliance.inputs import hcl_grammar, load_paths
hcl_grammar.use_cache_dir(Path(sys.argv[2]) if sys.argv[2] != "-" else None)
t, c = time.perf_counter(), time.process_time()
loaded = load_paths([sys.argv[1]])
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(f"{wall:.3f} {cpu:.3f} {len(loaded.resources)} {len(loaded.errors)}")
"""


def build(root: Path, files: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "providers.tf").write_text('provider "aws" {\n  region = "eu-central-1"\n}\n')
    for n in range(files - 1):
        (root / f"stack_{n:03d}.tf").write_text(FILE.format(n=n))


def load_only(root: Path, cache: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of ``load_paths`` in one process (one worker), and resources."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD, str(root), cache], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[3] != "0":
        raise SystemExit(f"load errors in the generated configuration: {out}")
    return float(out[0]), float(out[1]), int(out[2])


def site_packages_cache() -> Path:
    import hcl2.parser

    return Path(hcl2.parser.__file__).resolve().parent / ".lark_cache.bin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "config"
        build(root, args.files)
        first_cache = base / "first"
        first = timed(evaluate(root, "--cache-dir", str(first_cache)))
        grammar_files = list(first_cache.glob("hcl2-grammar-*.json"))
        assert len(grammar_files) == 1, grammar_files
        grammar_only = base / "grammar-only"
        grammar_only.mkdir()
        shutil.copy(grammar_files[0], grammar_only)
        kept = timed(evaluate(root, "--cache-dir", str(grammar_only)))
        user_cache = ["env", f"XDG_CACHE_HOME={base / 'xdg'}"]
        no_cache_first = timed([*user_cache, *evaluate(root, "--no-cache")])
        no_cache = timed([*user_cache, *evaluate(root, "--no-cache")])
        built_wall, built_cpu, resources = load_only(root, "-")
        cached_wall, cached_cpu, _ = load_only(root, str(grammar_only))
        for label, m in (
            ("evaluate, first run (empty cache folder: grammar compiled and kept)", first),
            ("evaluate, cold inputs, grammar read from the cache folder", kept),
            (
                "evaluate, --no-cache, empty user cache folder (grammar compiled, kept there)",
                no_cache_first,
            ),
            ("evaluate, --no-cache, grammar read from the user cache folder", no_cache),
        ):
            rows.append(f"| {label} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} |")
        for label, wall, cpu in (
            ("load only (`load_paths`, one process), grammar compiled", built_wall, built_cpu),
            (
                "load only (`load_paths`, one process), grammar from the cache folder",
                cached_wall,
                cached_cpu,
            ),
        ):
            rows.append(f"| {label} | {wall:.2f} | {cpu:.2f} | |")
    written = site_packages_cache().exists()
    body = f"""{HEADING}

Written by `make bench-terraform` (benchmarks/terraform.py, also part of `make bench`): one
run each on a generated configuration of {args.files} `.tf` files ({resources} resources: S3
buckets, security groups, IAM policies with `jsonencode`, instances with `base64encode`
user_data, variables, locals, one provider), all four packs. Wall and CPU in seconds, peak
RSS in MiB.

| run | wall s | CPU s | peak RSS MiB |
|---|---:|---:|---:|
{chr(10).join(rows)}

The compiled grammar is kept in the cache folder (`--cache-dir`) as sealed JSON, never in
site-packages: python-hcl2's own `.lark_cache.bin` {"exists (written by something else)" if written else "was not written"}.
A read-only install pays the grammar once per cache folder, as any install does.

{machine()}"""
    replace_section(args.output, HEADING, body)
    print(body)


if __name__ == "__main__":
    main()
